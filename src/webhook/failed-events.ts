import { Injectable, Module } from '@nestjs/common';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { FindOptionsWhere, In, Repository } from 'typeorm';
import { chunks } from '../database/statement-chunks';
import { InboxEvent } from './inbox-event.entity';

/** What a webhookEventId can be: LINE's (a ULID), or the digest given to an event without one. */
export const WEBHOOK_EVENT_ID = /^[\x21-\x7e]{1,64}$/;

/** Ids per statement: far below either database's limit on parameters. */
const IDS_PER_STATEMENT = 500;

export type FailedEvent = Pick<
  InboxEvent,
  'webhookEventId' | 'eventType' | 'channelId' | 'attempts' | 'lastError' | 'receivedAt' | 'processedAt'
>;

/** Which failed events to put back: of one chat or of any; the ones named, or every one. */
export interface RetrySelection {
  channelId?: string;
  webhookEventIds?: string[];
  /** Without ids: at most this many, oldest first. */
  limit?: number;
}

export interface RetryOutcome {
  retried: string[];
  notFound: string[];
}

/**
 * The events the worker gave up on (`failed`, with their last error), for an operator or a chat's
 * admins: listed, and put back in the queue once the cause is mended (LINE was down, a bug was
 * fixed). A retried event is pending again with its attempts from 0 and due at once; the handlers
 * that had finished are not run again (completed_handlers is kept), so nothing it did is done
 * twice. The worker runs it when told (the API) or at its next scan (the CLI, another process),
 * after the newer events of its chat that ran meanwhile: each handler weighs a late event against
 * what its chat has seen since (a late memberJoined does not undo a newer leave), and an answer
 * whose reply token is too old is dropped, or pushed where the chat pays for pushes.
 */
@Injectable()
export class FailedEvents {
  constructor(@InjectRepository(InboxEvent) private readonly events: Repository<InboxEvent>) {}

  /** Oldest first, at most `limit`. */
  list(channelId?: string, limit = 100): Promise<FailedEvent[]> {
    return this.events.find({
      select: [
        'webhookEventId',
        'eventType',
        'channelId',
        'attempts',
        'lastError',
        'receivedAt',
        'processedAt',
      ],
      where: { state: 'failed', ...(channelId ? { channelId } : {}) },
      order: { id: 'ASC' },
      take: limit,
    });
  }

  /**
   * Puts the selected failed events back in the queue; answers the webhookEventIds it put back, and
   * those named that are not a failed event of the selection. No transaction around the read and
   * the writes: nothing but this changes a failed row, and on SQLite, beside a running service, a
   * read that then writes could meet the service's commit in between and fail; each write alone
   * waits for its turn.
   */
  async retry(selection: RetrySelection, now = new Date()): Promise<RetryOutcome> {
    const failed: FindOptionsWhere<InboxEvent> = {
      state: 'failed',
      ...(selection.channelId ? { channelId: selection.channelId } : {}),
    };
    const wheres = selection.webhookEventIds
      ? chunks([...new Set(selection.webhookEventIds)], IDS_PER_STATEMENT).map((ids) => ({
          ...failed,
          webhookEventId: In(ids),
        }))
      : [failed];
    const retried: string[] = [];
    for (const where of wheres) {
      const rows = await this.events.find({
        select: ['id', 'webhookEventId'],
        where,
        order: { id: 'ASC' },
        take: selection.webhookEventIds ? undefined : selection.limit,
      });
      for (const part of chunks(rows, IDS_PER_STATEMENT)) {
        await this.events.update(
          { id: In(part.map((r) => r.id)), state: 'failed' },
          { state: 'pending', attempts: 0, nextAttemptAt: now, processedAt: null },
        );
        retried.push(...part.map((r) => r.webhookEventId));
      }
    }
    const put = new Set(retried);
    const notFound = [...new Set(selection.webhookEventIds ?? [])].filter((id) => !put.has(id));
    return { retried, notFound };
  }
}

/**
 * On its own so that the CLI (`npm run cli -- failed`, `retry`) can use it without the worker; the
 * REST routes are in FailedEventsApiModule.
 */
@Module({
  imports: [TypeOrmModule.forFeature([InboxEvent])],
  providers: [FailedEvents],
  exports: [FailedEvents],
})
export class FailedEventsModule {}
