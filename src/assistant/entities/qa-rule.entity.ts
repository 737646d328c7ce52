import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { QaMode } from '../../channels/channel-config';
import { DateTimeColumn, jsonTransformer } from '../../database/entity-columns';
import type { AnswerMessage } from '../answer-messages';

/** One Q&A rule of a channel: triggers, how they match, and the answer (1 to 5 LINE messages). */
@Entity('qa_rules')
@Index('ix_qa_rules_channel', ['channelId'])
export class QaRule {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'channel_id', type: 'varchar', length: 64 })
  channelId: string;

  @Column({ type: 'text', transformer: jsonTransformer<string[]>() })
  triggers: string[];

  /** null: the channel's `assistant.qa.mode` decides. */
  @Column({ type: 'varchar', length: 8, nullable: true })
  mode: QaMode | null;

  @Column({ type: 'text', transformer: jsonTransformer<AnswerMessage[]>() })
  messages: AnswerMessage[];

  @Column({ type: 'boolean' })
  enabled: boolean;

  @Column({ type: 'integer' })
  priority: number;

  @Column({ name: 'cooldown_seconds', type: 'integer' })
  cooldownSeconds: number;

  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy: string;

  @DateTimeColumn('created_at')
  createdAt: Date;

  @DateTimeColumn('updated_at')
  updatedAt: Date;
}
