import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
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

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_MEMBERS_PAGE, default: DEFAULT_MEMBERS_PAGE })
  @IsOptional()
  @Type(() => Number)
  @Min(1)
  @Max(MAX_MEMBERS_PAGE)
  @IsInt()
  limit?: number;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page.', example: '1234' })
  @IsOptional()
  @Matches(/^\d{1,15}$/, { message: 'cursor must be a nextCursor given by a previous page' })
  cursor?: string;
}
