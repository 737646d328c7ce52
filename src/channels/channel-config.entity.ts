import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateTimeColumn, jsonTransformer } from '../database/entity-columns';
import { ChannelConfig } from './channel-config';

/** One row per channel; `data` holds only what differs from the defaults merged in on read. */
@Entity('channel_configs')
export class ChannelConfigRow {
  @PrimaryColumn({ name: 'channel_id', type: 'varchar', length: 64 })
  channelId: string;

  @Column({ type: 'text', transformer: jsonTransformer<Partial<ChannelConfig>>() })
  data: Partial<ChannelConfig>;

  @DateTimeColumn('updated_at')
  updatedAt: Date;
}
