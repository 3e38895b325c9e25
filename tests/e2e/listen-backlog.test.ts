import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { LISTEN_BACKLOG } from '../../packages/server/src/server.ts';
import { startTestHub } from '../helpers/hub.ts';

describe('listening socket', () => {
  it('listens with an accept queue of LISTEN_BACKLOG (capped by net.core.somaxconn), not Node default 511', async () => {
    // `ss` (iproute2) reads the queue length; .ci/run installs it where it is missing.
    execFileSync('ss', ['--version'], { encoding: 'utf8' });
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
    const hub = await startTestHub();
    try {
      // For a listening socket, `ss` reports the accept queue's length as Send-Q.
      const out = execFileSync('ss', ['-ltnH', `sport = :${hub.port}`], { encoding: 'utf8' }).trim();
      const fields = out.split(/\s+/);
      assert.equal(fields[0], 'LISTEN', out);
      assert.equal(Number(fields[2]), Math.min(LISTEN_BACKLOG, somaxconn), out);
      if (somaxconn > 511) assert.ok(Number(fields[2]) > 511, out);
    } finally {
      await hub.shutdown();
    }
  });
});
