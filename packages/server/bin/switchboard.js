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
import('../src/cli/main.ts').then((cli) =>
  cli.run(process.argv).then((code) => {
    if (code !== undefined) process.exit(code);
  }),
);
