// `npm run demos` as a user runs it: PORT is honoured, the URLs are printed, the index and a page answer, and a
// SIGTERM stops the hub and the backends with status 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const RUN = join(import.meta.dirname, '..', '..', 'demos', 'run.ts');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('npm run demos (demos/run.ts)', () => {
  it('honours PORT, prints the URLs, serves the pages and stops cleanly', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [RUN, '--only', 'sports'], {
      env: { PATH: process.env.PATH, PORT: String(port), SWITCHBOARD_SERVER_HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // Building the bundles and starting a backend take a few seconds; a minute is far beyond that.
      const deadline = Date.now() + 60_000;
      while (!stderr.includes('API key') && Date.now() < deadline && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 50));
      assert.match(stderr, new RegExp(`index\\s+http://127\\.0\\.0\\.1:${port}/demos/`), stderr);
      assert.match(stderr, new RegExp(`sports\\s+http://127\\.0\\.0\\.1:${port}/demos/sports/`));
      const index = await fetch(`http://127.0.0.1:${port}/demos/`);
      assert.equal(index.status, 200);
      assert.match(await index.text(), /href="\/demos\/sports\/"/);
      assert.equal((await fetch(`http://127.0.0.1:${port}/demos/sports/app.js`)).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${port}/demos/assets/switchboard.js`)).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${port}/demos/nothing/`)).status, 404);
      // The lab, as docs/ws-vs-sse.md tells a user to open it.
      assert.match(stderr, new RegExp(`lab\\s+http://127\\.0\\.0\\.1:${port}/lab`));
      const lab = await fetch(`http://127.0.0.1:${port}/lab`);
      assert.equal(lab.status, 200);
      assert.match(await lab.text(), /Run the lab/);
      assert.equal((await fetch(`http://127.0.0.1:${port}/lab/app.js`)).status, 200);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
  });
});
