import { decodeBase64, decodeEnvelope } from './binary.ts';
import { channelError } from './channel.ts';
import type { ErrorCode } from './codes.ts';
import type { ClientCommand, CommandId } from './frames.ts';
import { jsonProblem } from './json.ts';
import { parsePosition } from './position.ts';

export interface CommandLimits {
  /** Longest channel name accepted. */
  readonly maxChannelLength: number;
  /** Largest `limit` a history command may ask for. */
  readonly maxHistoryLimit: number;
  /** Deepest nesting of arrays and objects a command's text may have (`jsonProblem`). */
  readonly maxJsonDepth: number;
}

export interface CommandError {
  readonly code: ErrorCode;
  readonly message: string;
  /** The command's id when it could be read, so the error can be matched to the call. */
  readonly id?: CommandId;
  readonly channel?: string;
}

export type ParseResult =
  | { readonly ok: true; readonly command: ClientCommand }
  | { readonly ok: false; readonly error: CommandError };

const MAX_ID_LENGTH = 64;
/** Largest delivery rate a subscriber may ask for (per second), over WebSocket and SSE alike. */
export const MAX_RATE = 10_000;

/** A delivery rate a subscriber may ask for: an integer 1..MAX_RATE per second. */
export function isRate(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= MAX_RATE;
}
const MAX_IDEMPOTENCY_KEY_LENGTH = 128;
/** Longest `rpc` method name. */
export const MAX_METHOD_LENGTH = 255;
/** Longest token (connection or subscription) a command may carry; real JWTs are far shorter. */
export const MAX_TOKEN_LENGTH = 8_192;

function tokenError(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0) return 'token must be a non-empty string';
  if (value.length > MAX_TOKEN_LENGTH) return `token is longer than ${MAX_TOKEN_LENGTH} characters`;
  return null;
}

function isCommandId(value: unknown): value is CommandId {
  if (typeof value === 'number') return Number.isSafeInteger(value);
  return typeof value === 'string' && value.length <= MAX_ID_LENGTH;
}

function fail(code: ErrorCode, message: string, id?: CommandId, channel?: string): ParseResult {
  const error: { code: ErrorCode; message: string; id?: CommandId; channel?: string } = { code, message };
  if (id !== undefined) error.id = id;
  if (channel !== undefined) error.channel = channel;
  return { ok: false, error };
}

/**
 * Parses one WebSocket text frame into a command. Pure: no I/O, never throws, and never echoes untrusted text
 * back in the message (only the id, which is bounded and typed).
 */
export function parseCommand(text: string, limits: CommandLimits): ParseResult {
  // Before the parser: too deep a nesting, or a number that would not come back as written, is refused.
  const problem = jsonProblem(text, limits.maxJsonDepth);
  if (problem !== null) return fail('bad_request', problem);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return fail('invalid_json', 'frame is not valid JSON');
  }
  return validateCommand(raw, limits);
}

/**
 * Checks a value already parsed from JSON (an HTTP request's body) as a command: exactly `parseCommand`'s checks
 * and results, without serializing and parsing it again.
 */
