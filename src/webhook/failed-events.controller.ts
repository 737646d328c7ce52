import { Body, Controller, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AuditService } from '../audit/audit.service';
import { ApiErrors } from '../auth/api-errors';
import type { ChannelAccess } from '../auth/auth-user';
import { ChannelParam } from '../auth/channel-param.decorator';
import { RequireJsonBody } from '../auth/require-json-body.decorator';
import { Roles } from '../auth/roles.decorator';
import {
  DEFAULT_FAILED_PAGE,
  MAX_RETRIED_PER_CALL,
  FailedEventDto,
  FailedEventsDto,
  ListFailedEventsQueryDto,
  RetriedEventsDto,
  RetryFailedEventsDto,
} from './dto/failed-events.dto';
import { FailedEvents } from './failed-events';
import { INBOX_PROCESSOR, InboxProcessor } from './inbox-processor';

/**
 * A chat's events the worker gave up on, for its owner and admins (the dashboard's view of what the
 * bot missed: a welcome not sent, a message not archived), and putting them back once the cause is
 * mended. The same as the operator's CLI (`failed`, `retry`), limited to the one chat.
 */
@ApiTags('failed events')
@Controller('api/channels/:channelId/failed-events')
export class FailedEventsController {
  constructor(
    private readonly failed: FailedEvents,
    private readonly audit: AuditService,
    @Inject(INBOX_PROCESSOR) private readonly processor: InboxProcessor,
  ) {}

  @Get()
  @Roles('owner', 'admin')
  @ApiParam({ name: 'channelId', example: 'C1234567890abcdef' })
  @ApiOperation({ summary: "This chat's events that failed for good, oldest first, with their last error" })
  @ApiOkResponse({ type: FailedEventsDto })
  @ApiErrors(400)
  async list(
    @ChannelParam() access: ChannelAccess,
    @Query() query: ListFailedEventsQueryDto,
  ): Promise<FailedEventsDto> {
    const events = await this.failed.list(access.channelId, query.limit ?? DEFAULT_FAILED_PAGE);
    return { events: events.map(FailedEventDto.from) };
  }

  @Post('retry')
  @HttpCode(200)
  @Roles('owner', 'admin')
  @RequireJsonBody()
  @ApiParam({ name: 'channelId', example: 'C1234567890abcdef' })
  @ApiOperation({
    summary: 'Put failed events of this chat back in the queue',
    description:
      'They run again at once, only the handlers that had not finished, after the newer events of the ' +
      'chat that ran meanwhile. An answer whose reply token has expired is dropped, or pushed where the ' +
      'chat pays for pushes. Without ids, the oldest 500 (call again for more). Recorded in the audit log.',
  })
  @ApiOkResponse({ type: RetriedEventsDto })
  @ApiErrors(400)
  async retry(
    @ChannelParam() access: ChannelAccess,
    @Body() dto: RetryFailedEventsDto,
  ): Promise<RetriedEventsDto> {
    const outcome = await this.failed.retry({
      channelId: access.channelId,
      webhookEventIds: dto.webhookEventIds,
      limit: MAX_RETRIED_PER_CALL,
    });
    const { retried } = outcome;
    if (retried.length > 0) {
      // Run now rather than at the worker's next scan.
      this.processor.requeued([access.channelId], retried.length);
      await this.audit.record({
        channelId: access.channelId,
        actor: access.userId,
        action: 'events.retry',
        after: { webhookEventIds: retried },
      });
    }
    return outcome;
  }
}
