import { Logger } from '@nestjs/common';
import { StorageUnavailableError } from './webhook.errors';

interface Entry {
  /** performance.now() past which the webhook is answered 503. */
  due: number;
  refuse: (err: Error) => void;
}

/**
 * A deadline on storing a webhook, for MySQL/MariaDB: mysql2 has no statement timeout, and when the
 * network to the server silently stalls (packets neither delivered nor reset), an insert waits for
 * good, with every webhook after it queued behind its batch (the inbox writes one batch at a time).
 *
 * `within` answers StorageUnavailableError (503) once a store has not ended `timeoutMs` after it
 * began; the store itself goes on, and its caller settles what it must when it really ends. While
 * a store that passed its deadline has not ended, the store is `stalled`: new webhooks are refused at
 * once, and never queued, so memory stays bounded; as soon as it ends, they are taken again.
 *
 * One timer serves every webhook: stores begin in order and share one timeout, so the earliest due
 * is always the first in `waiting`. The timer is armed for it, and when it fires it refuses whatever
 * is overdue and is armed again for the new first; a store that ends on time only leaves the set.
 * Under a steady load that is one timer about every `timeoutMs`, not one per webhook. It is unref'd:
 * it never keeps a stopping process alive.
 */
export class StoreDeadline {
  private readonly logger = new Logger('WebhookStore');
  /** Stores under way and within their deadline, in the order they began (the order of their dues). */
  private readonly waiting = new Set<Entry>();
  /** Stores answered 503 at their deadline that have not ended yet. */
  private overdue = 0;
  private timer?: NodeJS.Timeout;
  private stalledAt = 0;
  private refused = 0;

  constructor(private readonly timeoutMs: number) {}

  /** A store that passed its deadline has not ended: new webhooks are refused without being tried. */
  get stalled(): boolean {
    return this.overdue > 0;
  }

  /** The error for a webhook refused because the store is stalled (counted for the log). */
  refuse(): StorageUnavailableError {
    this.refused++;
    return new StorageUnavailableError();
  }

  /**
   * `store`'s outcome if it ends within the deadline, else StorageUnavailableError at the deadline.
   * Handle whatever must follow the store's real end on `store` itself, not on this promise.
   */
  within<T>(store: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = { due: performance.now() + this.timeoutMs, refuse: reject };
      this.waiting.add(entry);
      if (!this.timer) this.arm(this.timeoutMs);
      store.then(
        (value) => {
          this.ended(entry);
          resolve(value);
        },
        (err: unknown) => {
          this.ended(entry);
          reject(err);
        },
      );
    });
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => this.expire(), Math.max(1, Math.ceil(delayMs)));
    this.timer.unref();
  }

  /** Refuses every store past its due, then waits for the next one's. */
  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    for (const entry of this.waiting) {
      if (entry.due > now) return this.arm(entry.due - now);
      this.waiting.delete(entry);
      if (this.overdue++ === 0) {
        this.stalledAt = now;
        this.refused = 0;
        this.logger.warn(
          { timeoutMs: this.timeoutMs },
          'Inbox store stalled: a webhook was not stored within WEBHOOK_STORE_TIMEOUT_MS; webhooks are answered 503 until it ends',
        );
      }
      this.refused++;
      entry.refuse(new StorageUnavailableError());
    }
  }

  private ended(entry: Entry): void {
    if (this.waiting.delete(entry)) return;
    // Answered 503 at its deadline, and ended since: stored late (then processed) or failed.
    if (--this.overdue > 0) return;
    this.logger.warn(
      { stalledMs: Math.round(performance.now() - this.stalledAt), refused: this.refused },
      'Inbox store back: webhooks are taken again',
    );
  }
}
