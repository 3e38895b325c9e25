import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError, type PublishResult } from '@switchboard/engine-kit';
import type { ClientInfo, Position, ServerFrame } from '@switchboard/protocol';
import { Access } from '../auth/access.ts';
import { ANONYMOUS, type Authenticator, type Identity } from '../auth/types.ts';
import { DEFAULTS } from '../config/defaults.ts';
import type { Config } from '../config/types.ts';
import { type Disconnect, SwitchboardError } from '../errors.ts';
import { Metrics } from '../observability/metrics.ts';
import type { Transport } from '../transport/types.ts';
import { channelOptionsFrom } from './channel-options.ts';
import type { Member, SessionHost, SubscribeRequest } from './host.ts';
import type { PreparedFrame, PreparedPublication } from './prepared.ts';
import type { ReplySink } from './reply.ts';
import { Session } from './session.ts';
import { Subscription } from './subscription.ts';

// A Session with no node and no network: a fake host that records what the session asks of it, and a fake
// transport that records what it writes.

class FakeTransport implements Transport {
  readonly kind = 'websocket' as const;
  readonly frames: ServerFrame[] = [];
  readonly closes: Disconnect[] = [];
  readonly resumes: Array<[string, Position]> = [];
  readonly writableBytes = 0;
  send(frame: ServerFrame): void {
    this.frames.push(frame);
  }
  sendPrepared(frame: PreparedFrame): void {
    this.frames.push(frame.frame);
  }
  sendPublication(_prepared: PreparedPublication): void {}
  resumeFrom(channel: string, position: Position): void {
    this.resumes.push([channel, position]);
  }
  onDrain(): void {}
  close(d: Disconnect): void {
    this.closes.push(d);
  }
}

/** Tokens `user:<name>` verify as that user; anything else is refused, as the real authenticator does. */
const authenticator: Authenticator = {
  enabled: true,
  async verifyConnection(token: string): Promise<Identity> {
    await Promise.resolve();
    if (!token.startsWith('user:')) throw new SwitchboardError('unauthorized', 'invalid credentials');
    return {
      user: token.slice(5),
      authenticated: true,
      expiresAt: null,
      permissions: { subscribe: ['*'], publish: ['*'], presence: ['*'] },
    };
  },
  async verifySubscription(): Promise<void> {},
};

import type { Hooks } from '../proxy/hooks.ts';

class FakeHost implements SessionHost {
  readonly config: Config;
  readonly access: Access;
  readonly authenticator = authenticator;
  readonly metrics = new Metrics({
    connections: () => ({ websocket: 0, sse: 0 }),
    channels: () => 0,
    outgoingBytes: () => 0,
  });
  readonly channelOptions;
  // No namespace of these tests configures a hook: any call is a test failure.
  readonly hooks: Hooks = {
    connects: false,
    refreshes: false,
    connect: () => Promise.reject(new Error('no hooks here')),
    refresh: () => Promise.reject(new Error('no hooks here')),
    subscribe: () => Promise.reject(new Error('no hooks here')),
    publish: () => Promise.reject(new Error('no hooks here')),
    rpc: () => Promise.reject(new Error('no hooks here')),
  };
  readonly joins: SubscribeRequest[] = [];
  readonly leaves: string[] = [];
  readonly unregistered: string[] = [];
  readonly identifiedAs: Array<string | null> = [];
  failHistory = false;

  constructor(config: Config) {
    this.config = config;
    this.channelOptions = channelOptionsFrom(config);
    this.access = new Access(config, this.channelOptions);
  }

