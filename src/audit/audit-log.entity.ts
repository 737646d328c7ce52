import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DateTimeColumn, jsonTransformer } from '../database/entity-columns';

@Entity('audit_logs')
@Index('ix_audit_logs_channel_time', ['channelId', 'createdAt'])
export class AuditLog {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'channel_id', type: 'varchar', length: 64, nullable: true })
  channelId: string | null;

  /** LINE userId of who did it, or `system` for the bot itself. */
  @Column({ name: 'actor_user_id', type: 'varchar', length: 64 })
  actorUserId: string;

  @Column({ type: 'varchar', length: 64 })
  action: string;

  @Column({ type: 'text', nullable: true, transformer: jsonTransformer<unknown>() })
  before: unknown;

  @Column({ type: 'text', nullable: true, transformer: jsonTransformer<unknown>() })
  after: unknown;

  @DateTimeColumn('created_at')
  createdAt: Date;
}
