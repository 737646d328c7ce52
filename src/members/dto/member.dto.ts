import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { MemberRole, MemberStatus } from '../member.entity';

/** One member as the contract shows it. */
export class MemberDto {
  @ApiProperty({ example: 'U1234567890abcdef' })
  userId: string;

  @ApiProperty({
    example: '王小明',
    nullable: true,
    type: String,
    description: 'null until LINE has told the profile',
  })
  displayName: string | null;

  @ApiProperty({ example: 'https://profile.line-scdn.net/...', nullable: true, type: String })
  pictureUrl: string | null;

  @ApiProperty({ enum: ['owner', 'admin', 'member'], example: 'owner' })
  role: MemberRole;

  @ApiProperty({
    example: '2025-01-15T08:00:00.000Z',
    nullable: true,
    type: String,
    description: 'ISO-8601, UTC',
  })
  joinedAt: string | null;

  @ApiProperty({ example: null, nullable: true, type: String, description: 'null while still in the chat' })
  leftAt: string | null;

  @ApiProperty({ enum: ['active', 'left'], example: 'active' })
  status: MemberStatus;

  @ApiProperty({ example: '2025-01-15T08:00:00.000Z' })
  updatedAt: string;
}

export class MembersPageDto {
  @ApiProperty({ type: [MemberDto] })
  members: MemberDto[];

  @ApiPropertyOptional({
    example: '1234',
    description: 'Present only when there are more members: pass it as `cursor` to read the next page.',
  })
  nextCursor?: string;
}

export class SuccessDto {
  @ApiProperty({ example: true })
  success: true;
}
