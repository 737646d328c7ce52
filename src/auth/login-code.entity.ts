import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DateTimeColumn } from '../database/entity-columns';

/** A one-time sign-in code given by the bot in a 1:1 chat. Only its SHA-256 is kept. */
@Entity('login_codes')
@Index('uq_login_codes_hash', ['codeHash'], { unique: true })
export class LoginCode {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'code_hash', type: 'varchar', length: 64 })
  codeHash: string;

  @Column({ name: 'user_id', type: 'varchar', length: 64 })
  userId: string;

  @DateTimeColumn('created_at')
  createdAt: Date;

  @DateTimeColumn('expires_at')
  expiresAt: Date;

  @DateTimeColumn('used_at', { nullable: true })
  usedAt: Date | null;
}
