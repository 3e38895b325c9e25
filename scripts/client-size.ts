// Builds the client SDK's browser bundles (packages/client/dist, not committed) and prints their sizes:
// `npm run size:client`. packages/client/README.md reports these figures.
import { buildClientBundles } from '../tests/helpers/client-bundle.ts';

const b = await buildClientBundles();
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
console.log('bundle                      minified   gzipped (level 9)');
console.log(`switchboard.min.js (core)   ${kb(b.coreMin.length).padEnd(10)} ${kb(b.gzip.core)}`);
console.log(`switchboard-shared.js       ${kb(b.shared.length).padEnd(10)} ${kb(b.gzip.shared)}`);
console.log(`switchboard-worker.js       ${kb(b.worker.length).padEnd(10)} ${kb(b.gzip.worker)}`);
