import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadConfig } from './load.ts';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-formats-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('config file formats', () => {
  for (const [name, format] of [
    ['hub.yaml', 'YAML'],
    ['hub.YML', 'YAML'],
    ['hub.toml', 'TOML'],
  ] as const) {
    it(`refuses ${name} with a coded message naming the format read (JSON)`, () => {
      const path = join(dir, name);
      // Valid JSON is valid YAML: the file is refused by its name, not by a parse error at some line.
      writeFileSync(path, '{"server": {"port": 9000}}');
      assert.throws(
        () => loadConfig({ file: path }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.deepEqual(err.problems, [
            `config file ${path}: unsupported_config_format: ${format} is not read; the config file is JSON (a .json file), and every option can also be set with SWITCHBOARD_* environment variables or flags`,
          ]);
          return true;
        },
      );
    });
  }

  it('reads a JSON file whatever its extension', () => {
    for (const name of ['hub.json', 'hub.conf', 'hub']) {
      const path = join(dir, name);
      writeFileSync(path, '{"server": {"port": 9000}}');
      assert.equal(loadConfig({ file: path }).server.port, 9000, name);
    }
  });
});
