import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Settings } from '../config/settings';
import { WalSync } from '../database/wal-sync';
import { isDatabaseUnreachable } from '../database/db-errors';
import { DatabaseOutage } from './database-outage';
import { InboxBacklog } from './inbox-backlog';
import { INBOX_PROCESSOR, InboxProcessor } from './inbox-processor';
import { InboxStore } from './inbox.store';
import { StoreDeadline } from './store-deadline';
import { IncomingEvent, parseWebhookBody } from './webhook-body';
import { InvalidSignatureError, StorageUnavailableError, WebhookNotConfiguredError } from './webhook.errors';
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
  /**
   * MySQL only: a deadline on storing (store-deadline.ts). SQLite's insert runs in this process, with
   * no network to stall on: its path has no deadline and no extra step.
   */
  private readonly deadline?: StoreDeadline;

  constructor(
    private readonly store: InboxStore,
    private readonly backlog: InboxBacklog,
    private readonly walSync: WalSync,
    @Inject(INBOX_PROCESSOR) private readonly processor: InboxProcessor,
    private readonly outage: DatabaseOutage,
    config: ConfigService<Settings, true>,
  ) {
    this.channelSecret = config.get('line', { infer: true }).channelSecret;
    const { reorderWindowMs, storeTimeoutMs } = config.get('webhook', { infer: true });
    this.reorderWindowMs = reorderWindowMs;
    if (config.get('database', { infer: true }).type === 'mysql') {
      this.deadline = new StoreDeadline(storeTimeoutMs);
    }
  }

  async receive(rawBody: Buffer, signature: unknown): Promise<ReceiveResult> {
    if (!this.channelSecret) throw new WebhookNotConfiguredError();
    // The signature covers the exact bytes: it is checked before anything is parsed.
    if (!isValidLineSignature(rawBody, this.channelSecret, signature)) throw new InvalidSignatureError();
    const events = parseWebhookBody(rawBody);
    if (events.length === 0) return { received: 0, stored: 0 };
    // A stalled store is not queued for: the webhook would wait behind it, its body held, for good.
    if (this.deadline?.stalled) throw this.deadline.refuse();
    const room = this.backlog.admit(events.length);
    if (room) {
      await room;
      if (this.deadline?.stalled) {
        this.backlog.inserted(events.length, 0);
        throw this.deadline.refuse();
      }
    }
    // Past its deadline the webhook is answered 503 and its insert goes on: what follows the insert
    // (the backlog's count, the worker's signal) is settled when it ends, on time or late.
    let stored: number;
    try {
      stored = this.deadline ? await this.deadline.within(this.insert(events)) : await this.insert(events);
    } catch (err) {
      // The database cannot be reached: answered at once (LINE waits 2 s, a check may take as long);
      // DatabaseOutage confirms it off the answer's path and says so once, not a line per webhook.
      if (!(err instanceof StorageUnavailableError) && isDatabaseUnreachable(err)) {
        void this.outage.unreachable(err);
        throw new StorageUnavailableError();
      }
      throw err;
    }
    if (stored < events.length) {
      this.logger.log(
        { duplicates: events.length - stored, ids: events.map((e) => e.webhookEventId) },
        'Webhook events already received were ignored',
      );
    }
    // Stored and counted whatever the flush does: if it fails, the 500 has LINE send the webhook
    // again, and the copy is a repeat of what is here.
    await this.walSync.sync();
    return { received: events.length, stored };
  }

  /** Stores the events, then counts them in the backlog and signals the worker; resolves with the new rows. */
  private async insert(events: IncomingEvent[]): Promise<number> {
    const now = new Date();
    let stored = 0;
    try {
      stored = await this.store.insert(events, now, new Date(now.getTime() + this.reorderWindowMs));
    } finally {
      this.backlog.inserted(events.length, stored);
    }
    const earliest = new Map<string | null, number>();
    for (const e of events) {
      earliest.set(e.channelId, Math.min(e.eventTimestamp, earliest.get(e.channelId) ?? Infinity));
    }
    this.processor.notify(earliest);
    return stored;
  }
}
