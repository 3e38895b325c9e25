// Every command a user copies from README.md and docs/*.md, run against a real hub: shell blocks (curl lines
// included) and Node snippets, with the documented port 8080 replaced by a free one. A block that cannot run here
// says so in its info string (tests/docs/blocks.ts): `norun: <reason>`, `tested-by=<test>`, or `file=<name>`.
// An unmarked block that fails fails this test; the norun blocks are listed at the end.
//
// How a block runs: from the repository root (the repo is installed, so a bare `npm install` is skipped), with
// `switchboard` on the PATH (the repo's CLI, as `npm install -g` would give), curl failing on an HTTP error status
// (`--fail-with-body`), and `$KEY` set to the hub's API key.
// A command that starts a hub (`npm start`, `switchboard serve`, `npm run demos`) runs in the background on a port
// of its own (8080 and `PORT` replaced) until it answers /healthz, then is stopped; every other command must exit 0.
// A Node snippet must exit 0, or keep running and print a publication made to a channel it names (published every
// half second while it runs), with nothing on stderr.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  globSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestHub, TEST_API_KEY, type TestHub } from '../helpers/hub.ts';
import { freePort } from '../helpers/nginx.ts';
import { type Block, blocksOf, commandsOf, JS, SHELL, startsServer } from './blocks.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DOCS = ['README.md', ...globSync('docs/*.md', { cwd: ROOT }).sort()];
const all = DOCS.flatMap((doc) => blocksOf(doc, join(ROOT, doc)));

/** This Node's resolution flags (the repo's `switchboard-source` condition), without the test runner's own. */
const NODE_FLAGS = process.execArgv.filter((a) => a.startsWith('--conditions') || a.startsWith('-C'));

const work = mkdtempSync(join(tmpdir(), 'switchboard-docs-'));
const shims = join(work, 'bin');
let hub: TestHub;

/** The environment a block runs in: no SWITCHBOARD_* of ours (unknown ones are refused), the shims first. */
function blockEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SWITCHBOARD_')) env[k] = v;
  return { ...env, PATH: `${shims}:${process.env.PATH ?? ''}`, KEY: TEST_API_KEY, ...extra };
}

/** The files a document shows, by name: where they are written for its commands, and their text. */
type Files = ReadonlyMap<string, { readonly path: string; readonly code: string }>;

/** Writes a document's files with the port its next command uses. */
function writeFiles(files: Files, port: number): void {
  for (const { path, code } of files.values()) {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, adapt(code, port, new Map()));
  }
}

