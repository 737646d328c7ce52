import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChannelsModule } from '../channels/channels.module';
import { MembersModule } from '../members/members.module';
import { AssistantEventsHandler } from './assistant-events.handler';
import { AssistantCommands } from './commands/assistant.commands';
import { AssistantReply } from './entities/assistant-reply.entity';
import { AssistantSettings } from './entities/assistant-settings.entity';
import { QaRuleFire } from './entities/qa-rule-fire.entity';
import { QaRule } from './entities/qa-rule.entity';
import { QaEngine } from './qa-engine.service';
import { QaRulesService } from './qa-rules.service';
import { QaController } from './qa.controller';
import { RepliedEvents } from './replied-events.service';
import { TemplateRenderer } from './template-renderer.service';
import { WelcomeController } from './welcome.controller';
import { WelcomeService } from './welcome.service';

/** Q&A auto-replies, welcome, rules, the bot's introduction and their in-chat commands. */
@Module({
  imports: [
    TypeOrmModule.forFeature([QaRule, QaRuleFire, AssistantSettings, AssistantReply]),
    ChannelsModule,
    MembersModule,
  ],
  controllers: [QaController, WelcomeController],
  providers: [
    QaEngine,
    QaRulesService,
    WelcomeService,
    TemplateRenderer,
    RepliedEvents,
    AssistantEventsHandler,
    AssistantCommands,
  ],
})
export class AssistantModule {}
