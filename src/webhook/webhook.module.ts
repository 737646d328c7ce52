import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { InboxEvent } from './inbox-event.entity';

@Module({ imports: [TypeOrmModule.forFeature([InboxEvent])] })
export class WebhookModule {}
