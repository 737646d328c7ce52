import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AgePruner } from '../database/age-pruner';
import type { ReplyOutcome } from '../commands/chat-replier.service';
import { isUniqueViolation } from '../members/sync-helpers';
import { AssistantReply } from './entities/assistant-reply.entity';

/** Long past any retry or redelivery of an event. */
const KEEP_MS = 3 * 24 * 3600_000;

export type ReplyKind = 'qa' | 'welcome' | 'intro';

/**
 * Remembers which events the assistant answered, so that running a handler again for the same
 * event (a retry after a later step failed) sends nothing twice, whatever ChatReplier would do
 * with the spent reply token (push, when the channel opted in).
 */
@Injectable()
export class RepliedEvents implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RepliedEvents.name);
  private readonly pruner: AgePruner<AssistantReply>;

  constructor(@InjectRepository(AssistantReply) private readonly rows: Repository<AssistantReply>) {
    this.pruner = new AgePruner(rows, KEEP_MS, this.logger, 'Could not prune answered events');
  }

  onModuleInit(): void {
    this.pruner.start();
  }

  onModuleDestroy(): void {
    this.pruner.stop();
  }

  async answered(webhookEventId: string): Promise<boolean> {
    return (await this.rows.countBy({ webhookEventId })) > 0;
  }

  async record(
    webhookEventId: string,
    channelId: string,
    kind: ReplyKind,
    outcome: ReplyOutcome,
  ): Promise<void> {
    try {
      await this.rows.insert({ webhookEventId, channelId, kind, outcome, createdAt: new Date() });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }

  prune(now = Date.now()): Promise<void> {
    return this.pruner.prune(now);
  }
}
