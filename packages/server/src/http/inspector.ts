import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { StaticPage } from './static-files.ts';

/** The inspector's files, from `inspector/` next to this module (the single executable's `inspector/` assets). */
const PAGE = new StaticPage(
  {
    '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
    '/inspector.js': { file: 'inspector.js', type: 'text/javascript; charset=utf-8' },
    '/inspector.css': { file: 'inspector.css', type: 'text/css; charset=utf-8' },
  },
  () => join(import.meta.dirname, 'inspector'),
  'inspector',
  {
    'content-security-policy':
      "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'",
  },
);

/** Serves the inspector's static files; false when `path` is not one of them. */
export function serveInspector(req: IncomingMessage, res: ServerResponse, path: string): boolean {
  return PAGE.serve(req, res, path);
}
