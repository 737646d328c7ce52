import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '../../database/entity-columns';

/**
 * Events the assistant has already answered. A handler that runs again for the same event (a retry
 * after a later failure) finds its row and sends nothing. Rows are pruned after a few days.
 */
@Entity('assistant_replies')
@Index('ix_assistant_replies_created', ['createdAt'])
export class AssistantReply {
  @PrimaryColumn({ name: 'webhook_event_id', type: 'varchar', length: 64 })
  webhookEventId: string;

  @Column({ name: 'channel_id', type: 'varchar', length: 64 })
  channelId: string;

  /** `qa`, `welcome` or `intro`. */
  @Column({ type: 'varchar', length: 16 })
  kind: string;

  /** ChatReplier's outcome: `replied`, `pushed`, `dropped` or `unconfirmed`. */
  @Column({ type: 'varchar', length: 16 })
  outcome: string;

  @DateTimeColumn('created_at')
  createdAt: Date;
}
