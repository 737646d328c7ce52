import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DateTimeColumn } from '../database/entity-columns';

export type MemberRole = 'owner' | 'admin' | 'member';
export type MemberStatus = 'active' | 'left';

@Entity('members')
@Index('uq_members_channel_user', ['channelId', 'userId'], { unique: true })
export class Member {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id: number;

  @Column({ name: 'channel_id', type: 'varchar', length: 64 })
  channelId: string;

  @Column({ name: 'user_id', type: 'varchar', length: 64 })
  userId: string;

  @Column({ name: 'display_name', type: 'varchar', length: 255, nullable: true })
  displayName: string | null;

  @Column({ name: 'picture_url', type: 'varchar', length: 1024, nullable: true })
  pictureUrl: string | null;

  @Column({ type: 'varchar', length: 8 })
  role: MemberRole;

  @Column({ type: 'varchar', length: 8 })
  status: MemberStatus;

  @DateTimeColumn('joined_at', { nullable: true })
  joinedAt: Date | null;

  @DateTimeColumn('left_at', { nullable: true })
  leftAt: Date | null;

  @DateTimeColumn('updated_at')
  updatedAt: Date;

  @DateTimeColumn('profile_fetched_at', { nullable: true })
  profileFetchedAt: Date | null;
}
