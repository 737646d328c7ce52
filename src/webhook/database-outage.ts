import { Logger } from '@nestjs/common';
import { withinTime } from '../common/within-time';
import { isDatabaseUnreachable } from '../database/db-errors';
import { errorSummary } from './inbox-retry';

/** The longest pause between two checks of an unreachable database (or WEBHOOK_RETRY_MAX_MS, if shorter). */
export const OUTAGE_CHECK_MAX_MS = 30_000;
/** How long a check may take before it counts as unreachable (as long as /health's). */
export const OUTAGE_PING_TIMEOUT_MS = 2000;

export interface DatabaseOutageOptions {
  /** First pause between checks; doubles after each failed one up to `maxMs`. */
  baseMs: number;
  maxMs: number;
  /** One cheap statement: resolves once the database answers. */
  ping: () => Promise<unknown>;
  /**
   * A check not answered by then counts as unreachable: on a silently stalled network mysql2 waits
   * for good, and every chat and scan waiting on the shared check would wait with it.
   */
  pingTimeoutMs: number;
  logger?: Pick<Logger, 'warn' | 'log' | 'debug'>;
}

/**
 * Whether the inbox worker's database can be reached. When it cannot (the server is down,
 * restarting, or cut off), every chat with work would otherwise retry on its own, each an error
 * line and a connection attempt, thousands a second with thousands of busy chats. Instead the
 * worker pauses as a whole: one warning, then one check at a time (a `SELECT 1`, after a pause
 * doubling from `baseMs` up to `maxMs`, or at once when something else shows it answers), and one
 * line when it answers again, at which point the worker resumes. Failures it caused are not
 * counted against an event's attempts.
 *
 * An error of that kind while the database was thought up is confirmed by a check first: a single
 * connection that died while the server answers (or a statement that made the server drop it) is
 * an ordinary failure, counted, so that it cannot hold the worker for good.
 */
export class DatabaseOutage {
  private readonly logger: Pick<Logger, 'warn' | 'log' | 'debug'>;
  private unreachableSince?: number;
  private delayMs: number;
  private failedChecks = 0;
  private timer?: NodeJS.Timeout;
  /** The check under way, if any: callers share it (one at a time). Resolves true if it answered. */
  private checking?: Promise<boolean>;
  private readonly recoveredListeners: Array<() => void> = [];
  private stopped = false;

  constructor(private readonly options: DatabaseOutageOptions) {
    this.logger = options.logger ?? new Logger('InboxWorker');
    this.delayMs = options.baseMs;
  }

  /** The database is known to be unreachable: run nothing that needs it until it answers again. */
  get down(): boolean {
    return this.unreachableSince !== undefined;
  }

  /** `listener` runs each time the database answers again after an outage. */
  onRecovered(listener: () => void): void {
    this.recoveredListeners.push(listener);
  }

  /**
   * Whether `err` came from the database being unreachable (now known to be): if so, the caller
   * leaves its work pending, uncounted, for after the outage. Synchronous in effect for every
   * other error; a first error of the kind waits for the shared check.
   */
  async unreachable(err: unknown): Promise<boolean> {
    if (!isDatabaseUnreachable(err)) return false;
    if (this.down) return true;
    return !(await this.check(err));
  }

  /** Something else found the database answering (a webhook was stored): check now, not at the next pause. */
  checkSoon(): void {
    if (!this.down || this.checking || this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    void this.check();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** One check at a time; resolves true when the database answered. */
  private check(cause?: unknown): Promise<boolean> {
    this.checking ??= this.ping(cause).finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async ping(cause: unknown): Promise<boolean> {
    try {
      await withinTime(this.options.ping(), this.options.pingTimeoutMs, () =>
        // Shaped as mysql2's own connection timeout, so that it classifies as one.
        Object.assign(new Error('Database check timed out'), { code: 'ETIMEDOUT', fatal: true }),
      );
    } catch (err) {
      // Any other answer (a closed pool at shutdown) is not an outage.
      if (isDatabaseUnreachable(err)) {
        this.failed(cause ?? err);
        return false;
      }
    }
    if (this.down) this.recovered();
    return true;
  }

  private failed(err: unknown): void {
    if (this.stopped) return;
    if (!this.down) {
      this.unreachableSince = Date.now();
      this.delayMs = this.options.baseMs;
      this.failedChecks = 0;
      this.logger.warn(
        { err: errorSummary(err), checkEveryMs: [this.options.baseMs, this.options.maxMs] },
        'Database unreachable: webhooks are answered 503 and event processing pauses until it answers (events stay pending)',
      );
    } else {
      this.failedChecks++;
      this.delayMs = Math.min(this.options.maxMs, this.delayMs * 2);
      this.logger.debug(
        { err: errorSummary(err), nextCheckInMs: this.delayMs },
        'Database still unreachable',
      );
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.check();
    }, this.delayMs);
    this.timer.unref();
  }

  private recovered(): void {
    const downForMs = Date.now() - (this.unreachableSince ?? Date.now());
    this.logger.log(
      { downForMs, failedChecks: this.failedChecks },
      'Database reachable again: event processing resumes',
    );
    this.unreachableSince = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    for (const listener of this.recoveredListeners) listener();
  }
}
