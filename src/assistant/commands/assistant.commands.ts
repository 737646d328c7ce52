import { Injectable, OnModuleInit } from '@nestjs/common';
import type { ParsedCommand } from '../../commands/command-parser';
import { CommandContext, CommandsRegistry } from '../../commands/commands.registry';
import type { Language } from '../../config/settings';
import { I18nService } from '../../i18n/i18n.service';
import type { LineMessage } from '../../line/line-client.service';
import { MAX_TEXT_LENGTH } from '../../line/message-limits';
import { AssistantInputError } from '../assistant.errors';
import { ChannelsAdminService } from '../../channels/channels-admin.service';
import { clip } from '../placeholders';
import { QaRulesService, QaRuleView } from '../qa-rules.service';
import { RenderScope } from '../template-renderer.service';
import { WelcomeService } from '../welcome.service';
import { parseLanguage, parseQaAdd, splitSubcommand } from './command-args';

/** How many rules `/qa list` shows before "…and N more". */
const LIST_LIMIT = 30;
const PREVIEW_LENGTH = 40;

const text = (t: string): LineMessage[] => [{ type: 'text', text: clip(t, MAX_TEXT_LENGTH) }];

/**
 * The assistant's in-chat commands. The registry parses them and refuses admin-only commands to
 * non-admins (common.adminOnly); `/rules` is for everyone, so its `set` checks the role here.
 */
@Injectable()
export class AssistantCommands implements OnModuleInit {
  constructor(
    private readonly registry: CommandsRegistry,
    private readonly qaRules: QaRulesService,
    private readonly welcome: WelcomeService,
    private readonly channelsAdmin: ChannelsAdminService,
    private readonly i18n: I18nService,
  ) {}

  onModuleInit(): void {
    this.registry.register({ name: 'help', aliases: ['說明', 'ヘルプ', 'ช่วยเหลือ'] }, (_cmd, chat) =>
      this.help(chat),
    );
    this.registry.register({ name: 'rules', aliases: ['規則', 'ルール', 'กฎ'] }, (cmd, chat) =>
      this.rules(cmd, chat),
    );
    this.registry.register({ name: 'qa', aliases: ['/問答', '/ถามตอบ'], adminOnly: true }, (cmd, chat) =>
      this.qa(cmd, chat),
    );
    this.registry.register(
      {
        name: 'welcome',
        aliases: ['/歡迎', '/ようこそ', '/ต้อนรับ'],
        adminOnly: true,
        chatTypes: ['group', 'room'],
      },
      (cmd, chat) => this.welcomeCommand(cmd, chat),
    );
    this.registry.register(
      { name: 'lang', aliases: ['/language', '/語言', '/言語', '/ภาษา'], adminOnly: true },
      (cmd, chat) => this.lang(cmd, chat),
    );
  }

  private async help(chat: CommandContext): Promise<LineMessage[] | void> {
    if (!chat.config.assistant.enabled) return;
    const t = (key: string) => this.i18n.t(chat.language, `assistant.${key}`);
    const parts = [t('help.header'), t(chat.channelType === 'user' ? 'help.memberPrivate' : 'help.member')];
    if (chat.config.assistant.qa.enabled) parts.push(t('help.qa'));
    if (isAdmin(chat)) parts.push(t('help.admin'));
    return text(parts.join('\n\n'));
  }

  private async rules(cmd: ParsedCommand, chat: CommandContext): Promise<LineMessage[] | void> {
    const { sub, rest } = splitSubcommand(cmd.args);
    if (sub === 'set') {
      if (!isAdmin(chat)) return this.say(chat.language, 'common.adminOnly');
      if (!rest) return this.say(chat.language, 'assistant.rules.usage');
      return this.guard(chat.language, async () => {
        await this.welcome.setRules(chat.channelId, { text: rest }, chat.userId!);
        return this.say(chat.language, 'assistant.rules.saved');
      });
    }
    if (!chat.config.assistant.enabled || !chat.config.assistant.rules.enabled) return;
    const message = await this.welcome.rulesMessage(this.scope(chat), chat.config);
    if (message) return [message];
    return this.say(chat.language, isAdmin(chat) ? 'assistant.rules.noneAdmin' : 'assistant.rules.none');
  }

