// The collaborative-editing backend keeps a snapshot of the document: every DEMO_COLLAB_SNAPSHOT_MS (default
// 2000) it reads the channel's history since its last position (HTTP API), applies the Yjs updates, and keeps
// the whole document with the position it covers. A late joiner loads that snapshot and subscribes from its
// position: the hub sends the rest from history.
import * as Y from 'yjs';
import { hubApi, notFound, serveBackend } from '../kit/backend.ts';

const CHANNEL = 'collab:doc1';
const EVERY = Number(process.env.DEMO_COLLAB_SNAPSHOT_MS ?? 2000);

/** Publications are bytes (`data_b64` in the HTTP API): the layout the page's codec writes (page.ts). */
interface Publication {
  offset: number;
  data_b64?: string;
}

/** The document update in a publication: after its length (u32, big-endian); none when the length is 0. */
function updateOf(p: Publication): Buffer | undefined {
  if (p.data_b64 === undefined) return undefined;
  const bytes = Buffer.from(p.data_b64, 'base64');
  if (bytes.length < 4) return undefined;
  const n = bytes.readUInt32BE(0);
  return n > 0 && 4 + n <= bytes.length ? bytes.subarray(4, 4 + n) : undefined;
}
interface History {
  epoch: string;
  offset: number;
  recovered?: boolean;
  publications: Publication[];
}

let doc = new Y.Doc();
let position: { epoch: string; offset: number } | undefined;

async function catchUp(): Promise<void> {
  for (;;) {
    const h = await hubApi<History>('history', {
      channel: CHANNEL,
      limit: 1000,
      ...(position === undefined ? {} : { since: position }),
    });
    if (h.recovered === false) {
      // The history no longer reaches back to the snapshot (a new epoch): start again from what it holds.
      doc = new Y.Doc();
      position = undefined;
      continue;
    }
    for (const p of h.publications) {
      const update = updateOf(p);
      if (update !== undefined) Y.applyUpdate(doc, update);
    }
    const last = h.publications.at(-1);
    if (last !== undefined) position = { epoch: h.epoch, offset: last.offset };
    else position ??= { epoch: h.epoch, offset: h.offset };
    if (h.publications.length < 1000) return;
  }
}

let busy = false;
const timer = setInterval(() => {
  if (busy) return;
  busy = true;
  catchUp()
    .catch((err: unknown) => process.stderr.write(`collab: ${String(err)}\n`))
    .finally(() => {
      busy = false;
    });
}, EVERY);

await serveBackend(
  async ({ path }) => {
    if (path === '/api/snapshot') {
      if (position === undefined) await catchUp();
      return {
        body: {
          update: Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64'),
          position,
          text: doc.getText('text').toString(),
        },
      };
    }
    return notFound;
  },
  () => clearInterval(timer),
);
