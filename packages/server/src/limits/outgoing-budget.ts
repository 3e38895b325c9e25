/** One connection as the hub-wide outgoing budget sees it. */
export interface BudgetMember {
  /** Bytes queued on the connection and not yet sent, now. */
  readonly queuedBytes: number;
  /** Sheds the connection with its own semantics (a slow consumer's close); it is no longer counted after. */
  shed(): void;
  /**
   * The budget's own record of this member's queue: what it last counted, or -1 while not counted. Kept on the
   * member (members start it at -1; only the budget writes it), so a report after a write is a field read, not a
   * lookup in a map of every connection.
   */
  budgetBytes: number;
}

/** Share of the budget past which new connections are refused, and down to which shedding goes. */
const ROOM = 0.9;

/**
 * One budget for the bytes queued on every connection of the hub (`limits.maxTotalOutgoingBytes`), on top of each
 * connection's own bound. Connections report their queue after each write; the running total is kept from those
 * reports (exact when the queues grow, high when they drained since, so it errs towards a recount). When it passes
 * the budget the queues are counted again, and if they really are over, the connections holding the most unsent
 * bytes are shed first until the total is under nine tenths of the budget. While the total is over nine tenths,
 * `full` tells endpoints to refuse new connections. A budget of 0 turns it off.
 */
export class OutgoingBudget {
  readonly #max: number;
  readonly #members = new Set<BudgetMember>();
  #total = 0;

  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  get enabled(): boolean {
    return this.#max > 0;
  }

  /** The bytes queued on every connection, counted now. */
  get totalBytes(): number {
    this.#recount();
    return this.#total;
  }

  /** Whether a new connection should be refused: the queued bytes are over nine tenths of the budget. */
  get full(): boolean {
    if (this.#max === 0 || this.#total <= ROOM * this.#max) return false;
    this.#recount();
    return this.#total > ROOM * this.#max;
  }

  /** The connections it counts: every live connection while the budget is on (0 when it is off). */
  get members(): number {
    return this.#members.size;
  }

  add(member: BudgetMember): void {
    if (this.#max === 0) return;
    this.#members.add(member);
    member.budgetBytes = 0;
  }

  delete(member: BudgetMember): void {
    const was = member.budgetBytes;
    if (was < 0 || !this.#members.delete(member)) return;
    this.#total -= was;
    member.budgetBytes = -1;
  }

  /**
   * After a write to `member`: its queue as it is now (`queued`, when the caller just read it; else asked);
   * sheds connections when the hub is over its budget.
   */
  update(member: BudgetMember, queued?: number): void {
    const was = member.budgetBytes;
    if (was < 0) return;
    const now = queued ?? member.queuedBytes;
    // The common report after a write: the queue is as it was (empty, most often), and nothing changes.
    if (now === was && this.#total <= this.#max) return;
    member.budgetBytes = now;
    this.#total += now - was;
    if (this.#total > this.#max) this.#enforce();
  }

  #recount(): void {
    let total = 0;
    for (const member of this.#members) {
      const q = member.queuedBytes;
      member.budgetBytes = q;
      total += q;
    }
    this.#total = total;
  }

  #enforce(): void {
    this.#recount();
    if (this.#total <= this.#max) return;
    const largest = [...this.#members].sort((a, b) => b.budgetBytes - a.budgetBytes);
    for (const member of largest) {
      if (this.#total <= ROOM * this.#max) break;
      this.delete(member);
      member.shed();
    }
  }
}
