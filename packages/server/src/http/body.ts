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
  const type = req.headers['content-type'];
  if (type !== undefined && FORM_TYPES.test(type)) {
    throw new SwitchboardError(
      'unsupported_media_type',
      "the body must be JSON: send the header Content-Type: application/json (with curl: --json, or -H 'Content-Type: application/json')",
    );
  }
  return parseJsonBody(await readBody(req, maxBytes), maxDepth);
}

/** Reads a request body of at most `maxBytes` as bytes, refusing an oversize one as soon as it shows. */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    throw new SwitchboardError('payload_too_large', `the body is larger than ${maxBytes} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes)
      throw new SwitchboardError('payload_too_large', `the body is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/**
 * A body's bytes as JSON (UTF-8, not empty), refused with `bad_request` before it is parsed when it nests deeper
 * than `maxDepth` or has a number that would not come back as written (`jsonProblem`).
 */
export function parseJsonBody(body: Buffer, maxDepth: number): unknown {
  if (body.length === 0) throw new SwitchboardError('bad_request', 'the body is empty; send a JSON object');
  const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let decoded: string;
  try {
    decoded = text.decode(body);
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
