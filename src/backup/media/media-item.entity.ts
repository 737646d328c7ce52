import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintTransformer, DateTimeColumn } from '../../database/entity-columns';
import type { MediaStatus } from '../message-row';

/** The download of one media message's content and, once stored, where it is (its SHA-256). */
@Entity('backup_media')
@Index('uq_backup_media_message', ['messagePk'], { unique: true })
@Index('ix_backup_media_status_next', ['status', 'nextAttemptAt'])
@Index('ix_backup_media_sha256', ['sha256'])
export class MediaItem {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  /** backup_messages.id */
  @Column({ name: 'message_pk', type: 'integer' })
  messagePk: number;

  @Column({ name: 'line_message_id', type: 'varchar', length: 64 })
  lineMessageId: string;

  @Column({ type: 'varchar', length: 16 })
  provider: 'line' | 'external';

  @Column({ type: 'varchar', length: 16 })
  status: MediaStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @DateTimeColumn('next_attempt_at', { nullable: true })
  nextAttemptAt: Date | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  sha256: string | null;

  @Column({ type: 'bigint', nullable: true, transformer: bigintTransformer })
  size: number | null;

  @Column({ name: 'content_type', type: 'varchar', length: 255, nullable: true })
  contentType: string | null;

  @Column({ name: 'original_url', type: 'text', nullable: true })
  originalUrl: string | null;

  @Column({ name: 'preview_url', type: 'text', nullable: true })
  previewUrl: string | null;

  @DateTimeColumn('created_at')
  createdAt: Date;

  @DateTimeColumn('updated_at')
  updatedAt: Date;
}
