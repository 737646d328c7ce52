import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DateTimeColumn, bigintTransformer, jsonTransformer } from '../database/entity-columns';

export type InboxState = 'pending' | 'done' | 'failed';

/**
 * Every webhook event, written before LINE gets its 200; the worker drains it. Its other indexes
 * differ by database (partial ones on SQLite): see the migrations.
 */
@Entity('webhook_events')
@Index('uq_webhook_events_event_id', ['webhookEventId'], { unique: true })
export class InboxEvent {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'webhook_event_id', type: 'varchar', length: 64 })
  webhookEventId: string;

  @Column({ name: 'event_type', type: 'varchar', length: 64 })
  eventType: string;

  /** groupId, roomId or userId of the source; null for events without a chat (for example `activated`). */
  @Column({ name: 'channel_id', type: 'varchar', length: 64, nullable: true })
  channelId: string | null;

  /** LINE's `timestamp` (ms): the order events of one chat are processed in. */
  @Column({ name: 'event_timestamp', type: 'bigint', transformer: bigintTransformer })
  eventTimestamp: number;

  @Column({ type: 'text', transformer: jsonTransformer<Record<string, unknown>>() })
  payload: Record<string, unknown>;

  @Column({ type: 'varchar', length: 16 })
  state: InboxState;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  /** Names of the handlers that already finished, so a retry never acts twice. */
  @Column({ name: 'completed_handlers', type: 'text', transformer: jsonTransformer<string[]>() })
  completedHandlers: string[];

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @DateTimeColumn('received_at')
  receivedAt: Date;

  @DateTimeColumn('next_attempt_at')
  nextAttemptAt: Date;

  @DateTimeColumn('processed_at', { nullable: true })
  processedAt: Date | null;
}