  async join(member: Member, request: SubscribeRequest, reply: ReplySink): Promise<boolean> {
    this.joins.push(request);
    const sub = new Subscription(request.channel, member);
    member.hold(sub);
    await Promise.resolve();
    const top = { epoch: 'e1', offset: 3 };
    member.resumeFrom(request.channel, top);
    reply.reply({
      type: 'subscribed',
      ...(request.id === undefined ? {} : { id: request.id }),
      channel: request.channel,
      ...top,
      recoverable: true,
    });
    sub.goLive(top, []);
    return true;
  }
  leave(_member: Member, sub: Subscription): void {
    sub.close();
    this.leaves.push(sub.channel);
  }
  async publish(channel: string, data: unknown): Promise<PublishResult> {
    const publication = { channel, epoch: 'e1', offset: 4, data: JSON.stringify(data), time: 0 };
    return { publication, duplicate: false };
  }
  async history() {
    if (this.failHistory) throw new EngineError('the engine is down');
    return { top: { epoch: 'e1', offset: 0 }, publications: [], recovered: true };
  }
  async presence() {
    return [{ client: 'c1', user: null }];
  }
  presenceJoin(_channel: string, _client: ClientInfo): void {}
  identified(_id: string, previousUser: string | null): void {
    this.identifiedAs.push(previousUser);
  }
  unregister(id: string): void {
    this.unregistered.push(id);
  }
  logFailure(): void {}
}

function setup(over: (c: Config) => Config = (c) => c, identity: Identity = ANONYMOUS) {
  const host = new FakeHost(over(structuredClone(DEFAULTS) as Config));
  const transport = new FakeTransport();
  const session = new Session(host, transport, 'client-1', identity);
  const answers: ServerFrame[] = [];
  const sink: ReplySink = { reply: (f) => answers.push(f) };
  return { host, transport, session, answers, sink };
}

const errorCount = async (host: FakeHost, code: string) =>
  (await host.metrics.errors.get()).values.find((v) => v.labels.code === code)?.value ?? 0;

