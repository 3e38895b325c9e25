#!/usr/bin/env node
// The `switchboard` command. Plain JavaScript in old syntax: it must run far enough on any Node to say that this
// Node cannot run Switchboard. The CLI itself is TypeScript, run by Node's type stripping (on by default from 22.18).
var parts = process.versions.node.split('.').map(Number);
var tooOld = parts[0] < 22 || (parts[0] === 22 && parts[1] < 18);
// biome-ignore lint/complexity/useOptionalChain: this line must parse on Node versions without `?.`
var stripping = process.features && process.features.typescript;
if (tooOld || stripping === false) {
  process.stderr.write(
    'switchboard: ' +
      (tooOld
        ? 'needs Node.js 22.18 or newer, which runs TypeScript by type stripping; found Node '
        : 'needs type stripping, which is turned off (--no-experimental-strip-types) in Node ') +
      process.versions.node +
      ' at ' +
      process.execPath +
      '.\nIn the repository, `npm start` runs it with the Node 24 that `npm install` brings.\n',
  );
  process.exit(1);
}
// `serve` caps V8's young generation (docs/configuration.md, "Node runtime flags"): V8 reads the cap only when the
// process starts, so the command starts itself again in place (process.execve: the same process id, signals and
// descriptors) with `--max-semi-space-size`. Not when the operator set the flag already (NODE_OPTIONS or node's
// own arguments), when SWITCHBOARD_MAX_SEMI_SPACE_MB is 0, or where execve is missing (Windows, older Node, an IPC
// channel from the parent); the hub then runs with V8's own sizing.
var semiSpace = process.env.SWITCHBOARD_MAX_SEMI_SPACE_MB;
var semiSpaceMb = semiSpace === undefined || semiSpace.trim() === '' ? 16 : Number(semiSpace);
if (!(semiSpaceMb >= 0 && semiSpaceMb <= 1024 && Math.floor(semiSpaceMb) === semiSpaceMb)) {
  process.stderr.write(
    'switchboard: SWITCHBOARD_MAX_SEMI_SPACE_MB must be a whole number of MB from 0 (V8 decides) to 1024; found ' +
      semiSpace +
      '\n',
  );
  process.exit(1);
}
var flagSet = /--max[-_]semi[-_]space[-_]size\b/.test(
  process.execArgv.join(' ') + ' ' + (process.env.NODE_OPTIONS || ''),
);
if (
  process.argv[2] === 'serve' &&
  semiSpaceMb > 0 &&
  !flagSet &&
  typeof process.execve === 'function' &&
  process.platform !== 'win32' &&
  !process.channel
) {
  process.execve(
    process.execPath,
    [process.execPath, '--max-semi-space-size=' + semiSpaceMb]
      .concat(process.execArgv)
      .concat(process.argv.slice(1)),
    process.env,
  );
}
import('../src/cli/main.ts').then((cli) =>
  cli.run(process.argv).then((code) => {
    if (code !== undefined) process.exit(code);
  }),
);
