import { Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { webhook } from '@line/bot-sdk';
import { ChannelsService } from '../channels/channels.service';
import type { Settings } from '../config/settings';
import { I18nService } from '../i18n/i18n.service';
import { MembersService } from '../members/members.service';
import { EventContext, EventDispatcher } from '../webhook/event-dispatcher';
import { parseCommand } from './command-parser';
import { ChatReplier } from './chat-replier.service';
import { CommandContext, CommandsRegistry } from './commands.registry';

/** Parses every text message once and routes registered commands; everything else is left alone. */
@Injectable()
export class CommandsHandler implements OnModuleInit {
  constructor(
    private readonly dispatcher: EventDispatcher,
    private readonly registry: CommandsRegistry,
    private readonly replier: ChatReplier,
    private readonly channels: ChannelsService,
    private readonly members: MembersService,
    private readonly i18n: I18nService,
    private readonly config: ConfigService<Settings, true>,
  ) {}

  onModuleInit(): void {
    this.dispatcher.on('message', 'commands', (event, ctx) => this.handle(event, ctx), 50);
  }

  private async handle(event: webhook.MessageEvent, ctx: EventContext): Promise<void> {
    if (event.message.type !== 'text' || !ctx.channelId || !ctx.channelType || ctx.standby) return;
    const cmd = parseCommand(event.message.text, this.registry.lookup);
    if (!cmd) return;
    const entry = this.registry.get(cmd.name);
    if (!entry) return;
    const chat = await this.context(event as CommandContext['event'], ctx);
    let messages;
    if (entry.spec.chatTypes && !entry.spec.chatTypes.includes(chat.channelType)) {
      const key = chat.channelType === 'user' ? 'common.groupOnly' : 'common.privateOnly';
      messages = [{ type: 'text' as const, text: this.i18n.t(chat.language, key) }];
    } else if (entry.spec.adminOnly && !chat.isOperator && chat.role !== 'owner' && chat.role !== 'admin') {
      messages = [{ type: 'text' as const, text: this.i18n.t(chat.language, 'common.adminOnly') }];
    } else {
      messages = (await entry.handler(cmd, chat)) ?? [];
    }
    if (messages.length > 0) await this.replier.reply(event, ctx, messages);
  }

  private async context(event: CommandContext['event'], ctx: EventContext): Promise<CommandContext> {
    const config = await this.channels.getConfig(ctx.channelId!);
    const member = ctx.userId ? await this.members.find(ctx.channelId!, ctx.userId) : null;
    const active = member?.status === 'active';
    return {
      event,
      ctx,
      channelId: ctx.channelId!,
      channelType: ctx.channelType!,
      userId: ctx.userId,
      role: active ? member.role : null,
      isOperator:
        !!ctx.userId && this.config.get('auth', { infer: true }).operatorUserIds.includes(ctx.userId),
      config,
      language: config.language,
    };
  }
}
