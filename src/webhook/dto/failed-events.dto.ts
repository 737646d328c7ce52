import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsString, Matches } from 'class-validator';
import { PageLimit } from '../../common/page-limit';
import { FailedEvent, WEBHOOK_EVENT_ID } from '../failed-events';

export const DEFAULT_FAILED_PAGE = 100;
/** A call's work and its audit entry stay bounded: ids named, or put back without ids. */
export const MAX_RETRIED_PER_CALL = 500;

export class ListFailedEventsQueryDto {
  @PageLimit(DEFAULT_FAILED_PAGE, 500)
  limit?: number;
}

export class FailedEventDto {
  @ApiProperty({ example: '01HZX8V6M2Q4N7T9A3B5C8D0EF' })
  webhookEventId: string;

  @ApiProperty({ example: 'memberJoined', description: "LINE's event type" })
  type: string;

  @ApiProperty({ example: '2025-01-15T08:00:00.000Z' })
  receivedAt: string;

  @ApiProperty({ example: '2025-01-15T08:04:10.000Z', nullable: true })
  failedAt: string | null;

  @ApiProperty({ example: 8 })
  attempts: number;

  @ApiProperty({ example: 'LineApiError: LINE answered 500', nullable: true })
  lastError: string | null;

  static from(e: FailedEvent): FailedEventDto {
    return {
      webhookEventId: e.webhookEventId,
      type: e.eventType,
      receivedAt: e.receivedAt.toISOString(),
      failedAt: e.processedAt?.toISOString() ?? null,
      attempts: e.attempts,
      lastError: e.lastError,
    };
  }
}

export class FailedEventsDto {
  @ApiProperty({ type: [FailedEventDto], description: 'Oldest first' })
  events: FailedEventDto[];
}

export class RetryFailedEventsDto {
  @ApiPropertyOptional({
    type: [String],
    description: 'The failed events of this chat to put back; without it, the oldest 500 of them.',
    example: ['01HZX8V6M2Q4N7T9A3B5C8D0EF'],
  })
  // Checked from the bottom up, and the first failure is the answer: an array first.
  @IsOptional()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_RETRIED_PER_CALL)
  @Matches(WEBHOOK_EVENT_ID, { each: true, message: 'webhookEventIds must hold webhookEventIds' })
  @IsString({ each: true })
  @IsArray()
  webhookEventIds?: string[];
}

export class RetriedEventsDto {
  @ApiProperty({ type: [String], description: 'The webhookEventIds put back in the queue' })
  retried: string[];

  @ApiProperty({ type: [String], description: 'Ids asked for that are not a failed event of this chat' })
  notFound: string[];
}
