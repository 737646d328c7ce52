import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MembersModule } from '../members/members.module';
import { ChannelConfigRow } from './channel-config.entity';
import { ChannelEventsHandler } from './channel-events.handler';
import { Channel } from './channel.entity';
import { ChannelsService } from './channels.service';
import { ChannelsAdminService } from './channels-admin.service';
import { ChannelsController } from './channels.controller';

@Module({
  imports: [TypeOrmModule.forFeature([Channel, ChannelConfigRow]), MembersModule],
  controllers: [ChannelsController],
  providers: [ChannelsService, ChannelEventsHandler, ChannelsAdminService],
  exports: [ChannelsService, ChannelsAdminService],
})
export class ChannelsModule {}
