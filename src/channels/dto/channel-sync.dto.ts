import { ApiProperty } from '@nestjs/swagger';
import type { ChannelSyncResult } from '../channels.service';

export class MemberSyncDto {
  @ApiProperty({
    example: true,
    description: 'false when LINE did not list the members (403: not a verified or premium account)',
  })
  listed: boolean;

  @ApiProperty({ example: 3 })
  added: number;

  @ApiProperty({ example: 0 })
  rejoined: number;

  @ApiProperty({ example: 1 })
  left: number;

  @ApiProperty({ example: 4 })
  profilesUpdated: number;

  @ApiProperty({ example: 0 })
  profilesFailed: number;
}

export class SyncUnavailableDto {
  @ApiProperty({ enum: ['summary', 'count', 'memberIds', 'profile'] })
  part: string;

  @ApiProperty({ example: 403, description: 'HTTP status LINE answered; 0 for a timeout' })
  status: number;
}

/** What POST /sync found and changed. */
export class ChannelSyncDto {
  @ApiProperty({ example: 'C1234567890abcdef' })
  channelId: string;

  @ApiProperty({ example: '購物討論群', nullable: true, type: String })
  name: string | null;

  @ApiProperty({ nullable: true, type: String })
  picture: string | null;

  @ApiProperty({ example: 150, nullable: true, type: Number })
  memberCount: number | null;

  @ApiProperty({
    example: ['name'],
    type: [String],
    description: 'Channel fields that changed: name, picture, memberCount',
  })
  changed: string[];

  @ApiProperty({ type: MemberSyncDto })
  members: MemberSyncDto;

  @ApiProperty({
    type: [SyncUnavailableDto],
    description: 'What LINE did not answer (everything else was applied)',
  })
  unavailable: SyncUnavailableDto[];

  static from(r: ChannelSyncResult): ChannelSyncDto {
    return {
      channelId: r.channelId,
      name: r.name,
      picture: r.pictureUrl,
      memberCount: r.memberCount,
      changed: r.changed.map((f) => (f === 'pictureUrl' ? 'picture' : f)),
      members: { ...r.members },
      unavailable: r.unavailable.map((u) => ({ part: u.part, status: u.status })),
    };
  }
}
