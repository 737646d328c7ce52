import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { PageLimit } from '../../common/page-limit';
import type { AuditLog } from '../audit-log.entity';

export const DEFAULT_AUDIT_PAGE = 50;

export class ListAuditQueryDto {
  @PageLimit(DEFAULT_AUDIT_PAGE, 500)
  limit?: number;

  @ApiPropertyOptional({ description: 'The `nextCursor` of the previous page.', example: '120' })
  @IsOptional()
  @Matches(/^\d{1,15}$/, { message: 'cursor must be a nextCursor given by a previous page' })
  cursor?: string;
}

export class AuditEntryDto {
  @ApiProperty({ example: 120 })
  id: number;

  @ApiProperty({ example: 'U1234567890abcdef', description: 'Who did it: a LINE userId, or `system`' })
  actor: string;

  @ApiProperty({
    example: 'member.role',
    description: 'member.role, channel.owner.claim, channel.owner.set, channel.config, channel.leave, ...',
  })
  action: string;

  @ApiProperty({ example: { userId: 'U0987654321fedcba', role: 'member' }, nullable: true, type: Object })
  before: unknown;

  @ApiProperty({ example: { userId: 'U0987654321fedcba', role: 'admin' }, nullable: true, type: Object })
  after: unknown;

  @ApiProperty({ example: '2025-01-15T08:00:00.000Z' })
  createdAt: string;

  static from(e: AuditLog): AuditEntryDto {
    return {
      id: e.id,
      actor: e.actorUserId,
      action: e.action,
      before: e.before ?? null,
      after: e.after ?? null,
      createdAt: e.createdAt.toISOString(),
    };
  }
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEntryDto], description: 'Newest first' })
  entries: AuditEntryDto[];

  @ApiPropertyOptional({ description: 'Present only when there are older entries', example: '71' })
  nextCursor?: string;
}
