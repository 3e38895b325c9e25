// The chat backend: signs people in (a name, no password: a demo) with a connection token for the rooms, and
// relays direct messages into the two people's user channels (`dm:inbox#<user>`), which only they can read.
import { jwtVerify } from 'jose';
import { badRequest, HubError, notFound, publish, serveBackend, signToken } from '../kit/backend.ts';

const NAME = /^[A-Za-z0-9_-]{1,24}$/;
const SECRET = new TextEncoder().encode(process.env.DEMO_TOKEN_SECRET ?? '');
const ROOMS = ['lobby', 'random', 'help'] as const;

/** The user a request's `Authorization: Bearer <token>` names (the token the backend issued); 401 otherwise. */
async function userOf(authorization: string | undefined): Promise<string> {
  const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
  try {
    const { payload } = await jwtVerify(token, SECRET, { algorithms: ['HS256'] });
    if (typeof payload.sub === 'string') return payload.sub;
  } catch {
    // Any failure is the same 401 below.
  }
  throw new HubError(401, 'unauthorized', 'sign in first');
}

await serveBackend(async ({ method, path, body, headers }) => {
  if (method === 'POST' && path === '/api/login') {
    const name = (body as { name?: unknown } | undefined)?.name;
    if (typeof name !== 'string' || !NAME.test(name))
      return badRequest('a name of 1 to 24 letters, digits, _ or -');
    const token = await signToken(
      {
        sub: name,
        info: { name },
        subscribe: ['chat:*', 'typing:*'],
        publish: ['chat:*', 'typing:*'],
        presence: ['chat:*'],
      },
      3600,
    );
    return { body: { token, user: name, rooms: ROOMS } };
  }
  if (method === 'POST' && path === '/api/dm') {
    const from = await userOf(headers.authorization);
    const { to, text, id } = (body ?? {}) as { to?: unknown; text?: unknown; id?: unknown };
    if (typeof to !== 'string' || !NAME.test(to)) return badRequest('to: a user name');
    if (typeof text !== 'string' || text.length === 0 || text.length > 1000)
      return badRequest('text: 1 to 1000 characters');
    if (typeof id !== 'string' || id.length === 0 || id.length > 64)
      return badRequest('id: the message id (1 to 64 characters)');
    const message = { id, from, to, text, at: Date.now() };
    // The page's message id is the idempotency key: a retried request never doubles the message.
    const channels = from === to ? [to] : [to, from];
    const results = await Promise.all(
      channels.map((u) => publish(`dm:inbox#${u}`, message, `dm-${from}-${id}`)),
    );
    return { body: { delivered: true, duplicate: results.some((r) => r.duplicate === true) } };
  }
  return notFound;
});
