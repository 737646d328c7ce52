import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { ChannelConfig } from '../channels/channel-config';
import { ChannelsService } from '../channels/channels.service';
import type { Language } from '../config/settings';
import { I18nService } from '../i18n/i18n.service';
import type { LineMessage } from '../line/line-client.service';
import { MAX_TEXT_LENGTH } from '../line/message-limits';
import { AssistantInputError } from './assistant.errors';
import { ChannelsAdminService } from '../channels/channels-admin.service';
import { AssistantSettings } from './entities/assistant-settings.entity';
import { assertPlaceholders, clip, usesPlaceholder } from './placeholders';
import { QaRulesService } from './qa-rules.service';
import { RenderScope, TemplateRenderer } from './template-renderer.service';

export interface WelcomeView {
  /** The channel's own welcome, or null for the bot's default. */
  text: string | null;
  enabled: boolean;
  /** The rules follow the welcome as a second message. */
  appendRules: boolean;
  /** What is sent while `text` is null, in the channel's language. */
  defaultText: string;
}

export interface RulesView {
  text: string | null;
  enabled: boolean;
}

export interface WelcomeChange {
  text?: string | null;
  enabled?: boolean;
  appendRules?: boolean;
}

export interface RulesChange {
  text?: string | null;
  enabled?: boolean;
}

/** The welcome and rules texts of channels, and the messages built from them. */
@Injectable()
export class WelcomeService {
  constructor(
    @InjectRepository(AssistantSettings) private readonly settings: Repository<AssistantSettings>,
    private readonly channels: ChannelsService,
    private readonly channelsAdmin: ChannelsAdminService,
    private readonly qaRules: QaRulesService,
    private readonly renderer: TemplateRenderer,
    private readonly i18n: I18nService,
    private readonly audit: AuditService,
  ) {}

  async getWelcome(channelId: string, config?: ChannelConfig): Promise<WelcomeView> {
    const cfg = config ?? (await this.channels.getConfig(channelId));
    const row = await this.settings.findOneBy({ channelId });
    return {
      text: row?.welcomeText ?? null,
      enabled: cfg.assistant.welcome.enabled,
      appendRules: row?.welcomeAppendRules ?? false,
      defaultText: this.i18n.t(cfg.language, 'assistant.welcome.default'),
    };
  }

  async setWelcome(channelId: string, change: WelcomeChange, actor: string): Promise<WelcomeView> {
    if (change.text === undefined && change.enabled === undefined && change.appendRules === undefined) {
      throw new AssistantInputError('text, enabled or appendRules is required');
    }
    const text = change.text === undefined ? undefined : checkText(change.text);
    const before = await this.getWelcome(channelId);
    if (text !== undefined || change.appendRules !== undefined) {
      await this.saveTexts(channelId, actor, {
        ...(text !== undefined ? { welcomeText: text } : {}),
        ...(change.appendRules !== undefined ? { welcomeAppendRules: change.appendRules } : {}),
      });
    }
    if (change.enabled !== undefined && change.enabled !== before.enabled) {
      await this.channelsAdmin.updateConfig(channelId, actor, {
        assistant: { welcome: { enabled: change.enabled } },
      });
    }
    const after = await this.getWelcome(channelId);
    await this.audit.record({
      channelId,
      actor,
      action: 'assistant.welcome',
      before: { text: before.text, enabled: before.enabled, appendRules: before.appendRules },
      after: { text: after.text, enabled: after.enabled, appendRules: after.appendRules },
    });
    return after;
  }

  async getRules(channelId: string, config?: ChannelConfig): Promise<RulesView> {
    const cfg = config ?? (await this.channels.getConfig(channelId));
    const row = await this.settings.findOneBy({ channelId });
    return { text: row?.rulesText ?? null, enabled: cfg.assistant.rules.enabled };
  }

  async setRules(channelId: string, change: RulesChange, actor: string): Promise<RulesView> {
    if (change.text === undefined && change.enabled === undefined) {
      throw new AssistantInputError('text or enabled is required');
    }
    const text = change.text === undefined ? undefined : checkText(change.text);
    const before = await this.getRules(channelId);
    if (text !== undefined) await this.saveTexts(channelId, actor, { rulesText: text });
    if (change.enabled !== undefined && change.enabled !== before.enabled) {
      await this.channelsAdmin.updateConfig(channelId, actor, {
        assistant: { rules: { enabled: change.enabled } },
      });
    }
    const after = await this.getRules(channelId);
    await this.audit.record({ channelId, actor, action: 'assistant.rules', before, after });
    return after;
  }

  /** The welcome for members who joined together: one message naming them all, then the rules if asked. */
  async welcomeMessages(scope: RenderScope, config: ChannelConfig): Promise<LineMessage[]> {
    const view = await this.getWelcome(scope.channelId, config);
    const template = view.text ?? view.defaultText;
    // The welcome always names who joined; a text without {displayName} gets the names in front.
    const named = usesPlaceholder(template, 'displayName') ? template : `{displayName}\n${template}`;
    const messages = [await this.renderer.renderMentioning(named, scope)];
    if (view.appendRules && config.assistant.rules.enabled) {
      const rules = await this.rulesMessage({ ...scope, userIds: [] }, config);
      if (rules) messages.push(rules);
    }
    return messages;
  }

  /** The rules as one text message with a header, or null when none are set. */
  async rulesMessage(scope: RenderScope, config: ChannelConfig): Promise<LineMessage | null> {
    const { text } = await this.getRules(scope.channelId, config);
    if (!text) return null;
    const header = await this.renderer.renderText(
      this.i18n.t(scope.language, 'assistant.rules.header'),
      scope,
    );
    const body = await this.renderer.renderText(text, scope);
    return { type: 'text', text: clip(`${header}\n${body}`, MAX_TEXT_LENGTH) };
  }

  /** A preview of the welcome as `scope`'s users would see it, as plain text (for chat confirmations). */
  async previewWelcome(scope: RenderScope, language: Language, text: string | null): Promise<string> {
    const template = text ?? this.i18n.t(language, 'assistant.welcome.default');
    const named = usesPlaceholder(template, 'displayName') ? template : `{displayName}\n${template}`;
    return this.renderer.renderText(named, scope);
  }

  private async saveTexts(
    channelId: string,
    actor: string,
    fields: Partial<Pick<AssistantSettings, 'welcomeText' | 'welcomeAppendRules' | 'rulesText'>>,
  ): Promise<void> {
    await this.qaRules.ensureSettings(channelId, actor);
    await this.settings.update({ channelId }, { ...fields, updatedAt: new Date(), updatedBy: actor });
  }
}

/** null resets to the default; otherwise 1 to 5,000 characters with known placeholders only. */
function checkText(text: string | null): string | null {
  if (text === null) return null;
  if (typeof text !== 'string' || text.trim().length === 0) {
    throw new AssistantInputError('text must be a non-empty string, or null to reset it', 'invalid');
  }
  if (text.length > MAX_TEXT_LENGTH) {
    throw new AssistantInputError(`text must be at most ${MAX_TEXT_LENGTH} characters`, 'textTooLong', {
      max: MAX_TEXT_LENGTH,
    });
  }
  assertPlaceholders(text, 'text');
  return text;
}
