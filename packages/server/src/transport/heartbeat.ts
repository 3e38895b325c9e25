/** How many slices one heartbeat interval is cut into. */
export const HEARTBEAT_SLICES = 10;

/**
 * Heartbeats spread over their interval. Pinging every connection at once costs one write each in a single
 * turn: at ten thousand connections that is a stall of a few hundred milliseconds every interval, felt as a
 * latency spike by every subscriber. Here each connection gets a slice, and every `intervalMs / SLICES` the
 * connections of the next slice are beaten, so each is still beaten once per interval and the work is even.
 */
export class HeartbeatWheel<T> {
  readonly #slots = new Map<T, number>();
  readonly #intervalMs: number;
  readonly #beat: (member: T) => void;
  readonly #afterTick: () => void;
  #next = 0;
  #tick = 0;
  #timer: NodeJS.Timeout | undefined;

  /** `beat` runs once per interval for every member; `afterTick` after every slice (the liveness sweep). */
  constructor(intervalMs: number, beat: (member: T) => void, afterTick: () => void = () => {}) {
    this.#intervalMs = intervalMs;
    this.#beat = beat;
    this.#afterTick = afterTick;
  }

  add(member: T): void {
    this.#slots.set(member, this.#next);
    this.#next = (this.#next + 1) % HEARTBEAT_SLICES;
  }

  delete(member: T): void {
    this.#slots.delete(member);
  }

  start(): void {
    this.#timer = setInterval(
      () => {
        const slice = this.#tick;
        this.#tick = (this.#tick + 1) % HEARTBEAT_SLICES;
        for (const [member, slot] of this.#slots) if (slot === slice) this.#beat(member);
        this.#afterTick();
      },
      Math.max(1, Math.floor(this.#intervalMs / HEARTBEAT_SLICES)),
    );
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
