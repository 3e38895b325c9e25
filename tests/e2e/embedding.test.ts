// An application embedding the hub serves its own routes on the hub's port (StartOptions.routes): requests the
// hub does not serve reach them, the hub's own endpoints stay the hub's, and a route that declines gets the 404.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { DEFAULTS } from '../../packages/server/src/config/defaults.ts';
import { type RunningServer, startServer } from '../../packages/server/src/server.ts';

describe('StartOptions.routes', () => {
  let hub: RunningServer;
  const seen: string[] = [];

  before(async () => {
    hub = await startServer(
      {
        ...DEFAULTS,
        server: { ...DEFAULTS.server, host: '127.0.0.1', port: 0 },
        api: { ...DEFAULTS.api, keys: ['embed-key-0123456789'] },
      },
      {
        logger: pino({ level: 'silent' }),
        routes: async (req, res, url) => {
          seen.push(url.pathname);
          if (url.pathname === '/app/') {
            res.writeHead(200, { 'content-type': 'text/plain' });
            res.end(`page for ${req.method}`);
            return true;
          }
          if (url.pathname === '/slow') {
            await new Promise((r) => setTimeout(r, 10));
            res.writeHead(202).end();
            return true;
          }
          return false;
        },
      },
    );
  });
  after(() => hub?.shutdown());

  it('answers what the embedder serves, sync or async', async () => {
    const page = await fetch(`${hub.url}/app/`);
    assert.equal(page.status, 200);
    assert.equal(await page.text(), 'page for GET');
    assert.equal((await fetch(`${hub.url}/slow`)).status, 202);
  });

  it('leaves the 404 to the hub when a route declines', async () => {
    const res = await fetch(`${hub.url}/nothing-here`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'not_found');
  });

  it('never sees the hub’s own endpoints', async () => {
    seen.length = 0;
    assert.equal((await fetch(`${hub.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${hub.url}/api/channels`)).status, 401);
    assert.equal((await fetch(`${hub.url}/`)).status, 200); // the inspector
    assert.deepEqual(seen, []);
  });
});
