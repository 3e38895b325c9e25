// The OpenAPI 3.1 description of the hub's HTTP API (served at `/api/openapi.json`), its hooks and its webhooks.
// Error responses are generated from ERROR_CODES (each status lists exactly the codes that answer with it) and the
// webhook event names from WEBHOOK_EVENT_NAMES; tests/e2e/openapi.test.ts checks that every API route is described,
// that the document is valid OpenAPI 3.1, and that its examples are accepted by a running hub, and every e2e test's
// API exchange is checked against it (tests/helpers/openapi.ts).
import {
  ERROR_CODES,
  MAX_HOOK_MESSAGE_LENGTH,
  MAX_TOKEN_LENGTH,
  WEBHOOK_EVENT_NAMES,
} from '@switchboard/protocol';

type Schema = Record<string, unknown>;

/** The path under which the document is served (no API key needed: it holds no secret). */
export const OPENAPI_PATH = '/api/openapi.json';
/** Many publishes over one request: newline-delimited JSON in, one answer line per line out (publish-stream.ts). */
export const PUBLISH_STREAM_PATH = '/api/publish/stream';
const NDJSON = 'application/x-ndjson';

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const object = (
  properties: Record<string, Schema>,
  required: readonly string[] = [],
  extra = false,
): Schema => ({
  type: 'object',
  properties,
  required: [...required],
  ...(extra ? {} : { additionalProperties: false }),
});
const string: Schema = { type: 'string' };
const json: Schema = {};
const nullableString: Schema = { type: ['string', 'null'] };
/** Bytes in JSON (protocol.md section 11): standard base64 with padding. */
const base64: Schema = {
  type: 'string',
  contentEncoding: 'base64',
  pattern: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$',
};
/** A payload: `data` (any JSON value) or `data_b64` (bytes), exactly one of them. */
const oneData: Schema = { oneOf: [{ required: ['data'] }, { required: ['data_b64'] }] };
const patterns: Schema = { type: 'array', items: string, maxItems: 256 };
const channel: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  pattern: '^[A-Za-z0-9_\\-.:@#=/,]+$',
  description: 'A channel name (protocol.md section 1); `limits.maxChannelLength` may lower the maximum.',
};

const ERROR_BODY = object({ code: { type: 'string', enum: Object.keys(ERROR_CODES) }, message: string }, [
  'code',
  'message',
]);

