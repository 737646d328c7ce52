import { Injectable, Logger } from '@nestjs/common';
import type { messagingApi } from '@line/bot-sdk';
import type { ChannelType } from '../channels/channel.entity';
import { ChannelsService } from '../channels/channels.service';
import type { Language } from '../config/settings';
import { I18nService } from '../i18n/i18n.service';
import { LineClient, LineMessage } from '../line/line-client.service';
import { MAX_TEXT_LENGTH } from '../line/message-limits';
import { MembersService } from '../members/members.service';
import { eachLimited } from '../members/sync-helpers';
import type { AnswerMessage } from './answer-messages';
import {
  clip,
  escapeTextV2,
  formatDate,
  Placeholder,
  PLACEHOLDERS,
  renderTemplate,
  usesPlaceholder,
} from './placeholders';

/** Who and where a text is rendered for. */
export interface RenderScope {
  channelId: string;
  channelType: ChannelType;
  language: Language;
  timezone: string;
  /** When the event happened: `{date}` is that day in the channel's time zone. */
  at: Date;
  /** `{displayName}`: the sender of a message, the new members of a welcome. */
  userIds: string[];
}

/** LINE allows at most this many mentions in one textV2 message. */
export const MAX_MENTIONS = 20;
/** Names looked up at LINE (a few at a time) when the members table does not know them yet. */
const MAX_PROFILE_LOOKUPS = 50;
const PROFILE_CONCURRENCY = 4;

/** Fills placeholders with what the channel, its members and LINE know; looks up only what a text uses. */
@Injectable()
export class TemplateRenderer {
  private readonly logger = new Logger(TemplateRenderer.name);

  constructor(
    private readonly channels: ChannelsService,
    private readonly members: MembersService,
    private readonly line: LineClient,
    private readonly i18n: I18nService,
  ) {}

  /** Answer messages as LINE messages: placeholders filled in texts, texts clipped to LINE's limit. */
  async renderAnswer(
    messages: AnswerMessage[],
    scope: RenderScope,
    quoteToken?: string,
  ): Promise<LineMessage[]> {
    const texts = messages.flatMap((m) => (m.type === 'text' ? [m.text] : []));
    const value = await this.values(scope, texts);
    return messages.map((m, i): LineMessage => {
      const quote = i === 0 && quoteToken && m.type !== 'image' ? { quoteToken } : {};
      if (m.type !== 'text') return { ...m, ...quote };
      return { type: 'text', text: clip(renderTemplate(m.text, value), MAX_TEXT_LENGTH), ...quote };
    });
  }

  /** Plain text with placeholders filled. */
  async renderText(text: string, scope: RenderScope): Promise<string> {
    return clip(renderTemplate(text, await this.values(scope, [text])), MAX_TEXT_LENGTH);
  }

  /**
   * One message naming every user of `scope.userIds` where the text says `{displayName}`: in groups
   * and rooms a textV2 whose first 20 names are LINE mentions (LINE's limit) and the rest display
   * names; elsewhere, or if the mentions would not fit, plain text.
   */
  async renderMentioning(text: string, scope: RenderScope): Promise<LineMessage> {
    const names = await this.names(scope);
    const value = await this.values(scope, [text], names);
    if (scope.channelType !== 'user' && scope.userIds.length > 0 && usesPlaceholder(text, 'displayName')) {
      const separator = this.i18n.t(scope.language, 'assistant.listSeparator');
      const mentioned = scope.userIds.slice(0, MAX_MENTIONS);
      const substitution: Record<string, messagingApi.SubstitutionObject> = {};
      mentioned.forEach((userId, i) => {
        substitution[`m${i}`] = { type: 'mention', mentionee: { type: 'user', userId } };
      });
      const who = [
        ...mentioned.map((_, i) => `{m${i}}`),
        ...names.slice(MAX_MENTIONS).map(escapeTextV2),
      ].join(escapeTextV2(separator));
      let first = true;
      const rendered = renderTemplate(
        text,
        (name) => {
          if (name !== 'displayName') return escapeTextV2(value(name));
          // Mention once; later {displayName} read as names, so each user is mentioned once.
          const out = first ? who : escapeTextV2(value(name));
          first = false;
          return out;
        },
        escapeTextV2,
      );
      if (rendered.length <= MAX_TEXT_LENGTH) return { type: 'textV2', text: rendered, substitution };
    }
    return { type: 'text', text: clip(renderTemplate(text, value), MAX_TEXT_LENGTH) };
  }

  /** The users' display names in the chat, in order; LINE is asked for the ones not stored yet. */
  async names(
    scope: Pick<RenderScope, 'channelId' | 'channelType' | 'language' | 'userIds'>,
  ): Promise<string[]> {
    const known = await this.members.displayNames(scope.channelId, scope.userIds);
    const missing = scope.userIds.filter((id) => !known.has(id)).slice(0, MAX_PROFILE_LOOKUPS);
    await eachLimited(missing, PROFILE_CONCURRENCY, async (userId) => {
      const name = await this.profileName(scope.channelId, scope.channelType, userId);
      if (name) known.set(userId, name);
    });
    const someone = this.i18n.t(scope.language, 'assistant.someone');
    return scope.userIds.map((id) => known.get(id) ?? someone);
  }

  /** A resolver for the placeholders `texts` use, each looked up once. */
  private async values(
    scope: RenderScope,
    texts: string[],
    names?: string[],
  ): Promise<(name: Placeholder) => string> {
    const used = new Set(PLACEHOLDERS.filter((p) => texts.some((t) => t.includes(`{${p}}`))));
    const out = new Map<Placeholder, string>();
    if (used.has('displayName')) {
      const separator = this.i18n.t(scope.language, 'assistant.listSeparator');
      const joined = (names ?? (await this.names(scope))).join(separator);
      out.set('displayName', joined || this.i18n.t(scope.language, 'assistant.someone'));
    }
    if (used.has('channelName') || used.has('memberCount')) {
      const channel = await this.channels.get(scope.channelId);
      out.set('channelName', channel?.name || this.i18n.t(scope.language, 'assistant.thisChat'));
      if (used.has('memberCount'))
        out.set('memberCount', String(channel?.memberCount ?? (await this.countAtLine(scope)) ?? '?'));
    }
    if (used.has('date')) out.set('date', formatDate(scope.at, scope.timezone, scope.language));
    return (name) => out.get(name) ?? '';
  }

  private async countAtLine(scope: RenderScope): Promise<number | null> {
    if (scope.channelType === 'user') return 1;
    try {
      return await this.line.getMemberCount({ type: scope.channelType, id: scope.channelId });
    } catch (err) {
      this.logger.warn(
        { channelId: scope.channelId, err: (err as Error).message },
        'Member count unavailable',
      );
      return null;
    }
  }

  private async profileName(channelId: string, type: ChannelType, userId: string): Promise<string | null> {
    try {
      const profile =
        type === 'user'
          ? await this.line.getProfile(userId)
          : await this.line.getMemberProfile({ type, id: channelId }, userId);
      return profile.displayName || null;
    } catch (err) {
      this.logger.debug(
        { channelId, userId, err: (err as Error).message },
        'Profile unavailable for a placeholder',
      );
      return null;
    }
  }
}
