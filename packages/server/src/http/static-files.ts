import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { getAsset, isSea } from 'node:sea';

/** A page's files by request path: the file's name in its folder, and its content type. */
export type PageFiles = Readonly<Record<string, { readonly file: string; readonly type: string }>>;

/**
 * A page the hub serves from files shipped beside its modules: `folder` next to the calling module, or, in the
 * single executable (which has no such folder), the assets the binary build embeds under `<asset>/<file>`. Each
 * file is read once and kept; every answer carries `headers` (the page's security headers).
 */
export class StaticPage {
  readonly #files: PageFiles;
  /** The folder, asked only outside the single executable (whose bundle has no module directory). */
  readonly #dir: () => string;
  readonly #asset: string;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #cache = new Map<string, Buffer>();

  constructor(files: PageFiles, dir: () => string, asset: string, headers: Readonly<Record<string, string>>) {
    this.#files = files;
    this.#dir = dir;
    this.#asset = asset;
    this.#headers = headers;
  }

  /** Serves one of the page's files; false when `path` is not one of them (or the method is not GET/HEAD). */
  serve(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const entry = this.#files[path];
    if (entry === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    let body = this.#cache.get(entry.file);
    if (body === undefined) {
      body = isSea()
        ? Buffer.from(getAsset(`${this.#asset}/${entry.file}`))
        : readFileSync(join(this.#dir(), entry.file));
      this.#cache.set(entry.file, body);
    }
    res.writeHead(200, {
      'content-type': entry.type,
      'content-length': body.length,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      ...this.#headers,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }
}