const SCHEMAS: Record<string, Schema> = {
  Channel: channel,
  Position: object({ epoch: string, offset: { type: 'integer', minimum: 0 } }, ['epoch', 'offset']),
  ClientInfo: object({ client: string, user: nullableString, info: json }, ['client', 'user']),
  Error: object({ error: ERROR_BODY }, ['error']),
  IdempotencyKey: { type: 'string', minLength: 1, maxLength: 128 },
  PublishRequest: {
    ...object(
      { channel: ref('Channel'), data: json, data_b64: base64, idempotencyKey: ref('IdempotencyKey') },
      ['channel'],
      true,
    ),
    ...oneData,
  },
  Published: object(
    { channel: string, epoch: string, offset: { type: 'integer' }, duplicate: { const: true } },
    ['channel', 'epoch', 'offset'],
  ),
  PublishStreamAnswer: {
    description:
      "One line of a `/api/publish/stream` answer: the publish answer of its request line, or that line's number and error.",
    oneOf: [
      ref('Published'),
      object({ line: { type: 'integer', minimum: 1 }, error: ERROR_BODY }, ['line', 'error']),
    ],
  },
  BroadcastRequest: {
    ...object(
      {
        channels: { type: 'array', items: ref('Channel'), minItems: 1, maxItems: 1000 },
        data: json,
        data_b64: base64,
        idempotencyKey: ref('IdempotencyKey'),
      },
      ['channels'],
      true,
    ),
    ...oneData,
  },
  BroadcastResult: object(
    {
      results: {
        type: 'array',
        items: {
          oneOf: [
            object({ channel: string, epoch: string, offset: { type: 'integer' } }, [
              'channel',
              'epoch',
              'offset',
            ]),
            object({ channel: string, error: ERROR_BODY }, ['channel', 'error']),
          ],
        },
      },
    },
    ['results'],
  ),
  HistoryRequest: object(
    { channel: ref('Channel'), since: ref('Position'), limit: { type: 'integer', minimum: 0 } },
    ['channel'],
    true,
  ),
  History: object(
    {
      channel: string,
      epoch: string,
      offset: { type: 'integer' },
      recovered: { type: 'boolean' },
      publications: {
        type: 'array',
        items: {
          ...object(
            {
              epoch: string,
              offset: { type: 'integer' },
              data: json,
              data_b64: base64,
              info: ref('ClientInfo'),
            },
            ['epoch', 'offset'],
          ),
          ...oneData,
        },
      },
    },
    ['channel', 'epoch', 'offset', 'publications'],
  ),
  PresenceRequest: object({ channel: ref('Channel') }, ['channel'], true),
  Presence: object({ channel: string, clients: { type: 'array', items: ref('ClientInfo') } }, [
    'channel',
    'clients',
  ]),
  Channels: object(
    {
      channels: {
        type: 'array',
        items: object({ channel: string, subscribers: { type: 'integer', minimum: 1 } }, [
          'channel',
          'subscribers',
        ]),
      },
    },
    ['channels'],
  ),
  DisconnectRequest: {
    ...object({ client: string, user: string, reconnect: { type: 'boolean' } }, [], true),
    anyOf: [{ required: ['client'] }, { required: ['user'] }],
  },
  Disconnected: object({ disconnected: { type: 'integer', minimum: 1 } }, ['disconnected']),
  TicketRequest: object(
    {
      user: { type: 'string', minLength: 1, maxLength: 255 },
      claims: object(
        { info: json, subscribe: patterns, publish: patterns, presence: patterns, exp: { type: 'number' } },
        [],
        true,
      ),
    },
    [],
    true,
  ),
  Ticket: object({ ticket: string, expiresAt: { type: 'integer' } }, ['ticket', 'expiresAt']),
  Command: {
    type: 'object',
    properties: { type: string, id: { type: ['integer', 'string'] } },
    required: ['type'],
    description:
      'A client command (protocol.md section 4), e.g. `{"type":"rpc","id":1,"method":"chat:time","data":{}}`.',
  },
  Frame: {
    type: 'object',
    properties: { type: string },
    required: ['type'],
    description:
      'The reply frame (protocol.md section 3); an `error` frame with its code’s status on failure.',
  },
  // ---- Proxy hooks (docs/backend.md): requests the hub sends, answers it accepts ----
  HookConnection: object(
    { client: string, transport: { enum: ['websocket', 'sse'] }, user: nullableString },
    ['client', 'transport', 'user'],
    true,
  ),
  ConnectHookRequest: hookRequest('connect', {}),
  RefreshHookRequest: hookRequest('refresh', {}),
  SubscribeHookRequest: hookRequest('subscribe', { channel }),
  PublishHookRequest: hookRequest('publish', { channel, data: json }),
  RpcHookRequest: hookRequest('rpc', { method: channel, data: json }),
  HookDenial: object(
    { error: object({ message: { type: 'string', maxLength: MAX_HOOK_MESSAGE_LENGTH } }, [], true) },
    ['error'],
    true,
  ),
  ConnectHookAnswer: hookAnswer(
    object(
      {
        user: { type: 'string', minLength: 1, maxLength: 255 },
        info: json,
        expiresAt: { type: 'integer' },
        subscribe: patterns,
        publish: patterns,
        presence: patterns,
      },
      ['user'],
    ),
  ),
  RefreshHookAnswer: hookAnswer(object({ expiresAt: { type: 'integer' }, info: json }, ['expiresAt'])),
  SubscribeHookAnswer: hookAnswer(object({ info: json }, [])),
  PublishHookAnswer: hookAnswer(object({ data: json }, [])),
  RpcHookAnswer: hookAnswer(object({ data: json }, [])),
  // ---- Webhooks ----
  WebhookEvent: {
    oneOf: [
      object({ name: { enum: ['channel_occupied', 'channel_vacated'] }, channel: string }, [
        'name',
        'channel',
      ]),
      object(
        {
          name: { enum: ['member_added', 'member_removed'] },
          channel: string,
          client: string,
          user: nullableString,
        },
        ['name', 'channel', 'client', 'user'],
      ),
      object(
        {
          name: { const: 'client_event' },
          channel: string,
          client: string,
          user: nullableString,
          data: json,
          data_b64: string,
        },
        ['name', 'channel', 'client', 'user'],
      ),
      object({ name: { const: 'connection_closed' }, client: string, user: nullableString, reason: string }, [
        'name',
        'client',
        'user',
        'reason',
      ]),
    ],
  },
  WebhookPayload: object(
    {
      id: string,
      time_ms: { type: 'integer' },
      events: { type: 'array', items: ref('WebhookEvent'), minItems: 1 },
    },
    ['id', 'time_ms', 'events'],
  ),
};

