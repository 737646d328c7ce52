import { createHash } from 'node:crypto';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AgePruner } from '../database/age-pruner';
import { isUniqueViolation } from '../members/sync-helpers';
import { ReplyAttempt } from './reply-attempt.entity';

/** Long past any retry of the event that carried the token. */
const KEEP_MS = 3 * 24 * 3600_000;

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Which reply tokens LINE may have shown a reply for (see ReplyAttempt). */
@Injectable()
export class ReplyAttempts implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ReplyAttempts.name);
  private readonly pruner: AgePruner<ReplyAttempt>;

  constructor(@InjectRepository(ReplyAttempt) private readonly rows: Repository<ReplyAttempt>) {
    this.pruner = new AgePruner(rows, KEEP_MS, this.logger, 'Could not prune reply attempts');
  }

  onModuleInit(): void {
    this.pruner.start();
  }

  onModuleDestroy(): void {
    this.pruner.stop();
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

  prune(now = Date.now()): Promise<void> {
    return this.pruner.prune(now);
  }
}
