// The publisher's own CPU per publish, old and new side by side (run by hand): starts nchan (hub on core 0) and a
// minimal Node HTTP server on core 0, then drives each with `Publisher.runRate` from this checkout and, with
// `--base DIR`, from another checkout's packages/bench, at fixed rates; prints this process's CPU time
// (user + system) per request. CPU time per request, unlike throughput, holds up on a busy shared machine.
//   taskset -c 1 node bench/publisher-cost.ts [--base /path/to/other/checkout] [--rates 2000,5000,10000]

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { nchanAvailable, startNchan } from './adapters/nchan.ts';
import { freePort } from './process.ts';

const { values } = parseArgs({
  options: { base: { type: 'string' }, rates: { type: 'string' }, ms: { type: 'string' } },
});
const rates = (values.rates ?? '2000,5000,10000').split(',').map(Number);
const ms = Number(values.ms ?? 3000);

type Mod = typeof import('../packages/bench/src/publisher.ts');
type DialectMod = typeof import('../packages/bench/src/dialect.ts');
const impls: [string, Mod, DialectMod][] = [
  [
    'new',
    await import('../packages/bench/src/publisher.ts'),
    await import('../packages/bench/src/dialect.ts'),
  ],
];
if (values.base !== undefined)
  impls.unshift([
    'base',
    await import(join(values.base, 'packages/bench/src/publisher.ts')),
    await import(join(values.base, 'packages/bench/src/dialect.ts')),
  ]);

const pin = { hub: 0, generator: '1', note: '' };
const targets: { name: string; port: number; dialect: 'nchan' | 'switchboard'; stop: () => Promise<void> }[] =
  [];
if (nchanAvailable() === undefined) {
  const port = await freePort();
  const p = await startNchan(port, '', pin);
  targets.push({ name: 'nchan', port, dialect: 'nchan', stop: () => p.stop() });
}
{
  // A minimal keep-alive loop answering every POST with a small JSON body once its body is read.
  const port = await freePort();
  const code = `require('node:http').createServer((q,s)=>{q.resume();q.on('end',()=>{s.setHeader('content-type','application/json');s.end('{"ok":true}')})}).listen(${port},'127.0.0.1')`;
  const child = spawn('taskset', ['-c', '0', process.execPath, '-e', code], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' }).then(
      () => true,
      () => false,
    );
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  targets.push({
    name: 'node-loop',
    port,
    dialect: 'switchboard',
    stop: async () => {
      child.kill();
    },
  });
}

for (const t of targets) {
  for (const [label, mod, dialects] of impls) {
    const p = new mod.Publisher({ host: '127.0.0.1', port: t.port, apiKey: 'k' });
    for (const mode of ['request', 'pipeline'] as const) {
      await p.setMode(mode);
      await p.runRate(1000, 300, mod.oneChannel(dialects.DIALECTS[t.dialect], 'warm', 0));
      for (const rate of rates) {
        const cpu0 = process.cpuUsage();
        const run = await p.runRate(rate, ms, mod.oneChannel(dialects.DIALECTS[t.dialect], 'c', 0));
        const cpu = process.cpuUsage(cpu0);
        const us = (cpu.user + cpu.system) / Math.max(1, run.requests);
        const busy = (cpu.user + cpu.system) / 1000 / run.ms;
        console.log(
          `${t.name} ${label} ${mode} ${rate}/s: ${run.ok} ok ${run.failed} failed ${run.skipped} skipped, ` +
            `${Math.round(run.ok / (run.ms / 1000))}/s answered, ${us.toFixed(1)} µs CPU/request, ` +
            `process ${(busy * 100).toFixed(0)}% of a core${run.failed > 0 ? ` ${JSON.stringify(run.errors)}` : ''}`,
        );
      }
    }
    p.close();
  }
  await t.stop();
}
process.exit(0);
