// Resolves the configuration from its sources: defaults < config file < environment < flags. Each source is
// validated on its own, so every problem names the file, variable or flag it came from; then the merged result is
// checked for impossible combinations. All problems are gathered before anything is thrown. Unknown environment
// variables are problems only under `strictEnv`; otherwise they are warnings, returned beside the configuration.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { DEFAULTS } from './defaults.ts';
import { type Env, readEnv, unknownVariableLine } from './env.ts';
import { ConfigError } from './error.ts';
import { show } from './leaves.ts';
import { RULES } from './rules.ts';
import {
  FIELD_BY_PATH,
  FIELD_BY_RAW,
  FIELDS,
  formatValue,
  type Layer,
  layerSchema,
  merge,
  rawKeysAt,
} from './schema.ts';
import { closest } from './suggest.ts';
import type { Config } from './types.ts';

export { ConfigError } from './error.ts';

/** Unvalidated configuration as a source gives it: the raw option tree (docs/configuration.md), any part of it. */
export type RawConfig = { readonly [key: string]: unknown };

export interface ConfigSources {
  /** Path of a JSON config file (`--config`). When absent, `SWITCHBOARD_CONFIG` of `env`; when both are absent, none. */
  readonly file?: string | undefined;
  /** Environment variables, usually `process.env`. Absent: none are read. */
  readonly env?: Env | undefined;
  /** Raw options from the command line; they win over everything else. */
  readonly flags?: RawConfig | undefined;
}

interface Source {
  /** 1 file, 2 environment, 3 flags; defaults are 0. */
  readonly rank: number;
  readonly raw: unknown;
  /** Where the option at a raw path came from: `config file x.json`, `environment PORT`, `flag --port`. */
  origin(rawPath: string): string;
  /** The prefix of a problem line about a raw path (`''` for the source as a whole). */
  prefix(rawPath: string): string;
}

interface Origin {
  readonly rank: number;
  readonly text: string;
}

const DEFAULT_ORIGIN: Origin = { rank: 0, text: 'defaults' };

export interface Resolved {
  /** Deep-frozen. */
  readonly config: Config;
  /** Lines about what was ignored: unknown `SWITCHBOARD_*` variables when `strictEnv` is off. */
  readonly warnings: readonly string[];
  /** Kubernetes service-link variables under the `SWITCHBOARD_` prefix → their Service; never read. */
  readonly serviceLinks: ReadonlyMap<string, string>;
}

/** {@link resolveConfig}'s configuration alone, its warnings dropped (for tests and embedders that print none). */
export function loadConfig(sources: ConfigSources = {}): Config {
  return resolveConfig(sources).config;
}

/**
 * The resolved configuration, with what the environment held that is not configuration. Throws a
 * {@link ConfigError} listing every problem, one per line, when any source is unreadable or invalid, names an
 * unknown option (or, under `strictEnv`, an unknown variable), or the result combines impossibly.
 */
export function resolveConfig(sources: ConfigSources = {}): Resolved {
  const env = sources.env ?? {};
  const problems: string[] = [];
  const list: Source[] = [];

  const file = sources.file ?? (env.SWITCHBOARD_CONFIG?.trim() || undefined);
  if (file !== undefined) {
    const label = `config file ${file}`;
    const read = readJson(file);
    if (typeof read === 'string') problems.push(`${label}: ${read}`);
    else
      list.push({
        rank: 1,
        raw: read.value,
        origin: () => label,
        prefix: (raw) => (raw === '' ? label : `${label}: ${raw}`),
      });
  }

  const fromEnv = readEnv(env);
  const envName = (raw: string): string => `environment ${fromEnv.origin.get(raw) ?? raw}`;
  list.push({ rank: 2, raw: fromEnv.raw, origin: envName, prefix: envName });

  if (sources.flags !== undefined) {
    const flags = sources.flags;
    const flagName = (raw: string): string | undefined => {
      const flag = FIELD_BY_RAW.get(raw)?.field.flag;
      if (flag === undefined) return undefined;
      // `--presence` given as false was `--no-presence` on the command line.
      const negated = getAt(flags, raw) === false && !flag.startsWith('--no-');
      return `flag ${negated ? `--no-${flag.slice(2)}` : flag}`;
    };
    list.push({
      rank: 3,
      raw: flags,
      origin: (raw) => flagName(raw) ?? 'flags',
      prefix: (raw) => flagName(raw) ?? (raw === '' ? 'flags' : `flags: ${raw}`),
    });
  }

  const layers: Layer[] = [];
  const invalid = new Set<string>();
  const origins = new Map<string, Origin>();
  // Unknown variables go after the environment's other problems, once `strictEnv` (any source) is known.
  let unknownAt = problems.length;
  for (const source of list) {
    const { layer, issues } = parseLayer(source.raw);
    for (const issue of issues) {
      problems.push(`${source.prefix(issue.path)}: ${issue.message}`);
      for (const path of configPathsUnder(issue.path, issue.unknown)) invalid.add(path);
    }
    if (source.rank === 2) unknownAt = problems.length;
    for (const info of FIELDS)
      if (getAt(layer, info.path) !== undefined)
        origins.set(info.path, { rank: source.rank, text: source.origin(info.raw) });
    layers.push(layer);
  }

  const config = merge(DEFAULTS, layers);
  const unknown = fromEnv.unknown.map((v) => unknownVariableLine(v, config.strictEnv));
  const warnings = config.strictEnv ? [] : unknown;
  if (config.strictEnv) problems.splice(unknownAt, 0, ...unknown);
  for (const rule of RULES) {
    if (rule.paths.some((p) => invalid.has(p))) continue;
    const top = rule.paths
      .map((p) => origins.get(p) ?? DEFAULT_ORIGIN)
      .reduce((a, b) => (b.rank > a.rank ? b : a));
    const message = rule.check(config, (c, path) => {
      const info = FIELD_BY_PATH.get(path)!;
      const value = formatValue(info.field.kind, getAt(c, path));
      const origin = origins.get(path) ?? DEFAULT_ORIGIN;
      if (origin.text === top.text) return `${info.raw} (${value})`;
      return `${info.raw} (${value}${origin === DEFAULT_ORIGIN ? ' by default' : ` from ${origin.text}`})`;
    });
    for (const m of message === null ? [] : typeof message === 'string' ? [message] : message)
      problems.push(`${top.text}: ${m}`);
  }

  if (problems.length > 0) throw new ConfigError(problems, warnings);
  return { config: deepFreeze(structuredClone(config)), warnings, serviceLinks: fromEnv.serviceLinks };
}

