import { DynamicModule, Module } from '@nestjs/common';
import { AssistantModule } from './assistant/assistant.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { BackupModule } from './backup/backup.module';
import { ChannelsModule } from './channels/channels.module';
import { CommandsModule } from './commands/commands.module';
import { HttpDrain } from './common/http-drain';
import { LoggingModule } from './common/logging.module';
import { AppConfigModule } from './config/app-config.module';
import { Settings } from './config/settings';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { I18nModule } from './i18n/i18n.module';
import { LineModule } from './line/line.module';
import { MembersModule } from './members/members.module';
import { DispatcherModule } from './webhook/dispatcher.module';
import { FailedEventsApiModule } from './webhook/failed-events-api.module';
import { WebhookModule } from './webhook/webhook.module';

@Module({})
export class AppModule {
  /** Settings are passed in (not read at import time) so each e2e suite runs its own configuration. */
  static forRoot(settings: Settings): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(settings),
        LoggingModule,
        DatabaseModule,
        HealthModule,
        DispatcherModule,
        AuditModule,
        I18nModule,
        LineModule,
        WebhookModule,
        FailedEventsApiModule,
        ChannelsModule,
        MembersModule,
        CommandsModule,
        AuthModule,
        AssistantModule,
        BackupModule,
      ],
      providers: [HttpDrain],
    };
  }
}
