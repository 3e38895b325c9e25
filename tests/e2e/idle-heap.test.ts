// bench/idle-heap.ts as docs/benchmarks.md runs it ("Where idle memory goes"): every connection subscribed, the
// figures present, and the objects one idle connection keeps. Object counts do not depend on the machine's load,
// so they are asserted exactly where the design says one per connection, and within a budget for the rest: a
// change that makes each idle connection keep more closures, arrays or HTTP machinery fails here, not in a
// benchmark nobody re-ran.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const TOOL = join(import.meta.dirname, '..', '..', 'bench', 'idle-heap.ts');

interface Result {
  transport: string;
  connections: number;
  kb_per_conn: { rss: number; heap_total: number; heap_used: number };
  new_space_mb: { before: number; after: number };
  breakdown: { kind: string; per_conn: number; bytes_per_conn: number }[];
}

function run(transport: 'ws' | 'sse', connections: number): Result {
  const out = execFileSync(
    process.execPath,
    [TOOL, '--transport', transport, '--connections', String(connections), '--breakdown', '--json'],
    { encoding: 'utf8', timeout: 110_000 },
  );
  return JSON.parse(out.trim().split('\n').at(-1) ?? '') as Result;
}

const kept = (r: Result, kind: string): number => r.breakdown.find((b) => b.kind === kind)?.per_conn ?? 0;
const closures = (r: Result): number =>
  r.breakdown.filter((b) => b.kind.startsWith('closure ')).reduce((s, b) => s + b.per_conn, 0);

describe('bench/idle-heap.ts', () => {
  it('WebSocket: one session, subscription, transport and socket per idle connection, and a bounded rest', () => {
    const r = run('ws', 300);
    assert.equal(r.connections, 300);
    for (const kind of ['Session', 'Subscription', 'WebSocketTransport', 'WebSocket', 'Socket']) {
      assert.equal(kept(r, kind), 1, `${kind} per connection: ${JSON.stringify(r.breakdown.slice(0, 20))}`);
    }
    // Today: 15 closures per connection (5 of the session's, named, and 10 of ws's and the endpoint's): the
    // budget is today's count, so it can only go down.
    assert.ok(closures(r) <= 15.5, `closures per connection: ${closures(r)}`);
    assert.ok(r.new_space_mb.after >= 1, JSON.stringify(r.new_space_mb));
  });

  it('SSE: one session, subscription, transport and socket per idle connection, and a bounded rest', () => {
    const r = run('sse', 300);
    assert.equal(r.connections, 300);
    for (const kind of ['Session', 'Subscription', 'SseTransport', 'Socket']) {
      assert.equal(kept(r, kind), 1, `${kind} per connection: ${JSON.stringify(r.breakdown.slice(0, 20))}`);
    }
    // The socket leaves Node's HTTP server once the head is out (issue 17): no request, response, HTTP parser,
    // server listeners (bound `native_bind` closures, `socketListenerWrap`) or request header arrays per stream.
    for (const kind of [
      'ServerResponse',
      'IncomingMessage',
      'HTTPParser',
      'HTTPServerAsyncResource',
      'closure native_bind()',
      'closure socketListenerWrap()',
    ]) {
      assert.equal(kept(r, kind), 0, `${kind} per connection: ${JSON.stringify(r.breakdown.slice(0, 20))}`);
    }
    // Today: 10 closures per connection (6 named: the session's and the endpoint's onSlow; 4 anonymous; 22 while
    // the stream was a Node response) and 9 internal arrays (21 to 30 with the request's headers): budgets that
    // only go down.
    assert.ok(closures(r) <= 10.5, `closures per connection: ${closures(r)}`);
    assert.ok(kept(r, '(array)') <= 10, `internal arrays per connection: ${kept(r, '(array)')}`);
  });
});
