// Environment variables to raw configuration. Every option has `SWITCHBOARD_` + its raw path in SCREAMING_SNAKE_CASE;
// a few short aliases exist for platforms that set them (PORT) and for the common cases. Values stay strings: the
// leaf schemas read numbers, booleans, durations and sizes from strings. Kubernetes service links under the prefix
// (a Service named `switchboard…`) are set aside unread. Any other `SWITCHBOARD_*` variable is unknown, most likely
// a typo: it is returned with a guess at the intended name, and the loader warns or refuses (`strictEnv`).

import { DEFAULTS } from './defaults.ts';
import { envName, FIELD_BY_RAW, FIELDS, valueAt } from './schema.ts';
import { serviceLinks } from './service-links.ts';
import { closest } from './suggest.ts';

/** Short names, each for one raw option. The long `SWITCHBOARD_*` name wins when both are set. */
export const ENV_ALIASES: Readonly<Record<string, string>> = {
  PORT: 'server.port',
  HOST: 'server.host',
  SWITCHBOARD_API_KEY: 'api.keys',
  SWITCHBOARD_ENGINE: 'engine.url',
};

/** `SWITCHBOARD_*` variables that are not options and are never reported as unknown. */
export const ENV_ALLOWED: Readonly<Record<string, string>> = {
  SWITCHBOARD_CONFIG: 'path of the JSON config file (like --config)',
  SWITCHBOARD_MAX_SEMI_SPACE_MB:
    "V8's young generation cap of `switchboard serve`, MB per semi-space (read by its launcher; 0: V8 decides)",
  SWITCHBOARD_TEST_LOG: 'log level of the hubs the test suite starts (read by tests/helpers, not by the hub)',
};

export type Env = Readonly<Record<string, string | undefined>>;

export interface UnknownVariable {
  readonly name: string;
  /** What was most likely meant (`SWITCHBOARD_LOG_LEVEL`, `SWITCHBOARD_SERVER_PORT (or PORT)`), if anything. */
  readonly guess: string | undefined;
}

export interface EnvSource {
  /** Raw configuration tree with string leaves (`api.keys` an array). */
  readonly raw: Record<string, unknown>;
  /** Raw path → the variable (or variables) that set it, for messages. */
  readonly origin: ReadonlyMap<string, string>;
  /** `SWITCHBOARD_*` variables that are neither options, aliases, allowed, nor service links; sorted by name. */
  readonly unknown: readonly UnknownVariable[];
  /** Kubernetes service-link variables under the prefix → the Service they describe; none of them is read. */
  readonly serviceLinks: ReadonlyMap<string, string>;
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

/**
 * Short names people guess for the listening address, which no edit distance leads to: the answer names the
 * option's variable and its alias. (`SWITCHBOARD_PORT` is also what a Service named `switchboard` sets, as a link.)
 */
const GUESSED: ReadonlyMap<string, string> = new Map(
  Object.entries({ SWITCHBOARD_PORT: 'server.port', SWITCHBOARD_HOST: 'server.host' }).map(([name, raw]) => {
    const aliases = Object.keys(ENV_ALIASES).filter((a) => ENV_ALIASES[a] === raw);
    return [name, `${FIELD_BY_RAW.get(raw)!.env}${aliases.map((a) => ` (or ${a})`).join('')}`];
  }),
);

/** Values are trimmed; unset, empty and blank variables count as not set (`FOO=` in a compose file means "no value"). */
function value(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

export function readEnv(env: Env): EnvSource {
  const raw: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  const links = serviceLinks(env);
  for (const info of FIELDS) {
    // A Service named `switchboard-server` sets SWITCHBOARD_SERVER_PORT=tcp://…: a link, not the port.
    const names = [info.env, ...Object.keys(ENV_ALIASES).filter((a) => ENV_ALIASES[a] === info.raw)].filter(
      (n) => !links.has(n),
    );
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
    // List options are comma-separated in the environment; `pusher.apps` is JSON (its objects hold commas).
    const v = value(env, name)!;
    const isList = Array.isArray(valueAt(DEFAULTS, info.path)) && info.raw !== 'pusher.apps';
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
  const unknown: UnknownVariable[] = [];
  // Compared without the prefix, which every candidate shares and which would make anything look close.
  const suffixes = [...KNOWN_ENV].filter((k) => k.startsWith(PREFIX)).map((k) => k.slice(PREFIX.length));
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(PREFIX) || KNOWN_ENV.has(name) || links.has(name)) continue;
    const match = closest(name.slice(PREFIX.length), suffixes);
    const guess =
      GUESSED.get(name) ?? BY_CONFIG_NAME.get(name) ?? (match === undefined ? undefined : PREFIX + match);
    unknown.push({ name, guess });
  }
  return { raw, origin, unknown, serviceLinks: links };
}

/** The line that reports an unknown variable: a problem under `strictEnv`, a warning (it is ignored) otherwise. */
export function unknownVariableLine(variable: UnknownVariable, strict: boolean): string {
  const hint = variable.guess === undefined ? '' : ` (did you mean ${variable.guess}?)`;
  return `environment ${variable.name}: unknown variable${strict ? '' : ', ignored'}${hint}; see docs/configuration.md`;
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
