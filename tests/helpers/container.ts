// Podman as it runs on these machines (Debian's podman on hybrid cgroups, no image registry): runc with the
// cgroupfs manager, vfs storage in a folder of our own, and a containers.conf without default ulimits (the defaults
// are refused here). The base image stands in for the official Node.js image: a Debian bookworm root filesystem made
// with debootstrap from the machine's own apt source, with this Node and npm at /usr/local and a `node` user (uid
// 1000), as the official images have. It is built once and kept under the temp dir, keyed by what goes into it.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Bumped when the recipe of the base image changes, so a cached one is not reused. */
const RECIPE = 3;

export interface Podman {
  /** Runs podman with our global options; throws with its stderr on failure. */
  run(args: readonly string[], options?: { input?: string; timeoutMs?: number }): string;
  /** The same, returning the exit status and outputs instead of throwing. */
  try(args: readonly string[]): { status: number | null; stdout: string; stderr: string };
  readonly env: NodeJS.ProcessEnv;
  readonly globalArgs: readonly string[];
  /** Where the base root filesystem and podman's storage are kept between runs. */
  readonly cacheDir: string;
}

/** Installs podman, runc and debootstrap with apt-get when one is missing (this tier runs as root, like CI). */
export function ensureTools(): void {
  const missing = ['podman', 'runc', 'debootstrap'].filter(
    (tool) => spawnSync('/bin/sh', ['-c', `command -v ${tool}`]).status !== 0,
  );
  if (missing.length === 0) return;
  console.log(`# installing ${missing.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'inherit',
    env,
  });
}

/** The first `URIs:` (deb822) or `deb` line's mirror of the machine's apt sources, for debootstrap. */
export function aptMirror(): string {
  const files = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];
  for (const file of files) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const deb822 = /^URIs:\s*(\S+)/m.exec(text);
    if (deb822?.[1] !== undefined) return deb822[1];
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/m.exec(text);
    if (oneLine?.[1] !== undefined) return oneLine[1];
  }
  return 'http://deb.debian.org/debian';
}

/** Podman with this machine's options, its storage under the cache folder. */
export function podman(): Podman {
  const npmDir = dirname(
    dirname(readlinkf(execFileSync('/bin/sh', ['-c', 'command -v npm']).toString().trim())),
  );
  const cacheDir = join(tmpdir(), 'switchboard-container-cache');
  mkdirSync(cacheDir, { recursive: true });
  const conf = join(cacheDir, 'containers.conf');
  writeFileSync(conf, '[containers]\ndefault_ulimits = []\n');
  const env = { ...process.env, CONTAINERS_CONF: conf };
  const globalArgs = [
    '--runtime',
    'runc',
    '--cgroup-manager=cgroupfs',
    '--storage-driver=vfs',
    '--root',
    join(cacheDir, 'storage'),
    '--runroot',
    join(cacheDir, 'run'),
  ];
  const self: Podman & { npmDir: string } = {
    npmDir,
    env,
    globalArgs,
    cacheDir,
    run(args, options = {}) {
      const r = spawnSync('podman', [...globalArgs, ...args], {
        env,
        input: options.input,
        timeout: options.timeoutMs ?? 600_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      if (r.status !== 0)
        throw new Error(
          `podman ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr?.toString() ?? ''}`,
        );
      return r.stdout.toString();
    },
    try(args) {
      const r = spawnSync('podman', [...globalArgs, ...args], { env, maxBuffer: 64 * 1024 * 1024 });
      return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
    },
  };
  return self;
}

function readlinkf(path: string): string {
  return execFileSync('readlink', ['-f', path]).toString().trim();
}

function npmVersion(npmDir: string): string {
  return (JSON.parse(readFileSync(join(npmDir, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Why podman cannot run a container here at all, or null when it can: tried with a container of the base image
 * (an empty `true`), the cheapest thing that exercises the runtime, cgroups and storage.
 */
export function podmanUnusable(p: Podman, image: string): string | null {
  const r = p.try(['run', '--rm', '--network=host', image, 'true']);
  return r.status === 0
    ? null
    : `podman cannot run a container here: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`;
}

/**
 * The CA bundle that npm on this machine trusts, when the machine has one: where outgoing TLS is intercepted by a
 * proxy, npm inside a build reaches the registry only with it. Public certificates, nothing secret.
 */
const MACHINE_CA = '/etc/ssl/certs/ca-certificates.crt';

/**
 * The stand-in for the official Node.js image, `localhost/switchboard-node-base:<key>`: a debootstrap root
 * filesystem (made once, about a minute, kept by mirror) with this Node, its npm and the machine's CA bundle added,
 * imported into podman's storage under the cache folder (kept by all of these).
 */
export function baseImage(p: Podman): string {
  const { npmDir } = p as Podman & { npmDir: string };
  const ca = existsSync(MACHINE_CA) ? readFileSync(MACHINE_CA) : undefined;
  const key = createHash('sha256')
    .update(JSON.stringify([RECIPE, aptMirror(), process.version, npmVersion(npmDir)]))
    .update(ca ?? '')
    .digest('hex')
    .slice(0, 12);
  const image = `localhost/switchboard-node-base:${key}`;
  if (p.try(['image', 'exists', image]).status === 0) return image;
  const rootfs = join(
    p.cacheDir,
    `rootfs-${createHash('sha256').update(aptMirror()).digest('hex').slice(0, 12)}`,
  );
  const done = `${rootfs}.done`;
  if (!existsSync(done)) {
    rmSync(rootfs, { recursive: true, force: true });
    const started = performance.now();
    execFileSync('debootstrap', ['--variant=minbase', 'bookworm', rootfs, aptMirror()], {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 900_000,
    });
    // The official images' `node` user.
    execFileSync('chroot', [rootfs, 'groupadd', '--gid', '1000', 'node']);
    execFileSync('chroot', [
      rootfs,
      'useradd',
      '--uid',
      '1000',
      '--gid',
      'node',
      '--shell',
      '/bin/bash',
      '--create-home',
      'node',
    ]);
    execFileSync('chroot', [rootfs, 'apt-get', 'clean']);
    writeFileSync(done, `debootstrap and user in ${Math.round((performance.now() - started) / 1000)} s\n`);
  }
  // What the official images add: Node and npm under /usr/local (replaced each time: the key follows them).
  mkdirSync(join(rootfs, 'usr/local/bin'), { recursive: true });
  cpSync(process.execPath, join(rootfs, 'usr/local/bin/node'));
  rmSync(join(rootfs, 'usr/local/lib/node_modules/npm'), { recursive: true, force: true });
  cpSync(npmDir, join(rootfs, 'usr/local/lib/node_modules/npm'), { recursive: true, dereference: true });
  for (const tool of ['npm', 'npx']) {
    rmSync(join(rootfs, 'usr/local/bin', tool), { force: true });
    symlinkSync(`../lib/node_modules/npm/bin/${tool}-cli.js`, join(rootfs, 'usr/local/bin', tool));
  }
  const changes = ['ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'CMD ["node"]'];
  if (ca !== undefined) {
    mkdirSync(join(rootfs, 'etc/ssl/certs'), { recursive: true });
    writeFileSync(join(rootfs, MACHINE_CA), ca);
    changes.push(`ENV NODE_EXTRA_CA_CERTS=${MACHINE_CA}`);
  }
  execFileSync(
    '/bin/sh',
    [
      '-c',
      `tar -C "$1" -c . | podman ${p.globalArgs.map((a) => `'${a}'`).join(' ')} import ${changes.map((c) => `--change '${c}'`).join(' ')} - "$2"`,
      'sh',
      rootfs,
      image,
    ],
    { env: p.env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return image;
}
