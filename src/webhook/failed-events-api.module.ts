import { Module } from '@nestjs/common';
import { FailedEventsModule } from './failed-events';
import { FailedEventsController } from './failed-events.controller';
import { WebhookModule } from './webhook.module';

/** The REST routes on failed events (the CLI uses FailedEventsModule alone). */
@Module({
  imports: [FailedEventsModule, WebhookModule],
  controllers: [FailedEventsController],
})
export class FailedEventsApiModule {}
