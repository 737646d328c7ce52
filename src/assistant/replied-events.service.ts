import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThan, Repository } from 'typeorm';
import type { ReplyOutcome } from '../commands/chat-replier.service';
import { isUniqueViolation } from '../members/sync-helpers';
import { AssistantReply } from './entities/assistant-reply.entity';

/** Long past any retry or redelivery of an event. */
const KEEP_MS = 3 * 24 * 3600_000;
const PRUNE_EVERY_MS = 3600_000;

export type ReplyKind = 'qa' | 'welcome' | 'intro';

/**
 * Remembers which events the assistant answered, so that running a handler again for the same
 * event (a retry after a later step failed) sends nothing twice, whatever ChatReplier would do
 * with the spent reply token (push, when the channel opted in).
 */
@Injectable()
export class RepliedEvents implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RepliedEvents.name);
  private timer?: NodeJS.Timeout;

  constructor(@InjectRepository(AssistantReply) private readonly rows: Repository<AssistantReply>) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
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

  async prune(now = Date.now()): Promise<void> {
    try {
      await this.rows.delete({ createdAt: LessThan(new Date(now - KEEP_MS)) });
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'Could not prune answered events');
    }
  }
}
