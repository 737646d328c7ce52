import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Settings } from '../config/settings';
import { PendingEvent, InboxStore } from './inbox.store';

/**
 * Rows an earlier process left pending may have been running when it exited, and one of them may be
 * why it exited (out of memory, a native fault): run again at every start and never counted, it
 * would bring the service down each time, its chat waiting behind it. So after a process that did
 * not stop cleanly (its marker file is still there), each row it left is counted as an attempt,
 * durably, just before it runs here (not earlier: the rows waiting behind it in its chat have not
 * started); one whose attempts are used up is not run again. A write per row slows that recovery
 * (measured: a drain of 8,700 events/s fell to 5,000 on SQLite), so a clean stop skips it.
 */
@Injectable()
export class InboxRecovery {
  /** Rows up to this id were left by a process that did not stop cleanly. */
  private upTo = 0;
  private readonly counted = new Set<number>();
  private readonly maxAttempts: number;
  private readonly marker: string;

  constructor(
    private readonly store: InboxStore,
    config: ConfigService<Settings, true>,
  ) {
    this.maxAttempts = config.get('webhook', { infer: true }).maxAttempts;
    this.marker = join(config.get('dataDir', { infer: true }), 'inbox-worker.running');
  }

  /** Before the first row runs (and before any webhook is stored). */
  async start(): Promise<void> {
    const unclean = existsSync(this.marker);
    mkdirSync(dirname(this.marker), { recursive: true });
    writeFileSync(this.marker, `${process.pid}\n`);
    this.upTo = unclean ? await this.store.maxPendingId() : 0;
  }

  /** Every row's outcome so far is written: the next start has nothing to suspect. */
  stoppedCleanly(): void {
    rmSync(this.marker, { force: true });
  }

  /** A row whose attempts all ended with the process exiting: fail it, do not run it again. */
  usedUp(row: PendingEvent): boolean {
    return row.id <= this.upTo && !this.counted.has(row.id) && row.attempts >= this.maxAttempts;
  }

  /**
   * Records that a row left by an unclean exit starts an attempt here. `row` keeps the count before
   * it, so that a failure of this attempt, which the runner counts, is not counted twice.
   */
  async beforeRun(row: PendingEvent): Promise<void> {
    if (row.id > this.upTo || this.counted.has(row.id)) return;
    await this.store.countAttempt(row.id);
    this.counted.add(row.id);
  }
}
