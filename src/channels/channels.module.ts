import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChannelConfigRow } from './channel-config.entity';
import { Channel } from './channel.entity';

@Module({ imports: [TypeOrmModule.forFeature([Channel, ChannelConfigRow])] })
export class ChannelsModule {}
