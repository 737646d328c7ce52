import { createHash } from 'node:crypto';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';
import { isUniqueViolation } from '../members/sync-helpers';
import { ReplyAttempt } from './reply-attempt.entity';

/** Long past any retry of the event that carried the token. */
const KEEP_MS = 3 * 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Which reply tokens LINE may have shown a reply for (see ReplyAttempt). */
@Injectable()
export class ReplyAttempts implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ReplyAttempts.name);
  private timer?: NodeJS.Timeout;

  constructor(@InjectRepository(ReplyAttempt) private readonly rows: Repository<ReplyAttempt>) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Records a reply about to go out; false when an earlier one with the token may have been shown. */
  async begin(token: string): Promise<boolean> {
    try {
      await this.rows.insert({ tokenHash: hashOf(token), createdAt: new Date() });
      return true;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return false;
    }
  }

  /** LINE answered that the reply was not shown. */
  async notShown(token: string): Promise<void> {
    await this.rows.delete({ tokenHash: hashOf(token) });
  }

  async mayHaveShown(token: string): Promise<boolean> {
    return (await this.rows.countBy({ tokenHash: hashOf(token) })) > 0;
  }

  async prune(now = Date.now()): Promise<void> {
    try {
      await this.rows.delete({ createdAt: LessThan(new Date(now - KEEP_MS)) });
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'Could not prune reply attempts');
    }
  }
}
