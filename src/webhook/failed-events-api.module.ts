import { Module } from '@nestjs/common';
import { FailedEventsModule } from './failed-events';
import { FailedEventsController } from './failed-events.controller';

/** The REST routes on failed events (the CLI uses FailedEventsModule alone). */
@Module({
  imports: [FailedEventsModule],
  controllers: [FailedEventsController],
})
export class FailedEventsApiModule {}
