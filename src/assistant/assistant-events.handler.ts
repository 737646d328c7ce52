import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { webhook } from '@line/bot-sdk';
import { ChannelsService } from '../channels/channels.service';
import { parseCommand } from '../commands/command-parser';
import { ChatReplier } from '../commands/chat-replier.service';
import { CommandsRegistry } from '../commands/commands.registry';
import { I18nService } from '../i18n/i18n.service';
import type { LineMessage } from '../line/line-client.service';
import { EventContext, EventDispatcher } from '../webhook/event-dispatcher';
import { QaEngine } from './qa-engine.service';
import { RepliedEvents, ReplyKind } from './replied-events.service';
import { TemplateRenderer } from './template-renderer.service';
import { WelcomeService } from './welcome.service';

/**
 * What the assistant does on its own: answers Q&A, welcomes new members, introduces itself when it
 * joins. Each answer uses the event's reply token through ChatReplier (free; never a push unless
 * the channel opted in), and each obeys its config switch: a part switched off stays silent.
 */
@Injectable()
export class AssistantEventsHandler implements OnModuleInit {
  private readonly logger = new Logger(AssistantEventsHandler.name);

  constructor(
    private readonly dispatcher: EventDispatcher,
    private readonly registry: CommandsRegistry,
    private readonly replier: ChatReplier,
    private readonly channels: ChannelsService,
    private readonly engine: QaEngine,
    private readonly renderer: TemplateRenderer,
    private readonly welcome: WelcomeService,
    private readonly replied: RepliedEvents,
    private readonly i18n: I18nService,
  ) {}

  onModuleInit(): void {
    this.dispatcher.on('message', 'assistant.qa', (event, ctx) => this.answer(event, ctx), 100);
    this.dispatcher.on('memberJoined', 'assistant.welcome', (event, ctx) => this.greet(event, ctx), 100);
    this.dispatcher.on('join', 'assistant.intro', (event, ctx) => this.introduce(event, ctx), 100);
  }

  private async answer(event: webhook.MessageEvent, ctx: EventContext): Promise<void> {
    if (event.message.type !== 'text' || !ctx.channelId || !ctx.channelType || ctx.standby) return;
    const { text, quoteToken } = event.message;
    // A command is the commands handler's; it never also triggers Q&A.
    if (parseCommand(text, this.registry.lookup)) return;
    const config = await this.channels.configForEvent(ctx.channelId);
    if (!config.assistant.enabled || !config.assistant.qa.enabled) return;
    const [best] = await this.engine.match(ctx.channelId, text, config.assistant.qa.mode);
    if (!best || (await this.replied.answered(ctx.webhookEventId))) return;
    const rule = await this.engine.load(best.rule);
    if (!rule) return;
    if (!(await this.engine.claim(best.rule, ctx.webhookEventId, ctx.eventTime))) {
      this.logger.debug({ channelId: ctx.channelId, ruleId: best.rule.id }, 'Q&A rule cooling down');
      return;
    }
    const messages = await this.renderer.renderAnswer(
      rule.messages,
      {
        channelId: ctx.channelId,
        channelType: ctx.channelType,
        language: config.language,
        timezone: config.timezone,
        at: ctx.eventTime,
        userIds: ctx.userId ? [ctx.userId] : [],
      },
      // In a busy group the answer quotes the question it answers.
      ctx.channelType === 'user' ? undefined : quoteToken,
    );
    await this.send(event, ctx, messages, 'qa');
  }

  private async greet(event: webhook.MemberJoinedEvent, ctx: EventContext): Promise<void> {
    if (!ctx.channelId || !ctx.channelType || ctx.standby) return;
    const config = await this.channels.configForEvent(ctx.channelId);
    if (!config.assistant.enabled || !config.assistant.welcome.enabled) return;
    const userIds = [
      ...new Set(event.joined.members.flatMap((m) => (m.type === 'user' && m.userId ? [m.userId] : []))),
    ];
    if (userIds.length === 0 || (await this.replied.answered(ctx.webhookEventId))) return;
    const messages = await this.welcome.welcomeMessages(
      {
        channelId: ctx.channelId,
        channelType: ctx.channelType,
        language: config.language,
        timezone: config.timezone,
        at: ctx.eventTime,
        userIds,
      },
      config,
    );
    await this.send(event, ctx, messages, 'welcome');
  }

  private async introduce(event: webhook.JoinEvent, ctx: EventContext): Promise<void> {
    if (!ctx.channelId || ctx.standby) return;
    const config = await this.channels.configForEvent(ctx.channelId);
    if (!config.assistant.enabled || (await this.replied.answered(ctx.webhookEventId))) return;
    await this.send(
      event,
      ctx,
      [{ type: 'text', text: this.i18n.t(config.language, 'assistant.intro') }],
      'intro',
    );
  }

  private async send(
    event: webhook.Event,
    ctx: EventContext,
    messages: LineMessage[],
    kind: ReplyKind,
  ): Promise<void> {
    const outcome = await this.replier.reply(event, ctx, messages);
    await this.replied.record(ctx.webhookEventId, ctx.channelId!, kind, outcome);
  }
}
