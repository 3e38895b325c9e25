import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { getAsset, isSea } from 'node:sea';

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/inspector.js': { file: 'inspector.js', type: 'text/javascript; charset=utf-8' },
  '/inspector.css': { file: 'inspector.css', type: 'text/css; charset=utf-8' },
};

const cache = new Map<string, Buffer>();

/**
 * One of the inspector's files: from the folder next to this module, or, in the single executable (which has no
 * such folder), from the assets the binary build embeds under `inspector/<file>`.
 */
function readInspectorFile(file: string): Buffer {
  if (isSea()) return Buffer.from(getAsset(`inspector/${file}`));
  return readFileSync(join(import.meta.dirname, 'inspector', file));
}

/** Serves the inspector's static files; false when `path` is not one of them. */
export function serveInspector(req: IncomingMessage, res: ServerResponse, path: string): boolean {
  const entry = FILES[path];
  if (entry === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  let body = cache.get(entry.file);
  if (body === undefined) {
    body = readInspectorFile(entry.file);
    cache.set(entry.file, body);
  }
  res.writeHead(200, {
    'content-type': entry.type,
    'content-length': body.length,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'content-security-policy':
      "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'",
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