describe('Session (through its host interface)', () => {
  it('answers a command into the reply sink it came with; nothing of it goes to the connection', async () => {
    const { session, transport, answers, sink } = setup();
    await session.handle({ type: 'ping', id: 1 }, sink);
    await session.handle({ type: 'presence', id: 2, channel: 'p' }, sink);
    assert.deepEqual(answers, [
      { type: 'pong', id: 1 },
      { type: 'presence', id: 2, channel: 'p', clients: [{ client: 'c1', user: null }] },
    ]);
    assert.deepEqual(transport.frames, []);
  });

  it('subscribes through the host with one request object, after checking its own limits', async () => {
    const { host, session, transport, answers, sink } = setup((c) => ({
      ...c,
      limits: { ...c.limits, maxChannelsPerConnection: 2 },
    }));
    const since = { epoch: 'e1', offset: 1 };
    await session.handle({ type: 'subscribe', id: 's1', channel: 'a', since, rate: 5 }, sink);
    await session.handle({ type: 'subscribe', id: 's2', channel: 'a' }, sink);
    await session.handle({ type: 'subscribe', id: 's3', channel: 'b' }, sink);
    await session.handle({ type: 'subscribe', id: 's4', channel: 'c' }, sink);
    assert.deepEqual(host.joins, [
      { id: 's1', channel: 'a', since, rate: 5 },
      { id: 's3', channel: 'b' },
    ]);
    assert.deepEqual(
      answers.map((f) => (f.type === 'error' ? `${f.id} ${f.code}` : `${f.type} ${'id' in f ? f.id : ''}`)),
      ['subscribed s1', 's2 already_subscribed', 'subscribed s3', 's4 too_many_channels'],
    );
    assert.deepEqual(transport.resumes, [
      ['a', { epoch: 'e1', offset: 3 }],
      ['b', { epoch: 'e1', offset: 3 }],
    ]);
    assert.deepEqual([...session.channels()], ['a', 'b']);
    assert.equal(await errorCount(host, 'already_subscribed'), 1);
  });

  it('unsubscribes through the host and answers; an unknown channel is not_subscribed', async () => {
    const { host, session, answers, sink } = setup();
    await session.handle({ type: 'subscribe', channel: 'a' }, sink);
    await session.handle({ type: 'unsubscribe', id: 9, channel: 'a' }, sink);
    await session.handle({ type: 'unsubscribe', id: 10, channel: 'a' }, sink);
    assert.deepEqual(host.leaves, ['a']);
    assert.deepEqual(answers.slice(1), [
      { type: 'unsubscribed', id: 9, channel: 'a' },
      {
        type: 'error',
        id: 10,
        code: 'not_subscribed',
        message: 'not subscribed to this channel',
        channel: 'a',
      },
    ]);
  });

  it('meters inbound frames: too_many_requests past the command rate, 4504 past the error rate', async () => {
    const { host, session, transport, answers, sink } = setup((c) => ({
      ...c,
      limits: { ...c.limits, commandRate: 1, errorRate: 1 },
    }));
    for (let id = 1; id <= 3; id++) if (session.admit(sink)) await session.handle({ type: 'ping', id }, sink);
    // A bucket of twice the rate: two frames pass at once, the third is refused.
    assert.deepEqual(
      answers.map((f) => f.type),
      ['pong', 'pong', 'error'],
    );
    assert.equal(answers[2]?.type === 'error' && answers[2].code, 'too_many_requests');
    assert.equal(
      (await host.metrics.rateLimited.get()).values.find((v) => v.labels.limit === 'command')?.value,
      1,
    );
    // The error budget (2 at once) had one refusal; one more fault is answered, the next closes.
    session.unreadable({ code: 'invalid_json', message: 'frame is not valid JSON' }, sink);
    assert.equal(answers.length, 4);
    assert.equal(session.admit(sink), false);
    assert.equal(answers.length, 4);
    assert.equal(session.state, 'closed');
    assert.deepEqual(
      transport.closes.map((d) => [d.code, d.reason]),
      [[4504, 'too_many_errors']],
    );
  });

  it('runs commands after an auth still being verified, and a refused auth disconnects with 4501', async () => {
    const { host, session, transport, answers, sink } = setup();
    const auth = session.handle({ type: 'auth', id: 'a1', token: 'user:alice' }, sink);
    const ping = session.handle({ type: 'ping', id: 'p1' }, sink);
    await Promise.all([auth, ping]);
    assert.deepEqual(
      answers.map((f) => f.type),
      ['authed', 'pong'],
    );
    assert.equal(session.user, 'alice');
    assert.deepEqual(host.identifiedAs, [null]);

    const other = setup();
    await other.session.handle({ type: 'auth', id: 'a2', token: 'forged' }, other.sink);
    assert.deepEqual(other.answers, [
      { type: 'error', id: 'a2', code: 'unauthorized', message: 'invalid credentials' },
    ]);
    assert.deepEqual(
      other.transport.closes.map((d) => d.code),
      [4501],
    );
    assert.equal(other.session.state, 'closed');
    assert.deepEqual(transport.closes, []);
  });

  it('turns a host failure into a coded error with the command id and channel', async () => {
    const { host, session, answers, sink } = setup();
    host.failHistory = true;
    await session.handle({ type: 'history', id: 7, channel: 'h' }, sink);
    assert.deepEqual(answers, [
      { type: 'error', id: 7, code: 'unavailable', message: 'the engine is down', channel: 'h' },
    ]);
  });

  it('publishes only where the namespace lets clients publish', async () => {
    const { session, answers, sink } = setup((c) => ({
      ...c,
      namespaces: { open: { clientPublish: true } },
    }));
    await session.handle({ type: 'publish', id: 1, channel: 'closed', data: 1 }, sink);
    await session.handle({ type: 'publish', id: 2, channel: 'open:x', data: { a: 1 } }, sink);
    assert.deepEqual(answers, [
      {
        type: 'error',
        id: 1,
        code: 'forbidden',
        message: 'clients may not publish to this channel',
        channel: 'closed',
      },
      { type: 'published', id: 2, channel: 'open:x', epoch: 'e1', offset: 4 },
    ]);
  });

  it('leaves every channel and unregisters once when closed, and answers nothing after', async () => {
    const { host, session, answers, sink } = setup();
    await session.handle({ type: 'subscribe', channel: 'a' }, sink);
    await session.handle({ type: 'subscribe', channel: 'b' }, sink);
    session.closed();
    session.closed();
    assert.deepEqual(host.leaves.sort(), ['a', 'b']);
    assert.deepEqual(host.unregistered, ['client-1']);
    const before = answers.length;
    await session.handle({ type: 'ping', id: 1 }, sink);
    assert.equal(answers.length, before);
  });

  it('sends errors about no command to the connection', () => {
    const { session, transport } = setup();
    session.error(undefined, 'bad_request', 'binary frames are not accepted; send JSON text');
    assert.deepEqual(transport.frames, [
      { type: 'error', code: 'bad_request', message: 'binary frames are not accepted; send JSON text' },
    ]);
  });
});
