import type { IncomingMessage } from 'node:http';
import { jsonProblem } from '@switchboard/protocol';
import { SwitchboardError } from '../errors.ts';

/** Content types a browser form can send without a CORS preflight: never accepted as an API body. */
const FORM_TYPES = /^(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\b/i;

/**
 * Reads a JSON request body of at most `maxBytes`, refusing an oversize one as soon as it shows (by its
 * `Content-Length` or while streaming), so no more than `maxBytes` is ever buffered; then parses it as
 * `parseJsonBody` does.
 */
export async function readJsonBody(
  req: IncomingMessage,
  maxBytes: number,
  maxDepth: number,
): Promise<unknown> {
  refuseFormType(req.headers['content-type']);
  return parseJsonBody(await readBody(req, maxBytes), maxDepth);
}

/** Refuses a content type a browser form can send without a preflight (`unsupported_media_type`). */
export function refuseFormType(type: string | undefined): void {
  if (type !== undefined && FORM_TYPES.test(type)) {
    throw new SwitchboardError(
      'unsupported_media_type',
      "the body must be JSON: send the header Content-Type: application/json (with curl: --json, or -H 'Content-Type: application/json')",
    );
  }
}

/** Reads a request body of at most `maxBytes` as bytes, refusing an oversize one as soon as it shows. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.reject(
      new SwitchboardError('payload_too_large', `the body is larger than ${maxBytes} bytes`),
    );
  }
  // Plain listeners rather than `for await`: no async iterator and no promise per chunk on every request.
  return new Promise<Buffer>((resolve, reject) => new BodyReader(req, maxBytes, resolve, reject));
}

/** One body being read: its chunks and its listeners, as fields and methods of one object. */
class BodyReader {
  readonly #req: IncomingMessage;
  readonly #max: number;
  readonly #resolve: (body: Buffer) => void;
  readonly #reject: (err: unknown) => void;
  #first: Buffer | undefined;
  #chunks: Buffer[] | undefined;
  #size = 0;
  #done = false;

  constructor(
    req: IncomingMessage,
    max: number,
    resolve: (body: Buffer) => void,
    reject: (err: unknown) => void,
  ) {
    this.#req = req;
    this.#max = max;
    this.#resolve = resolve;
    this.#reject = reject;
    req.on('data', this.#onData);
    req.on('end', this.#onEnd);
    req.on('error', this.#onError);
    req.on('close', this.#onClose);
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#done) return;
    this.#size += chunk.length;
    if (this.#size > this.#max) {
      this.#finish();
      // Stop reading: the caller answers and closes the connection (as `for await` did by destroying).
      this.#req.pause();
      this.#reject(new SwitchboardError('payload_too_large', `the body is larger than ${this.#max} bytes`));
      return;
    }
    if (this.#first === undefined) this.#first = chunk;
    else if (this.#chunks === undefined) this.#chunks = [this.#first, chunk];
    else this.#chunks.push(chunk);
  };

  readonly #onEnd = (): void => {
    if (this.#done) return;
    this.#finish();
    const first = this.#first;
    this.#resolve(
      first === undefined
        ? Buffer.alloc(0)
        : this.#chunks === undefined
          ? first
          : Buffer.concat(this.#chunks, this.#size),
    );
  };

  readonly #onError = (err: unknown): void => {
    if (this.#done) return;
    this.#finish();
    this.#reject(err);
  };

  readonly #onClose = (): void => {
    if (this.#done) return;
    this.#finish();
    this.#reject(new SwitchboardError('bad_request', 'the request was aborted before its body ended'));
  };

  #finish(): void {
    this.#done = true;
    this.#req.off('data', this.#onData);
    this.#req.off('end', this.#onEnd);
    this.#req.off('error', this.#onError);
    this.#req.off('close', this.#onClose);
  }
}

/** One decoder for every body: a non-streaming `decode` starts afresh each call. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * A body's bytes as JSON (UTF-8, not empty), refused with `bad_request` before it is parsed when it nests deeper
 * than `maxDepth` or has a number that would not come back as written (`jsonProblem`).
 */
export function parseJsonBody(body: Buffer, maxDepth: number): unknown {
  if (body.length === 0) throw new SwitchboardError('bad_request', 'the body is empty; send a JSON object');
  let decoded: string;
  try {
    decoded = UTF8.decode(body);
  } catch {
    throw new SwitchboardError('invalid_json', 'the body is not valid UTF-8');
  }
  const problem = jsonProblem(decoded, maxDepth);
  if (problem !== null) throw new SwitchboardError('bad_request', problem);
  try {
    return JSON.parse(decoded) as unknown;
  } catch {
    throw new SwitchboardError('invalid_json', 'the body is not valid JSON');
  }
}
