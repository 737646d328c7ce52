import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '../database/entity-columns';

/** Every token carries the version current when it was issued; bumping it revokes them all. */
@Entity('user_token_versions')
export class UserTokenVersion {
  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 64 })
  userId: string;

  @Column({ name: 'token_version', type: 'integer', default: 0 })
  tokenVersion: number;

  @DateTimeColumn('updated_at')
  updatedAt: Date;
}
