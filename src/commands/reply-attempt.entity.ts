import { Entity, Index, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '../database/entity-columns';

/**
 * A reply token that a reply went out with and that LINE may have shown: written before the reply
 * is sent, deleted when LINE says it was not. Kept in the database, not in memory, so that a
 * restart after a crash in the middle of an answer still knows not to push a second copy.
 */
@Entity('reply_attempts')
@Index('ix_reply_attempts_created', ['createdAt'])
export class ReplyAttempt {
  /** SHA-256 of the token (hex): a fixed width, and the token itself is not kept. */
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash: string;

  @DateTimeColumn('created_at')
  createdAt: Date;
}