/** The block's text as it runs here: the port, the skipped `npm install`, the files written for this document. */
function adapt(text: string, port: number, files: Files): string {
  let out = text
    .replace(/\b(8080|3000)\b/g, String(port))
    .replace(/\bnpm install(?=\s*(?:&&|;|#|$))/gm, 'true');
  for (const [name, { path }] of files) out = out.replaceAll(name, path);
  return out;
}

function collect(proc: ChildProcess): { out: () => string; err: () => string; exit: Promise<number | null> } {
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => {
    out += String(d);
  });
  proc.stderr?.on('data', (d: Buffer) => {
    err += String(d);
  });
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { out: () => out, err: () => err, exit };
}

function stopGroup(proc: ChildProcess): void {
  try {
    if (proc.pid !== undefined) process.kill(-proc.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

async function healthy(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null);
  return res?.ok === true;
}

async function runServer(command: string, files: Files): Promise<void> {
  const port = await freePort();
  writeFiles(files, port);
  const proc = spawn('bash', ['-c', adapt(command, port, files)], {
    cwd: ROOT,
    env: blockEnv({ PORT: String(port) }),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const io = collect(proc);
  try {
    const deadline = Date.now() + 60_000;
    while (!(await healthy(port))) {
      if (proc.exitCode !== null)
        assert.fail(`exited (${proc.exitCode}) without serving:\n${io.out()}\n${io.err()}`.slice(0, 3000));
      if (Date.now() > deadline)
        assert.fail(`no /healthz on ${port} after 60 s:\n${io.err()}`.slice(0, 3000));
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    stopGroup(proc);
    await io.exit;
  }
}

async function runCommand(command: string, files: Files): Promise<void> {
  writeFiles(files, hub.port);
  const proc = spawn('bash', ['-e', '-o', 'pipefail', '-c', adapt(command, hub.port, files)], {
    cwd: ROOT,
    env: blockEnv(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const io = collect(proc);
  const timer = setTimeout(() => stopGroup(proc), 120_000);
  const code = await io.exit;
  clearTimeout(timer);
  assert.equal(code, 0, `\`${command}\` failed:\n${io.out()}\n${io.err()}`.slice(0, 3000));
}

let snippets = 0;
async function runNode(block: Block, files: Files): Promise<void> {
  // Inside the repository, so `@switchboard/*` imports resolve as in an installed project.
  const dir = join(ROOT, 'tests/docs/.run');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `snippet-${process.pid}-${++snippets}.mjs`);
  writeFileSync(file, adapt(block.code, hub.port, files));
  const proc = spawn(process.execPath, [...NODE_FLAGS, file], {
    cwd: ROOT,
    env: blockEnv(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const io = collect(proc);
  try {
    const channels = [
      ...block.code.matchAll(/subscribe\(\s*'([^']+)'|channel: '([^']+)'|channel=([\w:-]+)/g),
    ].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
    // Until it exits, publish to the channels it names; a snippet still running must show one of them.
    const deadline = Date.now() + 20_000;
    while (proc.exitCode === null && Date.now() < deadline) {
      for (const channel of channels) await hub.publish(channel, { from: 'the docs test' });
      await Promise.race([io.exit, new Promise((r) => setTimeout(r, 500))]);
      const shown = channels.length > 0 ? io.out().includes('the docs test') : io.out() !== '';
      if (proc.exitCode === null && shown) {
        assert.equal(io.err(), '', 'nothing on stderr');
        return;
      }
    }
    assert.notEqual(
      proc.exitCode,
      null,
      `still running after 20 s without printing a publication:\n${io.out()}\n${io.err()}`,
    );
    assert.equal(proc.exitCode, 0, `exited ${proc.exitCode}:\n${io.out()}\n${io.err()}`.slice(0, 3000));
  } finally {
    stopGroup(proc);
    await io.exit;
    rmSync(file, { force: true });
  }
}

describe('the commands in README.md and docs/*.md', () => {
  before(async () => {
    mkdirSync(shims);
    const cli = join(shims, 'switchboard');
    writeFileSync(
      cli,
      `#!/bin/sh\nexec "${process.execPath}" ${NODE_FLAGS.join(' ')} "${join(ROOT, 'packages/server/bin/switchboard.js')}" "$@"\n`,
    );
    chmodSync(cli, 0o755);
    // An HTTP error is a failed command: curl alone exits 0 on a 415.
    const curl = join(shims, 'curl');
    writeFileSync(curl, '#!/bin/sh\nexec /usr/bin/curl --fail-with-body "$@"\n');
    chmodSync(curl, 0o755);
    hub = await startTestHub({ channel: { clientPublish: true } });
  });
  after(async () => {
    await hub?.shutdown();
    rmSync(work, { recursive: true, force: true });
  });

  for (const doc of DOCS) {
    const blocks = all.filter((b) => b.doc === doc);
    // Files a document shows (a config file), written where its commands can find them.
    const files = new Map<string, { path: string; code: string }>();
    for (const b of blocks) {
      if (b.file === undefined || existsSync(join(ROOT, b.file))) continue;
      files.set(b.file, { path: join(work, doc.replaceAll('/', '_'), b.file), code: b.code });
    }
    describe(doc, () => {
      for (const b of blocks) {
        const where = `${doc}:${b.line}`;
        if (b.norun !== undefined) continue; // listed below
        if (b.testedBy !== undefined) {
          it(`${where} is run by ${b.testedBy}`, () => {
            assert.ok(existsSync(join(ROOT, b.testedBy!)), `${b.testedBy} does not exist`);
          });
        } else if (b.file !== undefined && existsSync(join(ROOT, b.file))) {
          it(`${where} shows ${b.file} as it is`, () => {
            assert.equal(b.code.trimEnd(), readFileSync(join(ROOT, b.file!), 'utf8').trimEnd());
          });
        } else if (b.file !== undefined) {
          it(`${where} is the file ${b.file}, used by the blocks after it`, () => {
            assert.ok(files.has(b.file!));
          });
        } else if (SHELL.has(b.lang)) {
          it(`${where} runs (${b.lang})`, async () => {
            for (const command of commandsOf(b.code)) {
              if (startsServer(command)) await runServer(command, files);
              else await runCommand(command, files);
            }
          });
        } else if (JS.has(b.lang)) {
          it(`${where} runs in Node`, () => runNode(b, files));
        }
      }
    });
  }

  it('lists the blocks that are not run, each with its reason', () => {
    const norun = all.filter((b) => b.norun !== undefined);
    for (const b of norun) assert.notEqual(b.norun, '', `${b.doc}:${b.line} says norun without a reason`);
    console.log(`# ${norun.length} of ${all.length} code blocks are not run:`);
    for (const b of norun) console.log(`#   ${b.doc}:${b.line} (${b.lang}): ${b.norun}`);
  });
});
