import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CLOSE_CODES, ERROR_CODES, shouldReconnect } from './codes.ts';

const protocolDoc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');

describe('codes', () => {
  it('documents every error code with its HTTP status in docs/protocol.md', () => {
    for (const [code, { status }] of Object.entries(ERROR_CODES)) {
      assert.match(
        protocolDoc,
        new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${status}\\s*\\|`),
        `${code} (${status}) is not in docs/protocol.md`,
      );
    }
  });

  it('documents every close code in docs/protocol.md', () => {
    for (const [reason, { code, reconnect }] of Object.entries(CLOSE_CODES)) {
      assert.match(
        protocolDoc,
        new RegExp(`\\|\\s*${code}\\s*\\|\\s*\`${reason}\`\\s*\\|\\s*${reconnect ? 'yes' : 'no'}\\s*\\|`),
        `${code} ${reason}`,
      );
    }
  });

  it('keeps close codes in the range that says whether to reconnect', () => {
    for (const { code, reconnect } of Object.values(CLOSE_CODES)) {
      assert.equal(shouldReconnect(code), reconnect, String(code));
      assert.ok(reconnect ? code >= 4000 && code <= 4499 : code >= 4500 && code <= 4999);
    }
    assert.equal(shouldReconnect(1006), true);
    assert.equal(shouldReconnect(1009), false);
    assert.equal(shouldReconnect(1000), false);
  });
});
