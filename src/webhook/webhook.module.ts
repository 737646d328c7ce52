import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Settings } from '../config/settings';
import { sqliteFile } from '../database/sqlite-connection';
import { WalSync } from '../database/wal-sync';
import { DatabaseOutage, OUTAGE_CHECK_MAX_MS, OUTAGE_PING_TIMEOUT_MS } from './database-outage';
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
    {
      provide: WalSync,
      inject: [getDataSourceToken(), ConfigService],
      useFactory: (ds: DataSource, config: ConfigService<Settings, true>) =>
        new WalSync(config.get('webhook', { infer: true }).fsync ? sqliteFile(ds) : undefined),
    },
    {
      provide: DatabaseOutage,
      inject: [getDataSourceToken(), ConfigService],
      useFactory: (ds: DataSource, config: ConfigService<Settings, true>) => {
        const { retryBaseMs, retryMaxMs } = config.get('webhook', { infer: true });
        return new DatabaseOutage({
          baseMs: retryBaseMs,
          maxMs: Math.max(retryBaseMs, Math.min(retryMaxMs, OUTAGE_CHECK_MAX_MS)),
          ping: () => ds.query('SELECT 1'),
          pingTimeoutMs: OUTAGE_PING_TIMEOUT_MS,
        });
      },
    },
    InboxEventRunner,
    InboxRecovery,
    InboxWorker,
    { provide: INBOX_PROCESSOR, useExisting: InboxWorker },
    WebhookService,
  ],
  exports: [INBOX_PROCESSOR],
})
export class WebhookModule {}
