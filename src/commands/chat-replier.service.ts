import { createHash } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import type { webhook } from '@line/bot-sdk';
import { ChannelsService } from '../channels/channels.service';
import { LineApiError } from '../line/line-api.error';
import { LineClient, LineMessage } from '../line/line-client.service';
import type { EventContext } from '../webhook/event-dispatcher';
import { ReplyAttempts } from './reply-attempts.service';

/** LINE documents about a minute; past this the token is treated as spent rather than risk a 400. */
export const REPLY_TOKEN_MAX_AGE_MS = 50_000;

/** `unconfirmed`: not sent again, as an earlier reply with the token may have been shown. */
export type ReplyOutcome = 'replied' | 'pushed' | 'dropped' | 'unconfirmed';

/**
 * Answers an event the free way (its reply token). When the token is missing, too old or refused,
 * the answer is dropped unless the channel pays for pushes (`assistant.pushFallback`). A reply token
 * works once, so a retried event can never make LINE show the same reply twice; nor does the
 * fallback push after a reply that LINE may have shown (it timed out, met a 5xx, or the process
 * died before it learnt the outcome): ReplyAttempts remembers those tokens across restarts.
 */
@Injectable()
export class ChatReplier {
  private readonly logger = new Logger(ChatReplier.name);

  constructor(
    private readonly line: LineClient,
    private readonly channels: ChannelsService,
    private readonly attempts: ReplyAttempts,
  ) {}

  async reply(
    event: webhook.Event,
    ctx: EventContext,
    messages: LineMessage[],
    now = Date.now(),
  ): Promise<ReplyOutcome> {
    if (messages.length === 0) return 'dropped';
    if (ctx.standby) return 'dropped';
    const token = 'replyToken' in event ? event.replyToken : undefined;
    if (!token) return this.fallback(ctx, messages);
    let shownBefore: boolean;
    if (now - ctx.eventTime.getTime() <= REPLY_TOKEN_MAX_AGE_MS) {
      shownBefore = !(await this.attempts.begin(token));
      try {
        await this.line.reply(token, messages);
        return 'replied';
      } catch (err) {
        if (!(err instanceof LineApiError)) throw err;
        shownBefore ||= err.mayHaveBeenCarriedOut || err.earlierTryUncertain;
        if (!shownBefore) await this.attempts.notShown(token);
        if (!err.isInvalidReplyToken) throw err;
        this.logger.warn(
          { webhookEventId: ctx.webhookEventId, channelId: ctx.channelId },
          'Reply token refused by LINE',
        );
      }
    } else {
      shownBefore = await this.attempts.mayHaveShown(token);
    }
    if (shownBefore) {
      this.logger.warn(
        { webhookEventId: ctx.webhookEventId, channelId: ctx.channelId },
        'Answer not sent again: an earlier reply with its token may have been shown',
      );
      return 'unconfirmed';
    }
    return this.fallback(ctx, messages);
  }

  private async fallback(ctx: EventContext, messages: LineMessage[]): Promise<ReplyOutcome> {
    const config = ctx.channelId ? await this.channels.getConfig(ctx.channelId) : undefined;
    if (!ctx.channelId || !config?.assistant.pushFallback) {
      this.logger.warn(
        { webhookEventId: ctx.webhookEventId, channelId: ctx.channelId },
        'Answer dropped: no usable reply token',
      );
      return 'dropped';
    }
    await this.line.push(ctx.channelId, messages, { retryKey: retryKeyFor(ctx.webhookEventId) });
    return 'pushed';
  }
}

/** The same event always gets the same key, so LINE accepts its fallback push at most once. */
export function retryKeyFor(webhookEventId: string): string {
  const h = createHash('sha256').update(`push-fallback:${webhookEventId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
