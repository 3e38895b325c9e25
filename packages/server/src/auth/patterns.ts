// Channel patterns and user channels: pure functions of strings, used by permission checks and config validation.
import { CHANNEL_PATTERN } from '@switchboard/protocol';

/**
 * A channel pattern is a channel name in which `*` stands for any run of characters (none included):
 * `chat:*`, `room:*:public`, `*`. Anything else matches only itself. Patterns come from tokens and config.
 */
export function patternError(pattern: string): string | null {
  if (pattern.length === 0 || pattern.length > 255) return 'a channel pattern has 1 to 255 characters';
  if (!CHANNEL_PATTERN.test(pattern.replaceAll('*', 'x')))
    return 'a channel pattern has the characters of a channel name, and *';
  return null;
}

/** Whether `channel` matches `pattern`. Linear in their lengths: no regular expression built from input. */
export function matches(pattern: string, channel: string): boolean {
  if (!pattern.includes('*')) return pattern === channel;
  const parts = pattern.split('*');
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (channel.length < first.length + last.length) return false;
  if (!channel.startsWith(first) || !channel.endsWith(last)) return false;
  let at = first.length;
  const end = channel.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const found = channel.indexOf(parts[i]!, at);
    if (found === -1 || found + parts[i]!.length > end) return false;
    at = found + parts[i]!.length;
  }
  return true;
}

export function matchesAny(patterns: readonly string[], channel: string): boolean {
  for (const p of patterns) if (matches(p, channel)) return true;
  return false;
}

/**
 * User channels: a channel whose name contains `#` belongs to the users listed after its last `#`,
 * comma-separated: `user#42` is user 42's, `dm:chat#42,43` is shared by users 42 and 43. Only those users may
 * subscribe to it (or publish, or see its presence); the backend reaches it through the HTTP API as any channel.
 * Returns the users, or null when `channel` is not a user channel.
 */
export function channelUsers(channel: string): readonly string[] | null {
  const hash = channel.lastIndexOf('#');
  if (hash === -1) return null;
  return channel
    .slice(hash + 1)
    .split(',')
    .filter((u) => u !== '');
}
