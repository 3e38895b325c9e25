/**
 * Everything wrong with a configuration, found in one pass. `message` is `problems`, one per line, each naming its
 * source (config file, environment variable, flag) and option, so one run shows every mistake to fix.
 * Not a SwitchboardError: it never reaches a client; the CLI prints it and exits with status 2.
 */
export class ConfigError extends Error {
  readonly code = 'config_invalid';
  readonly problems: readonly string[];
  /** What would have been ignored had the configuration been valid (see `resolveConfig`), for the same report. */
  readonly warnings: readonly string[];
  constructor(problems: readonly string[], warnings: readonly string[] = []) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
    this.warnings = warnings;
  }
}
