import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Settings } from '../config/settings';
import { WalSync } from '../database/wal-sync';
import { InboxBacklog } from './inbox-backlog';
import { INBOX_PROCESSOR, InboxProcessor } from './inbox-processor';
import { InboxStore } from './inbox.store';
import { parseWebhookBody } from './webhook-body';
import { InvalidSignatureError, WebhookNotConfiguredError } from './webhook.errors';
import { isValidLineSignature } from './webhook-signature';

export interface ReceiveResult {
  received: number;
  stored: number;
}

/** Verifies a webhook, stores its events durably, and signals the processor; no LINE call here. */
@Injectable()
export class WebhookService {
  private readonly logger = new Logger(WebhookService.name);
  private readonly channelSecret?: string;
  private readonly reorderWindowMs: number;

  constructor(
    private readonly store: InboxStore,
    private readonly backlog: InboxBacklog,
    private readonly walSync: WalSync,
    @Inject(INBOX_PROCESSOR) private readonly processor: InboxProcessor,
    config: ConfigService<Settings, true>,
  ) {
    this.channelSecret = config.get('line', { infer: true }).channelSecret;
    this.reorderWindowMs = config.get('webhook', { infer: true }).reorderWindowMs;
  }

  async receive(rawBody: Buffer, signature: unknown): Promise<ReceiveResult> {
    if (!this.channelSecret) throw new WebhookNotConfiguredError();
    // The signature covers the exact bytes: it is checked before anything is parsed.
    if (!isValidLineSignature(rawBody, this.channelSecret, signature)) throw new InvalidSignatureError();
    const events = parseWebhookBody(rawBody);
    if (events.length === 0) return { received: 0, stored: 0 };
    const room = this.backlog.admit(events.length);
    if (room) await room;
    const now = new Date();
    let stored = 0;
    try {
      stored = await this.store.insert(events, now, new Date(now.getTime() + this.reorderWindowMs));
    } finally {
      this.backlog.inserted(events.length, stored);
    }
    if (stored < events.length) {
      this.logger.log(
        { duplicates: events.length - stored, ids: events.map((e) => e.webhookEventId) },
        'Webhook events already received were ignored',
      );
    }
    const earliest = new Map<string | null, number>();
    for (const e of events) {
      earliest.set(e.channelId, Math.min(e.eventTimestamp, earliest.get(e.channelId) ?? Infinity));
    }
    this.processor.notify(earliest);
    // Stored and counted whatever the flush does: if it fails, the 500 has LINE send the webhook
    // again, and the copy is a repeat of what is here.
    await this.walSync.sync();
    return { received: events.length, stored };
  }
}
