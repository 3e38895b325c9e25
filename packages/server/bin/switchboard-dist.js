#!/usr/bin/env node
// The `switchboard` command of the published package (the build copies this file to dist/bin/switchboard.js).
// Plain JavaScript in old syntax: it must run far enough on any Node to say that this Node cannot run Switchboard.
var parts = process.versions.node.split('.').map(Number);
if (parts[0] < 22 || (parts[0] === 22 && parts[1] < 18)) {
  process.stderr.write(
    'switchboard: needs Node.js 22.18 or newer; found Node ' +
      process.versions.node +
      ' at ' +
      process.execPath +
      '.\n',
  );
  process.exit(1);
}
import('../cli/main.js').then((cli) =>
  cli.run(process.argv).then((code) => {
    if (code !== undefined) process.exit(code);
  }),
);
