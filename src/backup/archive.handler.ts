import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { webhook } from '@line/bot-sdk';
import { ChannelsService } from '../channels/channels.service';
import { EventContext, EventDispatcher, PendingWrite } from '../webhook/event-dispatcher';
import { ArchiveEntry, entryFromMessage, entryFromSystemEvent } from './archive-entry';
import { ArchiveService } from './archive.service';
import { MediaFetcher } from './media/media-fetcher.service';

/** After channel and member state (10) and commands (50), like every feature. */
const ORDER = 100;

/**
 * Subscribes the archive to the webhook pipeline. Each handler writes in one transaction keyed by
 * LINE's message id or the webhookEventId, so the inbox may run it again safely; media content is
 * only queued here (a durable row) and downloaded by the MediaFetcher, never on this path.
 */
@Injectable()
export class ArchiveHandler implements OnModuleInit {
  private readonly logger = new Logger(ArchiveHandler.name);

  constructor(
    private readonly dispatcher: EventDispatcher,
    private readonly archive: ArchiveService,
    private readonly channels: ChannelsService,
    private readonly fetcher: MediaFetcher,
  ) {}

  onModuleInit(): void {
    this.dispatcher.on('message', 'backup.archive', (e, ctx) => this.onMessage(e, ctx), ORDER);
    this.dispatcher.on('unsend', 'backup.unsend', (e, ctx) => this.onUnsend(e, ctx), ORDER);
    for (const type of ['join', 'leave', 'memberJoined', 'memberLeft'] as const) {
      this.dispatcher.on(type, `backup.${type}`, (e, ctx) => this.onSystem(e, ctx), ORDER);
    }
  }

  private async onMessage(event: webhook.MessageEvent, ctx: EventContext): Promise<void | PendingWrite> {
    if (!ctx.channelId || !event.message?.id) return;
    return this.store(entryFromMessage(event, { ...ctx, channelId: ctx.channelId }));
  }

  private async onSystem(
    event: webhook.JoinEvent | webhook.LeaveEvent | webhook.MemberJoinedEvent | webhook.MemberLeftEvent,
    ctx: EventContext,
  ): Promise<void | PendingWrite> {
    if (!ctx.channelId) return;
    return this.store(entryFromSystemEvent(event, { ...ctx, channelId: ctx.channelId }));
  }

  /**
   * Queues the entry and, where the archive commits behind (SQLite), answers at once: the archive
   * commits it with the entries of the events that follow (the chat's next messages included), and
   * the inbox counts this handler done only once that commit is made.
   */
  private async store(entry: ArchiveEntry): Promise<PendingWrite | void> {
    const config = await this.channels.configForEvent(entry.channelId);
    if (!config.backup.enabled) return;
    const durable = this.archive.archiveOne(entry).then((result) => {
      if (result.mediaQueued > 0) this.fetcher.wake();
    });
    if (!this.archive.commitsBehind) return void (await durable);
    return { durable, commitNow: () => this.archive.commitNow() };
  }

  /** Unsend is honoured even with backup off: it can only flag or delete what was stored earlier. */
  private async onUnsend(event: webhook.UnsendEvent, ctx: EventContext): Promise<void> {
    if (!ctx.channelId) return;
    const config = await this.channels.configForEvent(ctx.channelId);
    // The message may still be queued for the archive, in a batch with earlier events.
    const written = await this.archive.settle();
    const found = await this.archive.markUnsent(
      ctx.channelId,
      event.unsend.messageId,
      event.timestamp,
      config.backup.keepUnsent,
    );
    if (!found && !written) {
      // The message's own write may be the one that failed: its event runs again before this
      // unsend's retry (its chat goes back to it), so that the unsend finds what it stored.
      throw new Error('An archive write queued before this unsend failed; the unsend waits for its retry');
    }
    if (!found) {
      this.logger.debug(
        { webhookEventId: ctx.webhookEventId, channelId: ctx.channelId },
        'Unsend of a message not in the archive',
      );
    }
  }
}
