import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { loaderWithoutPackages } from '@switchboard/test-helpers/missing-package';
import type { PackageLoader } from '../optional.ts';
import { createEngine } from './create.ts';

// Engine packages left out of an install: a real import() of the package's name from a directory where nothing
// is installed.
const { load: missing, cleanup } = await loaderWithoutPackages();
after(cleanup);

describe('createEngine', () => {
  it('builds the memory engine without loading any package', async () => {
    const loaded: string[] = [];
    const engine = await createEngine('memory', undefined, async (name) => {
      loaded.push(name);
      return {};
    });
    assert.equal(engine.name, 'memory');
    assert.deepEqual(loaded, []);
    await engine.close();
  });

  for (const [url, pkg, scheme] of [
    ['redis://127.0.0.1:6379', '@switchboard/engine-redis', 'redis'],
    ['redis+sentinel://127.0.0.1/mymaster', '@switchboard/engine-redis', 'redis+sentinel'],
    ['redis+cluster://127.0.0.1:7000', '@switchboard/engine-redis', 'redis+cluster'],
    ['nats://127.0.0.1:4222', '@switchboard/engine-nats', 'nats'],
  ] as const) {
    it(`names the package to install when ${scheme}:// asks for one that is missing`, async () => {
      await assert.rejects(createEngine(url, undefined, missing), {
        name: 'SwitchboardError',
        code: 'bad_request',
        message: `engine "${scheme}" needs the package ${pkg}, which is not installed: npm install ${pkg}`,
      });
    });
  }

  it('tells a package that failed to load apart from one that is missing', async () => {
    const broken: PackageLoader = async () => {
      throw new SyntaxError('Unexpected token in engine code\n    at somewhere');
    };
    await assert.rejects(createEngine('nats://127.0.0.1:4222', undefined, broken), {
      code: 'bad_request',
      message:
        'engine "nats": the package @switchboard/engine-nats is installed but failed to load: Unexpected token in engine code',
    });
  });

  it('refuses a scheme no engine has', async () => {
    await assert.rejects(createEngine('kafka://x'), {
      code: 'bad_request',
      message: 'engine "kafka" is not available in this build; use "memory", redis:// or nats://',
    });
  });
});
