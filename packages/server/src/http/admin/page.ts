import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { StaticPage } from '../static-files.ts';

/** The console's files, from `page/` next to this module (the single executable's `admin/` assets). */
const PAGE = new StaticPage(
  {
    '/admin': { file: 'index.html', type: 'text/html; charset=utf-8' },
    '/admin/': { file: 'index.html', type: 'text/html; charset=utf-8' },
    '/admin/admin.js': { file: 'admin.js', type: 'text/javascript; charset=utf-8' },
    '/admin/admin.css': { file: 'admin.css', type: 'text/css; charset=utf-8' },
  },
  () => join(import.meta.dirname, 'page'),
  'admin',
  {
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'content-security-policy':
      "default-src 'self'; connect-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
  },
);

/** Serves the console's static files; false when `path` is not one of them. */
export function serveAdminPage(req: IncomingMessage, res: ServerResponse, path: string): boolean {
  return PAGE.serve(req, res, path);
}
