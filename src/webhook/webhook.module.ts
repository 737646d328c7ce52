import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InboxEvent } from './inbox-event.entity';
import { InboxEventRunner } from './inbox-event-runner';
import { INBOX_PROCESSOR } from './inbox-processor';
import { InboxWorker } from './inbox-worker.service';
import { InboxStore } from './inbox.store';
import { WebhookController } from './webhook.controller';
import { WebhookService } from './webhook.service';

/** POST /webhook, the inbox and its worker. Handlers register with the global EventDispatcher. */
@Module({
  imports: [TypeOrmModule.forFeature([InboxEvent])],
  controllers: [WebhookController],
  providers: [
    InboxStore,
    InboxEventRunner,
    InboxWorker,
    { provide: INBOX_PROCESSOR, useExisting: InboxWorker },
    WebhookService,
  ],
})
export class WebhookModule {}
