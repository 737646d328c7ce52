import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { webhook } from '@line/bot-sdk';
import type { Settings, WebhookSettings } from '../config/settings';
import { EventDispatcher } from './event-dispatcher';
import { PendingEvent, InboxStore } from './inbox.store';
import { errorSummary, retryDelayMs } from './inbox-retry';
import { eventContextOf } from './webhook-body';

export type RunOutcome = 'done' | 'retry' | 'failed';

/**
 * Processes one inbox row, whoever schedules it: dispatches the event to the handlers that have not
 * finished yet, records each one that does, and records the outcome (done, a retry with backoff,
 * or failed once attempts are used up).
 */
@Injectable()
export class InboxEventRunner {
  private readonly logger = new Logger(InboxEventRunner.name);
  private readonly settings: WebhookSettings;

  constructor(
    private readonly dispatcher: EventDispatcher,
    private readonly store: InboxStore,
    config: ConfigService<Settings, true>,
  ) {
    this.settings = config.get('webhook', { infer: true });
  }

  async run(row: PendingEvent): Promise<RunOutcome> {
    const event = row.payload as unknown as webhook.Event;
    const ctx = eventContextOf(row.payload, row);
    const completed = new Set(row.completedHandlers);
    try {
      await this.dispatcher.dispatch(event, ctx, completed, async (name) => {
        completed.add(name);
        this.store.saveProgress(row.id, [...completed]);
      });
    } catch (err) {
      return this.recordFailure(row, [...completed], err);
    }
    this.store.markDone(row.id, [...completed], new Date());
    return 'done';
  }

  private recordFailure(row: PendingEvent, completed: string[], err: unknown): RunOutcome {
    const attempts = row.attempts + 1;
    const error = errorSummary(err);
    const ids = {
      webhookEventId: row.webhookEventId,
      channelId: row.channelId,
      type: row.eventType,
      attempts,
    };
    if (attempts >= this.settings.maxAttempts) {
      this.logger.error({ ...ids, err: error }, 'Event failed for good; its chat goes on');
      this.store.markFailed(row.id, attempts, completed, error, new Date());
      return 'failed';
    }
    const delay = retryDelayMs(attempts, this.settings.retryBaseMs, this.settings.retryMaxMs);
    this.logger.warn({ ...ids, retryInMs: delay, err: error }, 'Event failed; will retry');
    this.store.scheduleRetry(row.id, attempts, completed, error, new Date(Date.now() + delay));
    return 'retry';
  }
}
