import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Settings } from '../config/settings';
import { PendingEvent, InboxStore } from './inbox.store';

/**
 * Rows an earlier process left pending may have been running when it exited, and one of them may be
 * why it exited (out of memory, a native fault): run again at every start and never counted, it
 * would bring the service down each time, its chat waiting behind it. So each such row is counted
 * as an attempt, durably, just before it runs here (not earlier: the rows waiting behind it in its
 * chat have not started); one whose attempts are used up is not run again. Rows this process
 * stored are counted as usual, when a handler fails.
 */
@Injectable()
export class InboxRecovery {
  /** Rows up to this id were stored by an earlier process. */
  private upTo = 0;
  private readonly counted = new Set<number>();
  private readonly maxAttempts: number;

  constructor(
    private readonly store: InboxStore,
    config: ConfigService<Settings, true>,
  ) {
    this.maxAttempts = config.get('webhook', { infer: true }).maxAttempts;
  }

  /** Before the first row runs (and before any webhook is stored). */
  async start(): Promise<void> {
    this.upTo = await this.store.maxPendingId();
  }

  /** An earlier process's row that used its attempts there without an outcome: fail it, do not run it. */
  usedUp(row: PendingEvent): boolean {
    return row.id <= this.upTo && !this.counted.has(row.id) && row.attempts >= this.maxAttempts;
  }

  /**
   * Records that an earlier process's row starts an attempt here. `row` keeps the count before it,
   * so that a failure of this attempt, which the runner counts, is not counted twice.
   */
  async beforeRun(row: PendingEvent): Promise<void> {
    if (row.id > this.upTo || this.counted.has(row.id)) return;
    await this.store.countAttempt(row.id);
    this.counted.add(row.id);
  }
}
