import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type ClientHttp2Session, connect, type SecureClientSessionOptions } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Opens an HTTP/2 connection: h2c with prior knowledge for `http:`, TLS with ALPN `h2` for `https:`. */
export function h2connect(
  url: string,
  options: SecureClientSessionOptions = {},
): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(url, options);
    session.once('connect', () => {
      session.off('error', reject);
      resolve(session);
    });
    session.once('error', reject);
  });
}

export interface H2Response {
  status: number;
  headers: Record<string, unknown>;
  text: string;
}

/** One request on an HTTP/2 connection; resolves with the whole answer. */
export function h2request(
  session: ClientHttp2Session,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    let status = 0;
    let head: Record<string, unknown> = {};
    let text = '';
    stream.setEncoding('utf8');
    stream.on('response', (h) => {
      status = Number(h[':status']);
      head = h;
    });
    stream.on('data', (c: string) => {
      text += c;
    });
    stream.on('end', () => resolve({ status, headers: head, text }));
    stream.on('error', reject);
    if (body !== undefined) stream.end(body);
  });
}

/** A certificate authority and a server certificate it signed, made with the `openssl` CLI for one test run. */
export interface TestPki {
  readonly dir: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly ca: Buffer;
  /** base64 SHA-256 of the server certificate's SubjectPublicKeyInfo (Chromium's `--ignore-certificate-errors-spki-list`). */
  readonly spki: string;
  remove(): void;
}

/** A throw-away CA and a certificate for `localhost` / 127.0.0.1 signed by it (test-only keys, in a temp dir). */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-pki-'));
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=Switchboard test CA',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  );
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
  );
  const ext = f('server.ext');
  execFileSync('sh', [
    '-c',
    `printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > '${ext}'`,
  ]);
  openssl(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    f('server.pem'),
  );
  const cert = new X509Certificate(readFileSync(f('server.pem')));
  const spkiDer = cert.publicKey.export({ type: 'spki', format: 'der' });
  return {
    dir,
    caFile: f('ca.pem'),
    certFile: f('server.pem'),
    keyFile: f('server.key'),
    ca: readFileSync(f('ca.pem')),
    spki: createHash('sha256').update(spkiDer).digest('base64'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
