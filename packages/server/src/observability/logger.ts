import pino, { type Logger, type LoggerOptions } from 'pino';

/**
 * Paths pino replaces with `[redacted]` wherever they appear in a log object: credentials must never reach a
 * log, even when a request or a command is logged whole by mistake. The hub itself never logs tokens; this is
 * the second line.
 */
export const REDACT_PATHS: readonly string[] = [
  'token',
  'ticket',
  'secret',
  'authorization',
  'cookie',
  '*.token',
  '*.ticket',
  '*.secret',
  '*.authorization',
  '*.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'auth.secret',
  'auth.publicKey',
  'api.keys',
  'api.publishKeys',
  'admin.keys',
  'metrics.token',
];

export function loggerOptions(level: string): LoggerOptions {
  return { level, redact: { paths: [...REDACT_PATHS], censor: '[redacted]' } };
}

/** The hub's logger: JSON lines on `destination` (stdout by default), with credentials redacted. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return destination === undefined ? pino(loggerOptions(level)) : pino(loggerOptions(level), destination);
}