  private async qa(cmd: ParsedCommand, chat: CommandContext): Promise<LineMessage[]> {
    const { sub, rest } = splitSubcommand(cmd.args);
    const lang = chat.language;
    const separator = this.i18n.t(lang, 'assistant.listSeparator');
    if (sub === 'add') {
      const parsed = parseQaAdd(rest, chat.config.assistant.qa.mode !== 'regex');
      if (!parsed) return this.say(lang, 'assistant.qa.usage');
      return this.guard(lang, async () => {
        const { rule, created } = await this.qaRules.addFromChat(
          chat.channelId,
          parsed.triggers,
          parsed.answer,
          chat.userId!,
        );
        return this.say(lang, created ? 'assistant.qa.added' : 'assistant.qa.updated', {
          triggers: rule.triggers.join(separator),
        });
      });
    }
    if (sub === 'del') {
      if (!rest) return this.say(lang, 'assistant.qa.usage');
      const touched = await this.qaRules.removeTrigger(chat.channelId, rest, chat.userId!);
      return this.say(lang, touched > 0 ? 'assistant.qa.deleted' : 'assistant.qa.notFound', {
        trigger: rest,
      });
    }
    if (sub === 'list') return text(this.list(await this.qaRules.list(chat.channelId), lang, separator));
    return this.say(lang, 'assistant.qa.usage');
  }

  private list(rules: QaRuleView[], lang: Language, separator: string): string {
    if (rules.length === 0) return this.i18n.t(lang, 'assistant.qa.listEmpty');
    const lines = rules.slice(0, LIST_LIMIT).map((r) => {
      const first = r.messages[0];
      const preview =
        first.type === 'text'
          ? clip(first.text.replace(/\s+/g, ' '), PREVIEW_LENGTH)
          : this.i18n.t(lang, first.type === 'sticker' ? 'assistant.qa.sticker' : 'assistant.qa.image');
      const off = r.enabled ? '' : ` ${this.i18n.t(lang, 'assistant.qa.off')}`;
      return `#${r.id} ${r.triggers.join(separator)} → ${preview}${off}`;
    });
    const more =
      rules.length > LIST_LIMIT
        ? [this.i18n.t(lang, 'assistant.qa.listMore', { count: rules.length - LIST_LIMIT })]
        : [];
    return [this.i18n.t(lang, 'assistant.qa.listHeader', { count: rules.length }), ...lines, ...more].join(
      '\n',
    );
  }

  private async welcomeCommand(cmd: ParsedCommand, chat: CommandContext): Promise<LineMessage[]> {
    const { sub, rest } = splitSubcommand(cmd.args);
    const lang = chat.language;
    if (sub === 'set') {
      if (!rest) return this.say(lang, 'assistant.welcome.usage');
      return this.guard(lang, async () => {
        const saved = await this.welcome.setWelcome(chat.channelId, { text: rest }, chat.userId!);
        const preview = await this.welcome.previewWelcome(this.scope(chat), lang, saved.text);
        return this.say(lang, 'assistant.welcome.saved', { preview });
      });
    }
    if (sub === 'on' || sub === 'off') {
      await this.welcome.setWelcome(chat.channelId, { enabled: sub === 'on' }, chat.userId!);
      return this.say(lang, sub === 'on' ? 'assistant.welcome.on' : 'assistant.welcome.off');
    }
    if (cmd.args) return this.say(lang, 'assistant.welcome.usage');
    const view = await this.welcome.getWelcome(chat.channelId, chat.config);
    return this.say(lang, 'assistant.welcome.status', {
      status: this.i18n.t(lang, view.enabled ? 'assistant.welcome.statusOn' : 'assistant.welcome.statusOff'),
      text: view.text ?? view.defaultText,
    });
  }

  private async lang(cmd: ParsedCommand, chat: CommandContext): Promise<LineMessage[]> {
    const language = parseLanguage(cmd.args);
    if (!language) return this.say(chat.language, 'assistant.lang.usage', { current: chat.language });
    await this.channelsAdmin.updateConfig(chat.channelId, chat.userId!, { language });
    return this.say(language, 'assistant.lang.set');
  }

  /** Runs a change; a refused input is answered in the chat's language instead of failing the event. */
  private async guard(lang: Language, fn: () => Promise<LineMessage[]>): Promise<LineMessage[]> {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof AssistantInputError)) throw err;
      return this.say(lang, `assistant.error.${err.code}`, err.params);
    }
  }

  private say(lang: Language, key: string, params?: Record<string, string | number>): LineMessage[] {
    return text(this.i18n.t(lang, key, params));
  }

  private scope(chat: CommandContext): RenderScope {
    return {
      channelId: chat.channelId,
      channelType: chat.channelType,
      language: chat.language,
      timezone: chat.config.timezone,
      at: chat.ctx.eventTime,
      userIds: chat.userId ? [chat.userId] : [],
    };
  }
}

function isAdmin(chat: CommandContext): boolean {
  return chat.isOperator || chat.role === 'owner' || chat.role === 'admin';
}
