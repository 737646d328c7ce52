import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Settings } from '../config/settings';
import { InboxBacklog } from './inbox-backlog';
import { InboxEvent } from './inbox-event.entity';
import { InboxEventRunner } from './inbox-event-runner';
import { InboxRecovery } from './inbox-recovery';
import { INBOX_PROCESSOR } from './inbox-processor';
import { InboxWorker } from './inbox-worker.service';
import { InboxStore } from './inbox.store';
import { WebhookService } from './webhook.service';

/**
 * The inbox and its worker; POST /webhook is served by webhook.route.ts (set up in app.setup.ts).
 * Handlers register with the global EventDispatcher.
 */
@Module({
  imports: [TypeOrmModule.forFeature([InboxEvent])],
  providers: [
    {
      provide: InboxBacklog,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Settings, true>) => {
        const { maxBacklog, backlogWaitMs } = config.get('webhook', { infer: true });
        return new InboxBacklog(maxBacklog, backlogWaitMs);
      },
    },
    InboxStore,
    InboxEventRunner,
    InboxRecovery,
    InboxWorker,
    { provide: INBOX_PROCESSOR, useExisting: InboxWorker },
    WebhookService,
  ],
})
export class WebhookModule {}
