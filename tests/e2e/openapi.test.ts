// The OpenAPI 3.1 document at /api/openapi.json: served without a key, valid by a real OpenAPI validator, describing
// every route the API serves (and no other), with examples a running hub accepts. Every e2e test's API exchange is
// checked against it too (tests/helpers/hub.ts → tests/helpers/openapi.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { TicketStore } from '../../packages/server/src/auth/tickets.ts';
import { Api } from '../../packages/server/src/http/api.ts';
import {
  API_OPERATIONS,
  OPENAPI_PATH,
  openApiDocument,
  PUBLISH_STREAM_PATH,
} from '../../packages/server/src/http/openapi.ts';
import { startTestHub, type TestHub } from '../helpers/hub.ts';
import { validatorAt } from '../helpers/openapi.ts';

describe('OpenAPI', () => {
  let hub: TestHub;
  before(async () => {
    hub = await startTestHub({ channel: { presence: true } });
  });
  after(() => hub?.shutdown());

  it('is served at /api/openapi.json without an API key', async () => {
    const res = await fetch(`${hub.url}${OPENAPI_PATH}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await res.json(), JSON.parse(JSON.stringify(openApiDocument())));
    assert.equal((await fetch(`${hub.url}${OPENAPI_PATH}`, { method: 'POST' })).status, 405);
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(openApiDocument() as never);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  });

  it('describes every route the API serves, with its method, and no other', () => {
    const served = new Api(hub.node, { admin: ['k'], publish: [] }, new TicketStore(1_000)).routes();
    const described = [
      ...Object.entries(API_OPERATIONS).map(([path, { method }]) => [path, method.toUpperCase()]),
      // Not one JSON body: described apart from the JSON operations.
      [PUBLISH_STREAM_PATH, 'POST'],
    ];
    assert.deepEqual(
      served.map(([p, m]) => `${m} ${p}`).sort(),
      described.map(([p, m]) => `${m} ${p}`).sort(),
    );
    const paths = (openApiDocument() as { paths: Record<string, Record<string, unknown>> }).paths;
    for (const [path, method] of served) assert.ok(paths[path]?.[method.toLowerCase()], `${method} ${path}`);
  });

  it('each example request matches its schema and is accepted by a running hub', async () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, any>> };
    let examples = 0;
    for (const [path, { method }] of Object.entries(API_OPERATIONS)) {
      const media = doc.paths[path]![method].requestBody?.content['application/json'];
      const example = media?.examples?.example?.value;
      if (example === undefined) continue;
      examples++;
      const pointer = `/paths/${path.replaceAll('/', '~1')}/${method}/requestBody/content/application~1json/schema`;
      assert.equal(validatorAt(pointer)(example), true, `the example of ${path}`);
      const answer = await hub.api(path.slice('/api/'.length), example);
      assert.equal(answer.status, 200, `${path}: ${JSON.stringify(answer.body)}`);
    }
    assert.ok(examples >= 5);
  });

  it('error answers carry a code its status lists (checked on every exchange): a few on purpose', async () => {
    assert.equal((await hub.api('publish', { channel: 'bad channel', data: 1 })).status, 400);
    assert.equal(
      (await hub.api('publish', { channel: 'a', data: 1 }, { key: 'nope-nope-nope' })).status,
      401,
    );
    assert.equal((await hub.api('publish', undefined, { method: 'GET' })).status, 405);
    assert.equal((await hub.api('disconnect', { user: 'nobody' })).status, 404);
    assert.equal((await hub.api('nothing-here', {})).status, 404);
  });

  it('the schemas refuse what the hub refuses (the document is not a blank check)', () => {
    assert.equal(validatorAt('/components/schemas/PublishRequest')({ channel: 'a b', data: 1 }), false);
    assert.equal(validatorAt('/components/schemas/PublishRequest')({ channel: 'a' }), false);
    assert.equal(validatorAt('/components/schemas/Published')({ channel: 'a', epoch: 'e' }), false);
    assert.equal(
      validatorAt('/components/schemas/Error')({ error: { code: 'no_such_code', message: 'x' } }),
      false,
    );
  });
});
