import { ApiProperty } from '@nestjs/swagger';
import type { MemberRole } from '../../members/member.entity';
import type { ChannelConfig } from '../channel-config';
import type { Channel, ChannelStatus, ChannelType } from '../channel.entity';
import { ChannelConfigDto } from './channel-config.dto';

/** One entry of GET /api/channels. */
export class ChannelSummaryDto {
  @ApiProperty({ example: 'C1234567890abcdef' })
  channelId: string;

  @ApiProperty({
    example: '購物討論群',
    nullable: true,
    type: String,
    description: 'null while LINE has not told it (rooms have none)',
  })
  name: string | null;

  @ApiProperty({ enum: ['group', 'room', 'user'], example: 'group' })
  type: ChannelType;

  @ApiProperty({ example: '2025-01-15T08:00:00.000Z', description: 'ISO-8601, UTC' })
  enabledAt: string;

  @ApiProperty({ enum: ['active', 'disabled'], example: 'active' })
  status: ChannelStatus;
}

export class ChannelListDto {
  @ApiProperty({ type: [ChannelSummaryDto] })
  channels: ChannelSummaryDto[];
}

export class ChannelMetaDto {
  @ApiProperty({ example: 'C1234567890abcdef' })
  channelId: string;

  @ApiProperty({ enum: ['group', 'room', 'user'], example: 'group' })
  type: ChannelType;

  @ApiProperty({ example: '購物討論群', nullable: true, type: String })
  name: string | null;

  @ApiProperty({ example: 'https://profile.line-scdn.net/...', nullable: true, type: String })
  picture: string | null;

  @ApiProperty({ example: '2025-01-15T08:00:00.000Z' })
  createdAt: string;

  @ApiProperty({ example: 'system', description: '`system` when the bot created it from a LINE event' })
  createdBy: string;

  @ApiProperty({
    example: 150,
    nullable: true,
    type: Number,
    description: 'As LINE counts (the bot not included)',
  })
  memberCount: number | null;

  static from(c: Channel): ChannelMetaDto {
    return {
      channelId: c.channelId,
      type: c.type,
      name: c.name,
      picture: c.pictureUrl,
      createdAt: c.createdAt.toISOString(),
      createdBy: c.createdBy,
      memberCount: c.memberCount,
    };
  }
}

export class ChannelDetailDto {
  @ApiProperty({ type: ChannelMetaDto })
  meta: ChannelMetaDto;

  @ApiProperty({ type: ChannelConfigDto })
  config: ChannelConfigDto;

  @ApiProperty({
    enum: ['owner', 'admin', 'member'],
    nullable: true,
    example: 'owner',
    description: "The caller's role here; null for an operator who is not a member",
  })
  role: MemberRole | null;

  static from(channel: Channel, config: ChannelConfig, role: MemberRole | null): ChannelDetailDto {
    return { meta: ChannelMetaDto.from(channel), config, role };
  }
}
