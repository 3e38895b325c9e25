// `npm run demos`: starts the hub, the demos' backends and pages, and prints where they are. `PORT` (or
// SWITCHBOARD_SERVER_PORT) sets the port, default 8080; `--only chat,quotes` starts only those demos.
import { startDemos } from './launcher.ts';

const onlyAt = process.argv.indexOf('--only');
const only = onlyAt === -1 ? undefined : (process.argv[onlyAt + 1] ?? '').split(',').filter(Boolean);

try {
  const running = await startDemos({
    ...(only === undefined ? {} : { only }),
    logLevel: process.env.SWITCHBOARD_LOG_LEVEL ?? 'warn',
  });
  const lines = [
    `Switchboard demos are up`,
    `  index      ${running.url}/demos/`,
    ...running.demos.map((d) => `  ${d.name.padEnd(10)} ${running.url}/demos/${d.name}/`),
    `  lab        ${running.url}/lab  (WebSocket vs SSE, measured)`,
    `  inspector  ${running.url}/`,
    `  API key    ${running.apiKey}  (generated for this run)`,
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(1);
    stopping = true;
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (err) {
  process.stderr.write(`switchboard demos: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
