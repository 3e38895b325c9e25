// Preloaded into a hub the suite starts for the soak (`node --import bench/heap-probe.ts …`): once a second it
// writes the process's `process.memoryUsage()` to `<tmpdir>/switchboard-bench-heap-<pid>.json`, where the soak
// reads it (packages/bench/src/probes.ts, hubHeap). The hub exposes no heap figure of its own; this adds none
// to it either, and touches nothing else.

import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const file = join(tmpdir(), `switchboard-bench-heap-${process.pid}.json`);
const write = (): void => {
  try {
    writeFileSync(file, JSON.stringify(process.memoryUsage()));
  } catch {
    // best effort: the soak reports a missing heap figure as missing
  }
};
write();
setInterval(write, 1000).unref();
