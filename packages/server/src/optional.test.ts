import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { loaderWithoutPackages } from '@switchboard/test-helpers/missing-package';
import { firstLine, notInstalled } from './optional.ts';

const { load, cleanup } = await loaderWithoutPackages();
after(cleanup);

describe('optional packages', () => {
  it('tells a package that is not installed from one whose own dependency is missing', async () => {
    const err = await load('@switchboard/engine-redis').then(
      () => assert.fail('resolved a package that is not installed'),
      (e: unknown) => e,
    );
    assert.equal(notInstalled(err, '@switchboard/engine-redis'), true);
    assert.equal(notInstalled(err, 'redis'), false, 'the error names another package');
    assert.equal(notInstalled(new Error('boom'), '@switchboard/engine-redis'), false);
    assert.equal(firstLine(new Error('one\ntwo')), 'one');
  });
});
