import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChannelsModule } from '../channels/channels.module';
import type { Settings } from '../config/settings';
import { MembersModule } from '../members/members.module';
import { ArchiveHandler } from './archive.handler';
import { ArchiveService } from './archive.service';
import { BackupController } from './backup.controller';
import { ExportService } from './export/export.service';
import { LocalMediaStore } from './media/local-media-store';
import { MediaFetcher } from './media/media-fetcher.service';
import { MediaItem } from './media/media-item.entity';
import { MediaLock } from './media/media-lock';
import { MEDIA_STORE } from './media/media-store';
import { BackupMessagesService } from './messages.service';
import { RetentionService } from './retention.service';
import { SearchIndexer } from './search/search-indexer';
import { TimelineRepository } from './timeline.repository';

/** The archive: webhook subscribers, media downloads, search, export and retention. */
@Module({
  imports: [TypeOrmModule.forFeature([MediaItem]), ChannelsModule, MembersModule],
  controllers: [BackupController],
  providers: [
    {
      provide: MEDIA_STORE,
      inject: [ConfigService],
      useFactory: async (config: ConfigService<Settings, true>) => {
        const store = new LocalMediaStore(config.get('backup', { infer: true }).mediaDir);
        await store.init();
        return store;
      },
    },
    SearchIndexer,
    ArchiveService,
    ArchiveHandler,
    TimelineRepository,
    BackupMessagesService,
    MediaLock,
    MediaFetcher,
    ExportService,
    RetentionService,
  ],
})
export class BackupModule {}
