// The notifications backend: signs people in with a token for their own notification channel
// (`notify:inbox#<user>`, a user channel nobody else can read), sends notifications into it from the page's
// form (as an app's server would on an event), and every second charts the hub's own figures (its /metrics)
// on `dash:hub`, whose history is the dashboard's last two minutes.
import { badRequest, hubGet, notFound, publish, serveBackend, signToken } from '../kit/backend.ts';

const NAME = /^[A-Za-z0-9_-]{1,24}$/;
const DASH_MS = Number(process.env.DEMO_DASH_INTERVAL_MS ?? 1000);

/** The sum of a metric's samples in Prometheus text (every label set), or 0. */
function metric(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labels !== '' && !rest.startsWith(`{${labels}`)) continue;
    sum += Number(rest.slice(rest.lastIndexOf(' ') + 1)) || 0;
  }
  return sum;
}

let previous: { at: number; deliveries: number; publications: number } | undefined;
async function sample(): Promise<void> {
  const text = await hubGet('/metrics');
  const at = Date.now();
  const deliveries = metric(text, 'switchboard_deliveries_total');
  const publications = metric(text, 'switchboard_publications_total');
  const seconds = previous === undefined ? 0 : (at - previous.at) / 1000;
  const rate = (now: number, before: number | undefined) =>
    seconds > 0 && before !== undefined ? Math.round((now - before) / seconds) : 0;
  await publish('dash:hub', {
    at,
    connections: {
      websocket: metric(text, 'switchboard_connections', 'transport="websocket"'),
      sse: metric(text, 'switchboard_connections', 'transport="sse"'),
    },
    channels: metric(text, 'switchboard_channels'),
    deliveriesPerSecond: rate(deliveries, previous?.deliveries),
    publicationsPerSecond: rate(publications, previous?.publications),
  });
  previous = { at, deliveries, publications };
}
const timer = setInterval(() => {
  sample().catch((err: unknown) => process.stderr.write(`notify: ${String(err)}\n`));
}, DASH_MS);

let sent = 0;
await serveBackend(
  async ({ method, path, body }) => {
    if (method === 'POST' && path === '/api/login') {
      const name = (body as { name?: unknown } | undefined)?.name;
      if (typeof name !== 'string' || !NAME.test(name))
        return badRequest('a name of 1 to 24 letters, digits, _ or -');
      // No patterns needed: a user channel (`…#<user>`) is open to its user, and the dashboard to everyone.
      return { body: { user: name, token: await signToken({ sub: name, info: { name } }, 3600) } };
    }
    if (method === 'POST' && path === '/api/notify') {
      const { to, text, from } = (body ?? {}) as { to?: unknown; text?: unknown; from?: unknown };
      if (typeof to !== 'string' || !NAME.test(to)) return badRequest('to: a user name');
      if (typeof text !== 'string' || text.length === 0 || text.length > 280)
        return badRequest('text: 1 to 280 characters');
      sent += 1;
      const r = await publish(`notify:inbox#${to}`, {
        id: `n${sent}`,
        from: typeof from === 'string' ? from.slice(0, 24) : 'system',
        text,
        at: Date.now(),
      });
      return { body: { offset: r.offset } };
    }
    return notFound;
  },
  () => clearInterval(timer),
);
