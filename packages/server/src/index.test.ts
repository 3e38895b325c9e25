import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as server from './index.ts';

describe('@switchboard/server entry', () => {
  it('exports the hub to embed and how to configure it, and nothing of the engine contract', () => {
    assert.deepEqual(Object.keys(server).sort(), ['ConfigError', 'DEFAULTS', 'loadConfig', 'startServer']);
    assert.equal(typeof server.startServer, 'function');
    const config = server.loadConfig({ env: {}, flags: { server: { port: 0 } } });
    assert.equal(config.server.port, 0);
    assert.deepEqual(config.channel, server.DEFAULTS.channel);
  });
});