function hookRequest(hook: string, fields: Record<string, Schema>): Schema {
  return {
    allOf: [
      ref('HookConnection'),
      object({ hook: { const: hook }, ...fields }, ['hook', ...Object.keys(fields)], true),
    ],
  };
}

function hookAnswer(result: Schema): Schema {
  return { oneOf: [object({ result }, ['result'], true), ref('HookDenial')] };
}

/** Each error status, with exactly the codes that answer with it. */
function errorResponses(): Record<string, unknown> {
  const byStatus = new Map<number, string[]>();
  for (const [code, { status }] of Object.entries(ERROR_CODES))
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  const out: Record<string, unknown> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = {
      description: codes.map((c) => `\`${c}\``).join(', '),
      content: {
        'application/json': {
          schema: {
            allOf: [ref('Error'), { properties: { error: { properties: { code: { enum: codes } } } } }],
          },
        },
      },
    };
  }
  return out;
}

interface Operation {
  readonly summary: string;
  readonly request?: string;
  readonly example?: unknown;
  readonly response: string;
  readonly scope: 'publish' | 'admin';
}

const jsonBody = (schema: Schema, example?: unknown) => ({
  required: true,
  content: {
    'application/json': {
      schema,
      ...(example === undefined ? {} : { examples: { example: { value: example } } }),
    },
  },
});

function operation(op: Operation): Record<string, unknown> {
  return {
    summary: op.summary,
    description:
      op.scope === 'publish'
        ? 'Any API key (`api.keys` or a publish-only key of `api.publishKeys`).'
        : 'A full-control API key (`api.keys`); a publish-only key gets 403 `forbidden`.',
    ...(op.request === undefined ? {} : { requestBody: jsonBody(ref(op.request), op.example) }),
    responses: {
      '200': { description: 'Done.', content: { 'application/json': { schema: ref(op.response) } } },
      ...errorResponses(),
    },
  };
}

/** The API's routes: path, method and the operation. `Api` serves exactly these (a test keeps the two in step). */
export const API_OPERATIONS: Readonly<Record<string, { method: 'get' | 'post'; op: Operation }>> = {
  '/api/publish': {
    method: 'post',
    op: {
      summary: 'Publish to one channel',
      request: 'PublishRequest',
      example: { channel: 'chat:lobby', data: { text: 'hello' }, idempotencyKey: 'msg-1' },
      response: 'Published',
      scope: 'publish',
    },
  },
  '/api/broadcast': {
    method: 'post',
    op: {
      summary: 'Publish the same data to up to 1000 channels',
      request: 'BroadcastRequest',
      example: { channels: ['user#1', 'user#2'], data: { text: 'hi' } },
      response: 'BroadcastResult',
      scope: 'publish',
    },
  },
  '/api/history': {
    method: 'post',
    op: {
      summary: "Read a channel's history",
      request: 'HistoryRequest',
      example: { channel: 'chat:lobby', limit: 10 },
      response: 'History',
      scope: 'admin',
    },
  },
  '/api/presence': {
    method: 'post',
    op: {
      summary: 'Who is subscribed to a channel',
      request: 'PresenceRequest',
      example: { channel: 'chat:lobby' },
      response: 'Presence',
      scope: 'admin',
    },
  },
  '/api/channels': {
    method: 'get',
    op: { summary: 'The channels with subscribers on this node', response: 'Channels', scope: 'admin' },
  },
  '/api/disconnect': {
    method: 'post',
    op: {
      summary: 'End a connection, or every connection of a user, on this node',
      request: 'DisconnectRequest',
      response: 'Disconnected',
      scope: 'admin',
    },
  },
  '/api/tickets': {
    method: 'post',
    op: {
      summary: 'A single-use SSE ticket (`/sse?ticket=…`)',
      request: 'TicketRequest',
      example: { user: '42', claims: { subscribe: ['chat:*'] } },
      response: 'Ticket',
      scope: 'admin',
    },
  },
};

const hookWebhook = (summary: string, request: string, answer: string) => ({
  post: {
    summary,
    description:
      'A proxy hook on the app backend (docs/backend.md): answer 200 with `{"result"}` or `{"error"}`.',
    requestBody: jsonBody(ref(request)),
    responses: {
      '200': { description: 'The decision.', content: { 'application/json': { schema: ref(answer) } } },
    },
  },
});

