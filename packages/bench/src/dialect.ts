// What differs between the hubs the generator can drive: paths, the subscribe handshake, how a subscription
// is confirmed, which number sequences a channel, and how to publish. Switchboard's protocol is the default;
// nchan and Socket.IO are the peers the suite compares against.

export type Transport = 'ws' | 'sse';
export type DialectName = 'switchboard' | 'nchan' | 'socketio' | 'pusher';

/** One HTTP request of the publisher. */
export interface PublishRequest {
  path: string;
  body: string;
}

export interface Dialect {
  readonly name: DialectName;
  readonly transports: readonly Transport[];
  /** Whether the hub can publish one message to many channels in one request. */
  readonly broadcast: boolean;
  wsPath(channel: string): string;
  /** Text messages sent right after the upgrade. */
  wsOpen(channel: string): string[];
  ssePath(channel: string): string;
  /** True when a subscription is live once the handshake succeeds (no confirmation frame). */
  readonly readyOnHandshake: boolean;
  /**
   * For a WebSocket data message that is not a publication: `'subscribed'` when it confirms the subscription,
   * text messages to send back (a protocol-level ping, a handshake step), or null.
   */
  control(text: string, channel: string): 'subscribed' | string[] | null;
  publish(channel: string, data: string): PublishRequest;
  broadcastRequest(channels: readonly string[], data: string): PublishRequest;
}

/** A Switchboard wire version (docs/protocol.md, section 12): 2 is what the client SDK asks for. */
export type WireVersion = 1 | 2;

/**
 * Switchboard's own protocol at wire version 2, as the SDK speaks it (`wire=2`: publications as compact frames,
 * `[sid,data]`). The subscriber reads the payload's fields wherever they sit in the message, so it counts
 * compact frames and version 1 frames alike; `dialectFor` gives the version 1 variant (`--wire 1`).
 */
const switchboard: Dialect = {
  name: 'switchboard',
  transports: ['ws', 'sse'],
  broadcast: true,
  wsPath: () => '/ws?wire=2',
  wsOpen: (channel) => [JSON.stringify({ type: 'subscribe', id: 1, channel })],
  ssePath: (channel) => `/sse?channel=${encodeURIComponent(channel)}&wire=2`,
  readyOnHandshake: false,
  control: (text) => (text.includes('"type":"subscribed"') ? 'subscribed' : null),
  publish: (channel, data) => ({
    path: '/api/publish',
    body: `{"channel":${JSON.stringify(channel)},"data":${data}}`,
  }),
  broadcastRequest: (channels, data) => ({
    path: '/api/broadcast',
    body: `{"channels":${JSON.stringify(channels)},"data":${data}}`,
  }),
};

/** nchan (nginx module) as configured by bench/adapters/nchan.ts: `/sub?channel=` and `/pub?channel=`. */
const nchan: Dialect = {
  name: 'nchan',
  transports: ['ws', 'sse'],
  broadcast: false,
  wsPath: (channel) => `/sub?channel=${encodeURIComponent(channel)}`,
  wsOpen: () => [],
  ssePath: (channel) => `/sub?channel=${encodeURIComponent(channel)}`,
  readyOnHandshake: true,
  control: () => null,
  publish: (channel, data) => ({ path: `/pub?channel=${encodeURIComponent(channel)}`, body: data }),
  broadcastRequest: () => {
    throw new Error('nchan has no broadcast');
  },
};

/** Socket.IO 4 (Engine.IO 4 over WebSocket only) as served by bench/adapters/socketio-server.ts. */
const socketio: Dialect = {
  name: 'socketio',
  transports: ['ws'],
  broadcast: true,
  wsPath: () => '/socket.io/?EIO=4&transport=websocket',
  wsOpen: () => [],
  ssePath: () => {
    throw new Error('Socket.IO has no SSE transport');
  },
  readyOnHandshake: false,
  control: (text, channel) => {
    if (text === '2') return ['3']; // Engine.IO ping → pong
    if (text.startsWith('0{')) return ['40']; // Engine.IO open → connect the default namespace
    if (text.startsWith('40')) return [`42["subscribe",${JSON.stringify(channel)}]`];
    if (text.startsWith('42["subscribed"')) return 'subscribed';
    return null;
  },
  publish: switchboard.publish,
  broadcastRequest: switchboard.broadcastRequest,
};

/** The key of the Pusher app the `switchboard-pusher` target configures (bench/targets.ts). */
export const BENCH_PUSHER_APP = { id: 'bench', key: 'bench-key', secret: 'bench-secret-not-for-production' };

/**
 * Switchboard's Pusher Channels dialect (protocol 7 at `/app/{key}`) on public channels. Publications go through
 * the hub's own API as a Pusher envelope (`{"event","data"}`), so each subscriber gets a Pusher event whose
 * `data` is the payload object (its send time and sequence readable as they are); the Pusher REST API would
 * need a signature per request, which this publisher's pre-built bodies cannot carry.
 */
const pusher: Dialect = {
  name: 'pusher',
  transports: ['ws'],
  broadcast: true,
  wsPath: () => `/app/${BENCH_PUSHER_APP.key}?protocol=7&client=bench&version=1`,
  wsOpen: (channel) => [JSON.stringify({ event: 'pusher:subscribe', data: { channel } })],
  ssePath: () => {
    throw new Error('the Pusher dialect has no SSE transport (its channels do: use the switchboard dialect)');
  },
  readyOnHandshake: false,
  control: (text) => {
    if (text.includes('"event":"pusher_internal:subscription_succeeded"')) return 'subscribed';
    if (text.includes('"event":"pusher:ping"')) return ['{"event":"pusher:pong","data":{}}'];
    return null;
  },
  publish: (channel, data) => ({
    path: '/api/publish',
    body: `{"channel":${JSON.stringify(channel)},"data":{"event":"bench","data":${data}}}`,
  }),
  broadcastRequest: (channels, data) => ({
    path: '/api/broadcast',
    body: `{"channels":${JSON.stringify(channels)},"data":{"event":"bench","data":${data}}}`,
  }),
};

/** Switchboard's protocol at wire version 1: every publication a full `message` frame. */
const switchboardV1: Dialect = {
  ...switchboard,
  wsPath: () => '/ws',
  ssePath: (channel) => `/sse?channel=${encodeURIComponent(channel)}`,
};

export const DIALECTS: Record<DialectName, Dialect> = { switchboard, nchan, socketio, pusher };

/** The dialect `name` at wire version `wire` (only Switchboard's own protocol has versions). */
export function dialectFor(name: DialectName, wire: WireVersion = 2): Dialect {
  return name === 'switchboard' && wire === 1 ? switchboardV1 : DIALECTS[name];
}

export function isDialectName(s: string): s is DialectName {
  return s === 'switchboard' || s === 'nchan' || s === 'socketio' || s === 'pusher';
}
