/**
 * Pusher channel names and the hub's. They are the same string, but for Pusher's per-user channel
 * `#server-to-user-{id}`, which is the hub's user channel `server-to-user#{id}` (reachable only by user `{id}`,
 * docs/pusher.md). Pure functions of strings.
 */

/** Pusher's channel name characters (its documented set), at most 164 of them. */
const PUSHER_CHANNEL = /^[A-Za-z0-9_\-=@,.;]{1,164}$/;
const USER_PREFIX = '#server-to-user-';
const HUB_USER_PREFIX = 'server-to-user#';
/** User ids the per-user channel can carry: channel characters without `,` and `#`. */
const USER_ID = /^[A-Za-z0-9_\-.:@=/]{1,128}$/;

/** The hub's name for a Pusher channel, or null when Pusher would not accept the name or the hub cannot carry it. */
export function hubChannel(pusherName: string): string | null {
  if (pusherName.startsWith(USER_PREFIX)) {
    const user = pusherName.slice(USER_PREFIX.length);
    return USER_ID.test(user) ? `${HUB_USER_PREFIX}${user}` : null;
  }
  // `;` is a Pusher channel character the hub's names do not have.
  if (!PUSHER_CHANNEL.test(pusherName) || pusherName.includes(';')) return null;
  return pusherName;
}

/** The Pusher name of a hub channel (the inverse of `hubChannel`). */
export function pusherChannel(hubName: string): string {
  return hubName.startsWith(HUB_USER_PREFIX)
    ? `${USER_PREFIX}${hubName.slice(HUB_USER_PREFIX.length)}`
    : hubName;
}

/** The hub's per-user channel of `user`, or null when the id cannot be carried in a channel name. */
export function userChannel(user: string): string | null {
  return USER_ID.test(user) ? `${HUB_USER_PREFIX}${user}` : null;
}