/** The whole document. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const [path, { method, op }] of Object.entries(API_OPERATIONS))
    paths[path] = { [method]: operation(op) };
  // A publish of bytes: the body is the payload as it is (protocol.md section 11).
  const publish = (paths['/api/publish'] as { post: { requestBody: { content: Record<string, unknown> } } })
    .post;
  publish.requestBody.content['application/octet-stream'] = {
    schema: {
      type: 'string',
      contentMediaType: 'application/octet-stream',
      description:
        'The payload, as bytes. The channel comes from the query (`channel`) or the `X-Switchboard-Channel` header, ' +
        'the idempotency key from the query (`idempotencyKey`) or the `Idempotency-Key` header; the query wins.',
    },
  };
  // Many publishes over one request (newline-delimited JSON both ways): not one JSON body, so described here.
  paths[PUBLISH_STREAM_PATH] = {
    post: {
      summary: 'Publish many times over one request: one line per publish, each answered, in order',
      description:
        'Any API key. The body is `application/x-ndjson`: each line one `PublishRequest` (at most `api.maxBodyBytes`). ' +
        'The answer streams `application/x-ndjson`, one line per non-blank request line, in order: its `Published` ' +
        'answer, or `{"line","error"}`. A bad line does not end the stream. docs/backend.md says more.',
      requestBody: {
        required: true,
        content: { [NDJSON]: { schema: ref('PublishRequest') } },
      },
      responses: {
        '200': {
          description: 'One answer line per request line.',
          content: { [NDJSON]: { schema: ref('PublishStreamAnswer') } },
        },
        ...errorResponses(),
      },
    },
  };
  paths[OPENAPI_PATH] = {
    get: {
      summary: 'This document',
      security: [],
      responses: {
        '200': {
          description: 'OpenAPI 3.1',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
      },
    },
  };
  paths['/sse/command'] = {
    post: {
      summary: "One command of an SSE stream's connection (protocol.md section 5)",
      security: [],
      parameters: [
        {
          name: 'X-Switchboard-Session',
          in: 'header',
          required: true,
          description: "The `session` of the stream's `connected` frame.",
          schema: { type: 'string', maxLength: MAX_TOKEN_LENGTH },
        },
      ],
      requestBody: jsonBody(ref('Command')),
      responses: {
        '200': { description: 'The reply frame.', content: { 'application/json': { schema: ref('Frame') } } },
        default: {
          description: 'An `error` frame.',
          content: { 'application/json': { schema: ref('Frame') } },
        },
      },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard HTTP API',
      version: '1',
      description:
        'The HTTP API for app backends, the proxy hooks the hub calls on them, and the webhooks it sends. docs/protocol.md and docs/backend.md say more.',
    },
    components: {
      schemas: SCHEMAS,
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (`api.keys`).' },
      },
    },
    security: [{ apiKey: [] }],
    paths,
    webhooks: {
      events: {
        post: {
          summary: 'Webhook events, POSTed to `webhooks.url`',
          description: `Signed: \`Switchboard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">\`. Events: ${WEBHOOK_EVENT_NAMES.join(', ')}.`,
          parameters: [
            { name: 'Switchboard-Signature', in: 'header', required: true, schema: { type: 'string' } },
          ],
          requestBody: jsonBody(ref('WebhookPayload')),
          responses: { '2XX': { description: 'Received; anything else is retried with the same `id`.' } },
        },
      },
      connectHook: hookWebhook(
        'The connect hook (`proxy.connect`)',
        'ConnectHookRequest',
        'ConnectHookAnswer',
      ),
      refreshHook: hookWebhook(
        'The refresh hook (`proxy.refresh`)',
        'RefreshHookRequest',
        'RefreshHookAnswer',
      ),
      subscribeHook: hookWebhook(
        'The subscribe hook (`channel.proxy.subscribe`)',
        'SubscribeHookRequest',
        'SubscribeHookAnswer',
      ),
      publishHook: hookWebhook(
        'The publish hook (`channel.proxy.publish`)',
        'PublishHookRequest',
        'PublishHookAnswer',
      ),
      rpcHook: hookWebhook('The rpc hook (`channel.proxy.rpc`)', 'RpcHookRequest', 'RpcHookAnswer'),
    },
  };
}
