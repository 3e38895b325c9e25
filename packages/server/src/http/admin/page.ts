import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { getAsset, isSea } from 'node:sea';

const FILES: Record<string, { file: string; type: string }> = {
  '/admin': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/admin/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/admin/admin.js': { file: 'admin.js', type: 'text/javascript; charset=utf-8' },
  '/admin/admin.css': { file: 'admin.css', type: 'text/css; charset=utf-8' },
};

const cache = new Map<string, Buffer>();

/** One of the console's files: from `page/` next to this module, or the single executable's `admin/<file>` asset. */
function readPageFile(file: string): Buffer {
  if (isSea()) return Buffer.from(getAsset(`admin/${file}`));
  return readFileSync(join(import.meta.dirname, 'page', file));
}

/** Serves the console's static files; false when `path` is not one of them. */
export function serveAdminPage(req: IncomingMessage, res: ServerResponse, path: string): boolean {
  const entry = FILES[path];
  if (entry === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
  let body = cache.get(entry.file);
  if (body === undefined) {
    body = readPageFile(entry.file);
    cache.set(entry.file, body);
  }
  res.writeHead(200, {
    'content-type': entry.type,
    'content-length': body.length,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'content-security-policy':
      "default-src 'self'; connect-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