/** Config file formats that people reach for and the hub does not read, by file extension. */
const UNREAD_FORMATS: ReadonlyMap<string, string> = new Map([
  ['.yaml', 'YAML'],
  ['.yml', 'YAML'],
  ['.toml', 'TOML'],
]);

/** The file's JSON value, or why it could not be had. */
function readJson(path: string): { value: unknown } | string {
  const format = UNREAD_FORMATS.get(extname(path).toLowerCase());
  // Refused by name, before reading: a YAML or TOML file would otherwise fail as "not valid JSON" at some line.
  if (format !== undefined)
    return `unsupported_config_format: ${format} is not read; the config file is JSON (a .json file), and every option can also be set with SWITCHBOARD_* environment variables or flags`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : (err as Error).message;
    return `cannot read it: ${why}`;
  }
  try {
    return { value: JSON.parse(text.replace(/^\uFEFF/, '')) };
  } catch (err) {
    return `not valid JSON: ${(err as Error).message}`;
  }
}

interface Issue {
  /** Dotted raw path; `''` for the source as a whole. */
  readonly path: string;
  readonly message: string;
  /** An unknown key: it invalidates no known option. */
  readonly unknown: boolean;
}

/**
 * Validates one source. On failure, the offending parts are removed and the rest parsed again, so the valid
 * options of a source still count (and combinations among them are still checked).
 */
function parseLayer(raw: unknown): { layer: Layer; issues: Issue[] } {
  const first = layerSchema.safeParse(raw);
  if (first.success) return { layer: first.data, issues: [] };
  const issues: Issue[] = [];
  let rest: unknown = structuredClone(raw);
  for (const issue of first.error.issues) {
    const at = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        // The `Config` name (`maxMessageBytes`) for the raw one (`maxMessageSize`) is a likely slip.
        const guess =
          FIELD_BY_PATH.get([...at, key].join('.'))
            ?.raw.split('.')
            .at(-1) ?? closest(key, rawKeysAt(at));
        const hint = guess === undefined ? '' : ` (did you mean ${[...at, guess].join('.')}?)`;
        issues.push({ path: [...at, key].join('.'), message: `unknown option${hint}`, unknown: true });
        rest = without(rest, [...at, key]);
      }
      continue;
    }
    // A record key that fails its pattern (a namespace name) carries its own message one level down.
    const keyMessage = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
    const message =
      keyMessage !== undefined
        ? keyMessage
        : issue.code === 'invalid_type'
          ? `expected an object${at.length === 0 ? ' at the top level' : ''}, got ${show(getAt(raw, at))}`
          : issue.message;
    issues.push({ path: at.join('.'), message, unknown: false });
    rest = without(rest, at);
  }
  const second = layerSchema.safeParse(rest);
  return { layer: second.success ? second.data : {}, issues };
}

/** The `Config` paths of the known options at or below a raw path. */
function configPathsUnder(rawPath: string, unknown: boolean): string[] {
  if (unknown) return [];
  return FIELDS.filter((i) => rawPath === '' || i.raw === rawPath || i.raw.startsWith(`${rawPath}.`)).map(
    (i) => i.path,
  );
}

function getAt(tree: unknown, path: string | readonly string[]): unknown {
  const keys = typeof path === 'string' ? path.split('.') : path;
  let node = tree;
  for (const k of keys) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[k];
  }
  return node;
}

/** A copy of `tree` without the value at `keys` (the whole tree: an empty object). */
function without(tree: unknown, keys: readonly string[]): unknown {
  if (keys.length === 0) return {};
  const parent = getAt(tree, keys.slice(0, -1));
  if (typeof parent === 'object' && parent !== null) delete (parent as Record<string, unknown>)[keys.at(-1)!];
  return tree;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
