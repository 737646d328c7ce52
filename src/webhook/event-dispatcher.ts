import { Injectable, Logger } from '@nestjs/common';
import type { webhook } from '@line/bot-sdk';
import type { ChannelType } from '../channels/channel.entity';
import { isDatabaseUnreachable } from '../database/db-errors';

/** An event type LINE documents, or any other string for types newer than this code. */
export type LineEventType = webhook.Event['type'];
export type EventOfType<K extends string> = K extends LineEventType
  ? Extract<webhook.Event, { type: K }>
  : webhook.Event;

/** What every handler learns about an event besides its body. */
export interface EventContext {
  webhookEventId: string;
  /** groupId, roomId or userId of the source; null when the event has no chat. */
  channelId: string | null;
  channelType: ChannelType | null;
  /** The user who caused the event, when LINE says. */
  userId: string | null;
  /** When it happened (LINE's `timestamp`). */
  eventTime: Date;
  /** `mode: standby`: stored and tracked, but the bot must send nothing. */
  standby: boolean;
  isRedelivery: boolean;
}

/**
 * What a handler answers when its write is queued but not yet committed (the archive gathers the
 * writes of many events into one transaction). The event counts as handled only once `durable`
 * resolves; meanwhile the next handlers, and the chat's next events, go on.
 */
export interface PendingWrite {
  readonly durable: Promise<unknown>;
  /** Someone waits for `durable`: stop gathering and commit now. */
  commitNow(): void;
}

export type EventHandlerFn<E = webhook.Event> = (event: E, ctx: EventContext) => Promise<void | PendingWrite>;

interface Registration {
  name: string;
  type: string;
  order: number;
  handle: EventHandlerFn<never>;
}

/**
 * Modules register what they do with events; the webhook module knows nothing of them.
 * Each registration has a unique name: the inbox records which names finished, so a retried
 * event runs only the handlers that have not, and nothing is acted on twice.
 */
@Injectable()
export class EventDispatcher {
  private readonly logger = new Logger(EventDispatcher.name);
  private readonly registrations: Registration[] = [];

  /**
   * @param type an event type, or `*` for every event (unknown types included)
   * @param order lower runs first: channel and member state (10) before features that read it (100)
   */
  on<K extends string>(
    type: K | '*',
    name: string,
    handle: EventHandlerFn<EventOfType<K>>,
    order = 100,
  ): void {
    if (this.registrations.some((r) => r.name === name))
      throw new Error(`Event handler "${name}" registered twice`);
    this.registrations.push({ name, type, order, handle: handle as EventHandlerFn<never> });
    this.registrations.sort((a, b) => a.order - b.order);
  }

  handlersFor(type: string): readonly string[] {
    return this.registrations.filter((r) => r.type === type || r.type === '*').map((r) => r.name);
  }

  /**
   * Runs every matching handler not in `completed`, in order, and reports each success through
   * `onDone` before the next starts, or, for a handler that answers a PendingWrite, through
   * `onPending`. The first failure stops the run and is thrown: what follows may depend on it, and
   * the retry resumes from there.
   */
  async dispatch(
    event: webhook.Event,
    ctx: EventContext,
    completed: ReadonlySet<string>,
    onDone: (name: string) => Promise<void>,
    onPending: (name: string, write: PendingWrite) => void,
  ): Promise<void> {
    for (const r of this.registrations) {
      if ((r.type !== event.type && r.type !== '*') || completed.has(r.name)) continue;
      let pending: void | PendingWrite;
      try {
        pending = await r.handle(event as never, ctx);
      } catch (err) {
        // A database outage is reported once, by the worker, not by every event it stops.
        const level = isDatabaseUnreachable(err) ? 'debug' : 'warn';
        this.logger[level](
          { webhookEventId: ctx.webhookEventId, handler: r.name, err: errorSummary(err) },
          'Event handler failed',
        );
        throw err;
      }
      if (pending) onPending(r.name, pending);
      else await onDone(r.name);
    }
  }
}

function errorSummary(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