export function validateCommand(raw: unknown, limits: CommandLimits): ParseResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail('bad_request', 'a command must be a JSON object');
  }
  const obj = raw as Record<string, unknown>;
  let id: CommandId | undefined;
  if (obj.id !== undefined) {
    if (!isCommandId(obj.id))
      return fail('bad_request', 'id must be a safe integer or a string of at most 64 characters');
    id = obj.id;
  }
  const type = obj.type;
  if (typeof type !== 'string') return fail('bad_request', 'a command needs a string "type"', id);

  const withId = <T extends object>(cmd: T): T & { id?: CommandId } =>
    id === undefined ? cmd : { ...cmd, id };

  if (type === 'ping') return { ok: true, command: withId({ type: 'ping' as const }) };
  if (type === 'auth') {
    const problem = tokenError(obj.token);
    if (problem !== null) return fail('bad_request', problem, id);
    return { ok: true, command: withId({ type: 'auth' as const, token: obj.token as string }) };
  }

  if (type === 'rpc') {
    const method = obj.method;
    if (typeof method !== 'string' || channelError(method, MAX_METHOD_LENGTH) !== null)
      return fail('bad_request', 'method must be 1 to 255 characters from the channel-name set', id);
    if (!Object.hasOwn(obj, 'data')) return fail('bad_request', 'rpc needs "data"', id);
    return { ok: true, command: withId({ type: 'rpc' as const, method, data: obj.data }) };
  }

  if (
    type !== 'subscribe' &&
    type !== 'unsubscribe' &&
    type !== 'publish' &&
    type !== 'history' &&
    type !== 'presence'
  ) {
    return fail('unknown_command', 'unknown command type', id);
  }

  const channelProblem = channelError(obj.channel, limits.maxChannelLength);
  if (channelProblem !== null) return fail('invalid_channel', channelProblem, id);
  const channel = obj.channel as string;

  switch (type) {
    case 'subscribe':
    case 'history': {
      let since: ReturnType<typeof parsePosition> = null;
      if (obj.since !== undefined && obj.since !== null) {
        since = parsePosition(obj.since);
        if (since === null)
          return fail('bad_position', 'since must be {"epoch": string, "offset": integer >= 0}', id, channel);
      }
      if (type === 'subscribe') {
        const cmd: {
          type: 'subscribe';
          channel: string;
          since?: typeof since & object;
          token?: string;
          rate?: number;
        } = { type, channel };
        if (since) cmd.since = since;
        if (obj.token !== undefined) {
          const problem = tokenError(obj.token);
          if (problem !== null) return fail('bad_request', problem, id, channel);
          cmd.token = obj.token as string;
        }
        if (obj.rate !== undefined) {
          if (!isRate(obj.rate))
            return fail('bad_request', `rate must be an integer 1..${MAX_RATE}`, id, channel);
          cmd.rate = obj.rate;
        }
        return { ok: true, command: withId(cmd) };
      }
      let limit: number | undefined;
      if (obj.limit !== undefined) {
        if (typeof obj.limit !== 'number' || !Number.isSafeInteger(obj.limit) || obj.limit < 0) {
          return fail('bad_request', 'limit must be an integer >= 0', id, channel);
        }
        limit = Math.min(obj.limit, limits.maxHistoryLimit);
      }
      const cmd: { type: 'history'; channel: string; since?: typeof since & object; limit?: number } = {
        type,
        channel,
      };
      if (since) cmd.since = since;
      if (limit !== undefined) cmd.limit = limit;
      return { ok: true, command: withId(cmd) };
    }
    case 'unsubscribe':
    case 'presence':
      return { ok: true, command: withId({ type, channel }) };
    case 'publish': {
      const hasData = Object.hasOwn(obj, 'data');
      const hasBytes = Object.hasOwn(obj, 'data_b64');
      if (hasData === hasBytes)
        return fail('bad_request', 'publish needs "data" or "data_b64" (not both)', id, channel);
      let data: unknown = obj.data;
      if (hasBytes) {
        data = typeof obj.data_b64 === 'string' ? decodeBase64(obj.data_b64) : null;
        if (data === null)
          return fail('bad_request', 'data_b64 must be standard base64 with padding', id, channel);
      }
      const key = obj.idempotencyKey;
      if (
        key !== undefined &&
        (typeof key !== 'string' || key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH)
      ) {
        return fail('bad_request', 'idempotencyKey must be a string of 1 to 128 characters', id, channel);
      }
      const cmd: { type: 'publish'; channel: string; data: unknown; idempotencyKey?: string } = {
        type,
        channel,
        data,
      };
      if (key !== undefined) cmd.idempotencyKey = key;
      return { ok: true, command: withId(cmd) };
    }
  }
}

/**
 * Parses one binary WebSocket frame (an envelope, see binary.ts) into a command: only `publish`, whose header is
 * checked exactly as a text `publish` is and whose `data` is the envelope's payload, a `Uint8Array`.
 */
export function parseBinaryCommand(frame: Uint8Array, limits: CommandLimits): ParseResult {
  const envelope = decodeEnvelope(frame);
  if (!envelope.ok) return fail(envelope.error.code, envelope.error.message);
  const parsed = validateCommand({ ...envelope.header, data: null }, limits);
  if (!parsed.ok) return parsed;
  if (parsed.command.type !== 'publish') {
    const { id } = parsed.command;
    return fail('bad_request', 'a binary frame carries only a publish command', id);
  }
  return { ok: true, command: { ...parsed.command, data: envelope.payload } };
}
