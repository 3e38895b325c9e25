// The single executable's main script (bundled by scripts/binary/build.ts into one CommonJS file). The binary
// carries everything a Node install would add: the Redis and NATS engines and the load generator are bundled in,
// and loaded from the bundle, only when a URL or `switchboard bench` asks for them, as the npm packages are.
import type { Logger } from 'pino';
import { WORKER_ARG } from '../../packages/bench/src/pool.ts';
import { run } from '../../packages/server/src/cli/main.ts';
import type { Config } from '../../packages/server/src/config/types.ts';
import { createEngine } from '../../packages/server/src/engine/create.ts';
import { startServer } from '../../packages/server/src/server.ts';

/** The optional packages, each a chunk of the bundle that runs only when imported. */
const BUNDLED: Readonly<Record<string, () => Promise<unknown>>> = {
  '@switchboard/engine-redis': () => import('../../packages/engine-redis/src/index.ts'),
  '@switchboard/engine-nats': () => import('../../packages/engine-nats/src/index.ts'),
  '@switchboard/bench': () => import('../../packages/bench/src/index.ts'),
};

function load(name: string): Promise<unknown> {
  const pkg = BUNDLED[name];
  // Every package the hub loads on demand is in the bundle; anything else could not be loaded by a binary anyway.
  return pkg === undefined ? Promise.reject(new Error(`${name} is not part of this binary`)) : pkg();
}

async function start(config: Config, options: { logger: Logger }) {
  const engine = await createEngine(config.engine.url, options.logger, load);
  return startServer(config, { logger: options.logger, engine });
}

if (process.argv[2] === WORKER_ARG) {
  // A load-generator worker that `switchboard bench` started (it cannot fork a worker.js: there is none).
  void import('../../packages/bench/src/worker.ts');
} else {
  run(process.argv, { load, start }).then(
    (code) => {
      if (code !== undefined) process.exit(code);
    },
    (err: unknown) => {
      process.stderr.write(
        `switchboard: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    },
  );
}
