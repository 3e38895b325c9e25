import type { Disconnect } from '../errors.ts';
import type { Session } from './session.ts';

/** The node's open sessions, by id and by user (for disconnect-by-user). */
export class Sessions {
  readonly #byId = new Map<string, Session>();
  readonly #byUser = new Map<string, Set<Session>>();

  get size(): number {
    return this.#byId.size;
  }

  values(): IterableIterator<Session> {
    return this.#byId.values();
  }

  add(session: Session): void {
    this.#byId.set(session.id, session);
    this.#index(session, session.user);
  }

  /** A session's user changed (its first `auth`): disconnect-by-user finds it under the new one. */
  identified(id: string, previousUser: string | null): void {
    const session = this.#byId.get(id);
    if (session === undefined) return;
    this.#unindex(session, previousUser);
    this.#index(session, session.user);
  }

  remove(id: string): void {
    const session = this.#byId.get(id);
    if (session === undefined) return;
    this.#byId.delete(id);
    this.#unindex(session, session.user);
  }

  /** Ends the matching sessions (a client id, optionally of one user, or every session of a user); how many. */
  disconnect(target: { client?: string; user?: string }, d: Disconnect): number {
    const matches: Session[] = [];
    if (target.client !== undefined) {
      const s = this.#byId.get(target.client);
      if (s !== undefined && (target.user === undefined || s.user === target.user)) matches.push(s);
    } else if (target.user !== undefined) {
      matches.push(...(this.#byUser.get(target.user) ?? []));
    }
    for (const s of matches) s.disconnect(d);
    return matches.length;
  }

  #index(session: Session, user: string | null): void {
    if (user === null) return;
    const set = this.#byUser.get(user);
    if (set === undefined) this.#byUser.set(user, new Set([session]));
    else set.add(session);
  }

  #unindex(session: Session, user: string | null): void {
    if (user === null) return;
    const set = this.#byUser.get(user);
    set?.delete(session);
    if (set?.size === 0) this.#byUser.delete(user);
  }
}
