// `switchboard bench`: the load generator pointed at a running hub.

import { writeFileSync } from 'node:fs';
import { ArgsError, parseCommon, USAGE } from './args.ts';
import type { Target } from './context.ts';
import { DIALECTS } from './dialect.ts';
import { createGenerator, maxSubscribers, workerCount } from './generator.ts';
import { runTarget } from './suite.ts';
import { resultsTable } from './table.ts';

/** Runs the generator with command-line `argv` (without the command name); resolves to an exit code. */
export async function runBenchCli(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCommon>;
  try {
    parsed = parseCommon(argv);
  } catch (err) {
    if (!(err instanceof ArgsError)) throw err;
    console.error(`switchboard bench: ${err.message}\n${USAGE}`);
    return 2;
  }
  const a = parsed.common;
  if (a.help) {
    console.log(
      `switchboard bench: load a running hub with raw-socket subscribers and a fixed-rate publisher\n${USAGE}`,
    );
    return 0;
  }
  const url = a.target ?? new URL('http://127.0.0.1:8080');
  const dialect = DIALECTS[a.dialect];
  const target: Target = {
    name: url.host,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    apiKey: a.apiKey,
    dialect,
    transports: dialect.transports,
    pid: a.pid,
    http2: a.http2,
    wire: a.wire,
  };
  if (url.protocol !== 'http:') {
    console.error('switchboard bench: only http:// targets (the generator speaks plain TCP)');
    return 2;
  }
  const workers = workerCount(maxSubscribers(a.profile, a.subscribers), a.workers);
  console.log(
    `generator: ${workers} worker process(es) → ${url.origin} (${dialect.name}${a.http2 ? ', SSE over HTTP/2' : ''})`,
  );
  const gen = createGenerator(target, a.profile, workers, (line) => console.log(line));
  try {
    const results = await runTarget(gen.ctx, {
      scenarios: a.scenarios,
      transports: a.transports,
      subscribers: a.subscribers,
    });
    console.log(`\n${resultsTable(results)}`);
    for (const r of results) for (const n of r.notes) console.log(`  ${r.scenario}/${r.transport}: ${n}`);
    if (a.json !== undefined)
      writeFileSync(a.json, `${JSON.stringify({ target: url.origin, results }, null, 2)}\n`);
    return 0;
  } finally {
    gen.close();
  }
}
