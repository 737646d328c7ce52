import { Logger } from '@nestjs/common';

const WARN_EVERY_MS = 60_000;
/** The longest wait, once the backlog is twice its limit: half LINE's 2 s answer timeout. */
export const LONGEST_WAIT_MS = 1000;

interface Waiter {
  events: number;
  admit: () => void;
  timer: NodeJS.Timeout;
}

/**
 * Holds webhooks back while the inbox has more pending events than `limit`: a webhook waits until
 * processing makes room, and is stored after a while anyway (never refused): `waitMs` at the limit,
 * longer the further the backlog is over it, up to LONGEST_WAIT_MS at twice the limit. A short
 * wait keeps answers fast where it holds the backlog; where it does not (a slower database, more
 * webhooks in flight), the backlog grows and the waits with it, until they hold it. Without it an
 * overloaded process stores events far faster than it can act on them, the backlog grows without
 * bound, and answering takes the thread from processing (measured: at saturation the worker got
 * about 1,900 of 13,300 events/s), so every bot reply waits longer. Waiting answers slow LINE's
 * deliveries to what this process can do.
 *
 * The count is kept in this process: rows it stored less rows whose outcome (done, or failed for
 * good) it recorded, from the pending rows counted at start-up. The worker's scans set it again
 * from the table (`recount`), so that rows another process stored or put back (the CLI's retry)
 * are counted too, and their outcomes do not take the count below the truth. A scan can see rows
 * whose insert has committed but not yet ended here (MySQL answers the two on separate connections)
 * and count them again as reserved: the count then errs high by those events until the next scan,
 * so webhooks wait a little sooner, never later. It is active only where this process drains the
 * inbox (`start`).
 */
export class InboxBacklog {
  private readonly logger = new Logger(InboxBacklog.name);
  private pending = 0;
  /** Events of webhooks admitted whose insert has not ended: in the count, not yet in the table. */
  private reserved = 0;
  private active = false;
  private readonly waiters: Waiter[] = [];
  private waited = 0;
  private lastWarn = 0;

  constructor(
    /** Pending events above which webhooks wait; 0 turns waiting off. */
    private readonly limit: number,
    /** The longest a webhook waits with the backlog at its limit. */
    private readonly waitMs: number,
  ) {}

  /** This process drains the inbox, which holds `pending` rows now. */
  start(pending: number): void {
    this.pending = pending;
    this.active = this.limit > 0;
  }

  /** The table holds `pending` rows (as processing left them): the count is those and the reserved. */
  recount(pending: number): void {
    this.pending = pending + this.reserved;
    this.releaseWhileRoom();
  }

  /** Stops holding webhooks back (shutdown): whoever waits is let through. */
  stop(): void {
    this.active = false;
    while (this.waiters.length > 0) this.release(this.waiters[0]);
  }

  get size(): number {
    return this.pending;
  }

  /**
   * Reserves room for a webhook's events: undefined when there is room now (no promise on the hot
   * path), else a promise that resolves when there is, or after the longest wait. `inserted` must
   * follow once the insert has ended, stored or not.
   */
  admit(events: number): Promise<void> | undefined {
    if (!this.active || this.pending < this.limit) {
      this.reserve(events);
      return undefined;
    }
    return new Promise<void>((resolve) => {
      const waiter: Waiter = {
        events,
        admit: resolve,
        timer: setTimeout(() => this.timedOut(waiter), this.longestWait()),
      };
      this.waiters.push(waiter);
    });
  }

  /** Failed rows made pending again in this process (a retry from the API): counted like stored ones. */
  requeued(rows: number): void {
    this.pending += rows;
  }

  /** The insert of `reserved` admitted events ended with `stored` of them stored (the rest were duplicates, or it failed). */
  inserted(reserved: number, stored: number): void {
    this.reserved = Math.max(0, this.reserved - reserved);
    if (reserved > stored) this.settled(reserved - stored);
  }

  /** Rows stopped being pending: processed (their writes committed), or failed for good. */
  settled(rows: number): void {
    this.pending = Math.max(0, this.pending - rows);
    this.releaseWhileRoom();
  }

  private reserve(events: number): void {
    this.pending += events;
    this.reserved += events;
  }

  private releaseWhileRoom(): void {
    while (this.waiters.length > 0 && this.pending < this.limit) this.release(this.waiters[0]);
  }

  /** From `waitMs` at the limit to LONGEST_WAIT_MS at twice the limit, in proportion. */
  longestWait(): number {
    const over = Math.min(1, Math.max(0, (this.pending - this.limit) / this.limit));
    return Math.round(this.waitMs + (Math.max(this.waitMs, LONGEST_WAIT_MS) - this.waitMs) * over);
  }

  private release(waiter: Waiter): void {
    const at = this.waiters.indexOf(waiter);
    if (at === -1) return;
    this.waiters.splice(at, 1);
    clearTimeout(waiter.timer);
    this.reserve(waiter.events);
    waiter.admit();
  }

  /**
   * Whoever came before `waiter` goes first: a later webhook can have the shorter wait (the backlog
   * shrank meanwhile), and stored before an earlier one of the same chat, it would run before it.
   */
  private timedOut(waiter: Waiter): void {
    const ahead = this.waiters.slice(0, this.waiters.indexOf(waiter) + 1);
    for (const w of ahead) this.release(w);
    this.waited += ahead.length;
    const now = Date.now();
    if (now - this.lastWarn < WARN_EVERY_MS) return;
    this.logger.warn(
      { pending: this.pending, limit: this.limit, webhooks: this.waited },
      'Inbox backlog over its limit: webhooks waited their longest wait and were stored anyway',
    );
    this.lastWarn = now;
    this.waited = 0;
  }
}
