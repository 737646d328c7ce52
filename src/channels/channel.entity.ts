import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '../database/entity-columns';

export type ChannelType = 'group' | 'room' | 'user';
export type ChannelStatus = 'active' | 'disabled';

/** A LINE chat the bot is (or was) in: a group, a room, or a 1:1 chat whose id is the user's id. */
@Entity('channels')
export class Channel {
  @PrimaryColumn({ name: 'channel_id', type: 'varchar', length: 64 })
  channelId: string;

  @Column({ type: 'varchar', length: 8 })
  type: ChannelType;

  @Column({ type: 'varchar', length: 255, nullable: true })
  name: string | null;

  @Column({ name: 'picture_url', type: 'varchar', length: 1024, nullable: true })
  pictureUrl: string | null;

  @Column({ name: 'member_count', type: 'integer', nullable: true })
  memberCount: number | null;

  @Column({ type: 'varchar', length: 16 })
  status: ChannelStatus;

  @DateTimeColumn('created_at')
  createdAt: Date;

  /** `system` when the bot created it from a webhook event, otherwise the userId of an operator. */
  @Column({ name: 'created_by', type: 'varchar', length: 64 })
  createdBy: string;

  @DateTimeColumn('enabled_at')
  enabledAt: Date;

  @DateTimeColumn('disabled_at', { nullable: true })
  disabledAt: Date | null;

  /** Last read from LINE; null: never (new, or its first read failed), so its next event reads it. */
  @DateTimeColumn('line_read_at', { nullable: true })
  lineReadAt: Date | null;

  /**
   * When memberCount was last read from LINE (null: not known, as for chats stored before). A
   * memberJoined or memberLeft older than that is already in the count and does not move it.
   */
  @DateTimeColumn('member_count_at', { nullable: true })
  memberCountAt: Date | null;

  @DateTimeColumn('updated_at')
  updatedAt: Date;
}
