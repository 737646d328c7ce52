import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../auth/api-errors';
import type { ChannelAccess } from '../auth/auth-user';
import { ChannelParam } from '../auth/channel-param.decorator';
import { Roles } from '../auth/roles.decorator';
import { AuditService } from './audit.service';
import { AuditEntryDto, AuditPageDto, DEFAULT_AUDIT_PAGE, ListAuditQueryDto } from './dto/audit.dto';

@ApiTags('audit')
@Controller('api/channels/:channelId/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Roles('owner', 'admin')
  @ApiParam({ name: 'channelId', example: 'C1234567890abcdef' })
  @ApiOperation({ summary: 'Who changed roles, owner or config of this channel, newest first' })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiErrors(400)
  async list(
    @ChannelParam() access: ChannelAccess,
    @Query() query: ListAuditQueryDto,
  ): Promise<AuditPageDto> {
    const page = await this.audit.list(access.channelId, query.limit ?? DEFAULT_AUDIT_PAGE, query.cursor);
    return {
      entries: page.entries.map(AuditEntryDto.from),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }
}
