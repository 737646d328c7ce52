import { Global, Module } from '@nestjs/common';
import { ChannelsModule } from '../channels/channels.module';
import { MembersModule } from '../members/members.module';
import { ChatReplier } from './chat-replier.service';
import { CommandsHandler } from './commands.handler';
import { CommandsRegistry } from './commands.registry';

/** Global: auth and assistant register their commands and answer through ChatReplier. */
@Global()
@Module({
  imports: [ChannelsModule, MembersModule],
  providers: [CommandsRegistry, ChatReplier, CommandsHandler],
  exports: [CommandsRegistry, ChatReplier],
})
export class CommandsModule {}
