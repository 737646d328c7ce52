import { createHash } from 'node:crypto';
import { BadRequestError } from '../common/errors/domain.errors';
import type { ChannelType } from '../channels/channel.entity';
import type { EventContext } from './event-dispatcher';

/** One event of a webhook body, ready for the inbox. */
export interface IncomingEvent {
  webhookEventId: string;
  eventType: string;
  channelId: string | null;
  eventTimestamp: number;
  payload: Record<string, unknown>;
}

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_ID_LENGTH = 64;

/**
 * Parses a verified body `{ destination, events[] }`. Events repeated inside the body (same
 * webhookEventId) are kept once, the first. Unknown event types are kept as they are.
 */
export function parseWebhookBody(raw: Buffer): IncomingEvent[] {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new BadRequestError('Malformed JSON body');
  }
  if (!isPlain(body) || !Array.isArray(body.events)) {
    throw new BadRequestError('Webhook body must be an object with an events array');
  }
  const seen = new Set<string>();
  const events: IncomingEvent[] = [];
  for (const event of body.events) {
    if (!isPlain(event)) throw new BadRequestError('Every webhook event must be an object');
    const incoming = toIncomingEvent(event);
    if (seen.has(incoming.webhookEventId)) continue;
    seen.add(incoming.webhookEventId);
    events.push(incoming);
  }
  return events;
}

function toIncomingEvent(event: Plain): IncomingEvent {
  const timestamp = event.timestamp;
  return {
    webhookEventId: eventIdOf(event),
    eventType: typeof event.type === 'string' && event.type !== '' ? event.type.slice(0, 64) : 'unknown',
    channelId: sourceOf(event).channelId,
    eventTimestamp:
      typeof timestamp === 'number' && Number.isFinite(timestamp) && timestamp >= 0
        ? Math.trunc(timestamp)
        : Date.now(),
    payload: event,
  };
}

/**
 * LINE's webhookEventId (a ULID). An event without a usable one gets a digest of its content
 * (redelivery flag left out), so that its redeliveries still deduplicate.
 */
function eventIdOf(event: Plain): string {
  const id = event.webhookEventId;
  if (typeof id === 'string' && id !== '' && id.length <= MAX_ID_LENGTH) return id;
  const { deliveryContext: _ignored, ...content } = event;
  return 'sha256:' + createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 57);
}

function lineId(v: unknown): string | null {
  return typeof v === 'string' && v !== '' && v.length <= MAX_ID_LENGTH ? v : null;
}

/** The chat of an event: the group, the room, or the 1:1 chat whose id is the user's. */
export function sourceOf(event: Plain): {
  channelId: string | null;
  channelType: ChannelType | null;
  userId: string | null;
} {
  const source = isPlain(event.source) ? event.source : {};
  const userId = lineId(source.userId);
  if (source.type === 'group' && lineId(source.groupId))
    return { channelId: lineId(source.groupId), channelType: 'group', userId };
  if (source.type === 'room' && lineId(source.roomId))
    return { channelId: lineId(source.roomId), channelType: 'room', userId };
  if (source.type === 'user' && userId) return { channelId: userId, channelType: 'user', userId };
  return { channelId: null, channelType: null, userId };
}

/** What handlers learn about a stored event besides its body. */
export function eventContextOf(
  event: Plain,
  stored: { webhookEventId: string; eventTimestamp: number },
): EventContext {
  const { channelId, channelType, userId } = sourceOf(event);
  const delivery = isPlain(event.deliveryContext) ? event.deliveryContext : {};
  return {
    webhookEventId: stored.webhookEventId,
    channelId,
    channelType,
    userId,
    eventTime: new Date(stored.eventTimestamp),
    standby: event.mode === 'standby',
    isRedelivery: delivery.isRedelivery === true,
  };
}
