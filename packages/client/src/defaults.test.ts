// docs/client.md lists every client default with its value: this keeps the two in step.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLIENT_DEFAULTS } from './defaults.ts';

function leaves(value: object, prefix = ''): [string, unknown][] {
  return Object.entries(value).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null
      ? leaves(v, `${prefix}${k}.`)
      : [[`${prefix}${k}`, v] as [string, unknown]],
  );
}

describe('CLIENT_DEFAULTS', () => {
  it('every default is in the docs table with its value', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'client.md'), 'utf8');
    for (const [key, value] of leaves(CLIENT_DEFAULTS)) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${key}\``));
      assert.ok(row !== undefined, `docs/client.md has no row for ${key}`);
      assert.ok(
        row.includes(`\`${String(value)}\``),
        `docs/client.md gives ${key} another value than ${value}`,
      );
    }
  });
});
