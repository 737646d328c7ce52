import type { LoggerService } from '@nestjs/common';
import { FindOptionsWhere, LessThan, Repository } from 'typeorm';

const PRUNE_EVERY_MS = 3600_000;

/**
 * Deletes, every hour, the rows of a table that only matter for a while after they were
 * written (what a retry or a redelivery of an event could still ask about).
 */
export class AgePruner<T extends { createdAt: Date }> {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly rows: Repository<T>,
    private readonly keepMs: number,
    private readonly logger: LoggerService,
    private readonly failureMessage: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A failure only warns: the rows stay and the next hour tries again. */
  async prune(now = Date.now()): Promise<void> {
    try {
      await this.rows.delete({ createdAt: LessThan(new Date(now - this.keepMs)) } as FindOptionsWhere<T>);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, this.failureMessage);
    }
  }
}
