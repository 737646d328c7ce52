import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { webhook } from '@line/bot-sdk';
import { withinTime } from '../common/within-time';
import type { Settings, WebhookSettings } from '../config/settings';
import { DatabaseOutage } from './database-outage';
import { EventDispatcher, PendingWrite } from './event-dispatcher';
import { InboxBacklog } from './inbox-backlog';
import { PendingEvent, InboxStore } from './inbox.store';
import { errorSummary, retryDelayMs } from './inbox-retry';
import { eventContextOf } from './webhook-body';

/** `unreachable`: the database could not be reached; the row stays pending, its attempt not counted. */
export type RunOutcome = 'done' | 'retry' | 'failed' | 'unreachable';

class EventTimeoutError extends Error {
  constructor(ms: number) {
    super(`The event's handlers did not finish within ${ms} ms (WEBHOOK_EVENT_TIMEOUT_MS)`);
    this.name = 'EventTimeoutError';
  }
}

/** A row whose handlers have run but some of whose writes are still being committed. */
export interface Settling {
  /** Resolves (never rejects) once the outcome is recorded. */
  settled: Promise<RunOutcome>;
  /** Asks those writes to commit now, for a caller about to wait for them. */
  commitNow(): void;
}

/** A handler's queued write, with a promise that answers its failure instead of rejecting. */
type Committing = [handler: string, failure: Promise<{ err: unknown } | undefined>, write: PendingWrite];

/**
 * Processes one inbox row, whoever schedules it: dispatches the event to the handlers that have not
 * finished yet, records each one that does, and records the outcome (done, a retry with backoff,
 * or failed once attempts are used up). A handler whose write is still queued counts as finished
 * only once it is committed: until then the row stays pending, so a crash runs it again.
 */
@Injectable()
export class InboxEventRunner {
  private readonly logger = new Logger(InboxEventRunner.name);
  private readonly settings: WebhookSettings;

  constructor(
    private readonly dispatcher: EventDispatcher,
    private readonly store: InboxStore,
    private readonly backlog: InboxBacklog,
    private readonly outage: DatabaseOutage,
    config: ConfigService<Settings, true>,
  ) {
    this.settings = config.get('webhook', { infer: true });
  }

  async run(row: PendingEvent): Promise<RunOutcome | Settling> {
    const event = row.payload as unknown as webhook.Event;
    const ctx = eventContextOf(row.payload, row);
    const completed = new Set(row.completedHandlers);
    const committing: Committing[] = [];
    // Once this attempt's outcome is decided (past its deadline), a handler that finishes late
    // records nothing (its progress written after the outcome would make the row pending again)
    // and the handlers after it do not run: the retry runs them.
    let decided = false;
    const abandoned = () => {
      if (decided) throw new Error('Attempt abandoned after its deadline');
    };
    try {
      const dispatched = this.dispatcher.dispatch(
        event,
        ctx,
        completed,
        async (name) => {
          abandoned();
          completed.add(name);
          this.store.saveProgress(row.id, [...completed]);
        },
        (name, write) => {
          abandoned();
          // Caught at once: a rejection must not go unhandled while later handlers run.
          committing.push([
            name,
            write.durable.then(
              () => undefined,
              (err: unknown) => ({ err }),
            ),
            write,
          ]);
        },
      );
      await this.withinDeadline(dispatched);
    } catch (err) {
      decided = true;
      for (const [, , write] of committing) write.commitNow();
      await this.committed(committing, completed);
      return this.failed(row, [...completed], err);
    }
    if (committing.length === 0) return this.done(row, completed);
    return {
      settled: this.finish(row, committing, completed),
      commitNow: () => committing.forEach(([, , write]) => write.commitNow()),
    };
  }

  /**
   * Past WEBHOOK_EVENT_TIMEOUT_MS the attempt fails, so that a handler that never finishes does not
   * hold its chat for good; it may still finish later (handlers are idempotent, and the retry skips
   * the ones recorded as finished).
   */
  private withinDeadline(dispatched: Promise<void>): Promise<void> {
    const ms = this.settings.eventTimeoutMs;
    return withinTime(dispatched, ms, () => new EventTimeoutError(ms));
  }

  private async finish(
    row: PendingEvent,
    committing: Committing[],
    completed: Set<string>,
  ): Promise<RunOutcome> {
    const failure = await this.committed(committing, completed);
    if (failure) return this.failed(row, [...completed], failure.err);
    return this.done(row, completed);
  }

  /**
   * A failure because the database could not be reached says nothing about the event: it is not
   * counted (an event must not end failed because the database was down for a while). What its
   * handlers finished is kept; the row stays pending and due, and the worker runs it once the
   * database answers (see DatabaseOutage).
   */
  private async failed(row: PendingEvent, completed: string[], err: unknown): Promise<RunOutcome> {
    if (!(await this.outage.unreachable(err))) return this.recordFailure(row, completed, err);
    this.logger.debug(
      { webhookEventId: row.webhookEventId, channelId: row.channelId, err: errorSummary(err) },
      'Event stopped by the database outage; it runs again once the database answers',
    );
    this.store.saveProgress(row.id, completed);
    return 'unreachable';
  }

  private done(row: PendingEvent, completed: Set<string>): 'done' {
    this.store.markDone(row.id, [...completed], new Date());
    this.backlog.settled(1);
    return 'done';
  }

  /** Waits for every queued write; adds those committed to `completed`; answers the first failure. */
  private async committed(
    committing: Committing[],
    completed: Set<string>,
  ): Promise<{ err: unknown } | undefined> {
    const failures = await Promise.all(committing.map(([, failure]) => failure));
    committing.forEach(([name], i) => {
      if (!failures[i]) completed.add(name);
    });
    return failures.find((f) => f !== undefined);
  }

  /** A row whose attempts all ended with the process exiting (see InboxRecovery): failed, not run. */
  failInterrupted(row: PendingEvent): 'failed' {
    const error = `Interrupted ${row.attempts} times: the process exited while this event was being processed`;
    return this.failForGood(row, row.attempts, row.completedHandlers, error);
  }

  private recordFailure(row: PendingEvent, completed: string[], err: unknown): RunOutcome {
    const attempts = row.attempts + 1;
    const error = errorSummary(err);
    if (attempts >= this.settings.maxAttempts) return this.failForGood(row, attempts, completed, error);
    const ids = {
      webhookEventId: row.webhookEventId,
      channelId: row.channelId,
      type: row.eventType,
      attempts,
    };
    const delay = retryDelayMs(attempts, this.settings.retryBaseMs, this.settings.retryMaxMs);
    this.logger.warn({ ...ids, retryInMs: delay, err: error }, 'Event failed; will retry');
    this.store.scheduleRetry(row.id, attempts, completed, error, new Date(Date.now() + delay));
    return 'retry';
  }

  private failForGood(row: PendingEvent, attempts: number, completed: string[], error: string): 'failed' {
    this.logger.error(
      {
        webhookEventId: row.webhookEventId,
        channelId: row.channelId,
        type: row.eventType,
        attempts,
        err: error,
      },
      'Event failed for good; its chat goes on',
    );
    this.store.markFailed(row.id, attempts, completed, error, new Date());
    this.backlog.settled(1);
    return 'failed';
  }
}
