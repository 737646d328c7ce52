import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { PageLimit } from '../../common/page-limit';
import type { MemberRole, MemberStatus } from '../member.entity';

export const DEFAULT_MEMBERS_PAGE = 100;
export const MAX_MEMBERS_PAGE = 1000;

export class ListMembersQueryDto {
  @ApiPropertyOptional({ enum: ['active', 'left'] })
  @IsOptional()
  @IsIn(['active', 'left'])
  status?: MemberStatus;

  @ApiPropertyOptional({ enum: ['owner', 'admin', 'member'] })
  @IsOptional()
  @IsIn(['owner', 'admin', 'member'])
  role?: MemberRole;

  @PageLimit(DEFAULT_MEMBERS_PAGE, MAX_MEMBERS_PAGE)
  limit?: number;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page.', example: '1234' })
  @IsOptional()
  @Matches(/^\d{1,15}$/, { message: 'cursor must be a nextCursor given by a previous page' })
  cursor?: string;
}
