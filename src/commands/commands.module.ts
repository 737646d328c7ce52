import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChannelsModule } from '../channels/channels.module';
import { MembersModule } from '../members/members.module';
import { ChatReplier } from './chat-replier.service';
import { CommandsHandler } from './commands.handler';
import { CommandsRegistry } from './commands.registry';
import { ReplyAttempt } from './reply-attempt.entity';
import { ReplyAttempts } from './reply-attempts.service';

/** Global: auth and assistant register their commands and answer through ChatReplier. */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([ReplyAttempt]), ChannelsModule, MembersModule],
  providers: [CommandsRegistry, ChatReplier, ReplyAttempts, CommandsHandler],
  exports: [CommandsRegistry, ChatReplier],
})
export class CommandsModule {}
