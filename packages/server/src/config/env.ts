// Environment variables to raw configuration. Every option has `SWITCHBOARD_` + its raw path in SCREAMING_SNAKE_CASE;
// a few short aliases exist for platforms that set them (PORT) and for the common cases. Values stay strings: the
// leaf schemas read numbers, booleans, durations and sizes from strings. Any other `SWITCHBOARD_*` variable is a
// mistake (most likely a typo) and is reported, unless it is on the allow-list.

import { DEFAULTS } from './defaults.ts';
import { envName, FIELDS, valueAt } from './schema.ts';
import { closest } from './suggest.ts';

/** Short names, each for one raw option. The long `SWITCHBOARD_*` name wins when both are set. */
export const ENV_ALIASES: Readonly<Record<string, string>> = {
  PORT: 'server.port',
  HOST: 'server.host',
  SWITCHBOARD_API_KEY: 'api.keys',
  SWITCHBOARD_ENGINE: 'engine.url',
};

/** `SWITCHBOARD_*` variables that are not options and are not errors. */
export const ENV_ALLOWED: Readonly<Record<string, string>> = {
  SWITCHBOARD_CONFIG: 'path of the JSON config file (like --config)',
  SWITCHBOARD_TEST_LOG: 'log level of the hubs the test suite starts (read by tests/helpers, not by the hub)',
};

export type Env = Readonly<Record<string, string | undefined>>;

export interface EnvSource {
  /** Raw configuration tree with string leaves (`api.keys` an array). */
  readonly raw: Record<string, unknown>;
  /** Raw path → the variable (or variables) that set it, for messages. */
  readonly origin: ReadonlyMap<string, string>;
  /** Unknown `SWITCHBOARD_*` variables, as finished problem lines. */
  readonly problems: readonly string[];
}

const PREFIX = 'SWITCHBOARD_';

/** Every environment variable name the hub reads. */
export const KNOWN_ENV: ReadonlySet<string> = new Set([
  ...FIELDS.map((i) => i.env),
  ...Object.keys(ENV_ALIASES),
  ...Object.keys(ENV_ALLOWED),
]);

/** `SWITCHBOARD_LIMITS_MAX_MESSAGE_BYTES` (named after the `Config` path) → `SWITCHBOARD_LIMITS_MAX_MESSAGE_SIZE`. */
const BY_CONFIG_NAME: ReadonlyMap<string, string> = new Map(FIELDS.map((i) => [envName(i.path), i.env]));

/** Values are trimmed; unset, empty and blank variables count as not set (`FOO=` in a compose file means "no value"). */
function value(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

export function readEnv(env: Env): EnvSource {
  const raw: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  for (const info of FIELDS) {
    const names = [info.env, ...Object.keys(ENV_ALIASES).filter((a) => ENV_ALIASES[a] === info.raw)];
    if (info.raw === 'api.keys') {
      // SWITCHBOARD_API_KEYS is comma-separated; SWITCHBOARD_API_KEY is one key. Both set: all of them.
      const set = names.filter((n) => value(env, n) !== undefined);
      if (set.length === 0) continue;
      const keys = set.flatMap((n) =>
        n === info.env
          ? value(env, n)!
              .split(',')
              .map((k) => k.trim())
          : [value(env, n)!],
      );
      setAt(
        raw,
        info.raw,
        keys.filter((k) => k !== ''),
      );
      origin.set(info.raw, set.join(' + '));
      continue;
    }
    const name = names.find((n) => value(env, n) !== undefined);
    if (name === undefined) continue;
    // List options are comma-separated in the environment.
    const v = value(env, name)!;
    const isList = Array.isArray(valueAt(DEFAULTS, info.path));
    setAt(
      raw,
      info.raw,
      isList
        ? v
            .split(',')
            .map((k) => k.trim())
            .filter((k) => k !== '')
        : v,
    );
    origin.set(info.raw, name);
  }
  const problems: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(PREFIX) || KNOWN_ENV.has(name)) continue;
    // Compared without the prefix, which every candidate shares and which would make anything look close.
    const suffixes = [...KNOWN_ENV].filter((k) => k.startsWith(PREFIX)).map((k) => k.slice(PREFIX.length));
    const match = closest(name.slice(PREFIX.length), suffixes);
    const guess = BY_CONFIG_NAME.get(name) ?? (match === undefined ? undefined : PREFIX + match);
    problems.push(
      `environment ${name}: unknown variable${guess === undefined ? '' : ` (did you mean ${guess}?)`}; see docs/configuration.md`,
    );
  }
  return { raw, origin, problems };
}

/** Sets `value` at a dotted raw path of `tree`, creating the objects on the way. */
export function setAt(tree: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = tree;
  for (const k of keys.slice(0, -1)) {
    node[k] ??= {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}
