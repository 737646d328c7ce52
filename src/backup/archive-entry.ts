import type { webhook } from '@line/bot-sdk';
import type { EventContext } from '../webhook/event-dispatcher';

export const MEDIA_TYPES = ['image', 'video', 'audio', 'file'] as const;
export const SYSTEM_TYPES = ['join', 'leave', 'memberJoined', 'memberLeft'] as const;
export type SystemEntryType = (typeof SYSTEM_TYPES)[number];
export const ENTRY_TYPES = [
  'text',
  'image',
  'video',
  'audio',
  'file',
  'sticker',
  'location',
  ...SYSTEM_TYPES,
] as const;

export interface MediaSource {
  /** `line`: the bytes are downloaded from LINE; `external`: LINE only gives URLs, which are kept. */
  provider: 'line' | 'external';
  originalUrl?: string;
  previewUrl?: string;
}

/** One row of a channel's timeline, as the archive stores it. */
export interface ArchiveEntry {
  channelId: string;
  /** LINE's message id, or `<type>:<webhookEventId>` for a system entry: stored once whatever arrives twice. */
  entryKey: string;
  messageId: string | null;
  eventId: string;
  type: string;
  userId: string | null;
  /** LINE's timestamp (ms). */
  timestamp: number;
  text: string | null;
  /** What is searched besides `text`: file names, location titles and addresses. */
  searchable: string | null;
  /** The type's own fields as LINE gave them (emojis, mention, sticker ids, imageSet, ...). */
  details: Record<string, unknown> | null;
  media: MediaSource | null;
}

/** Fields that are LINE's plumbing, not part of what was said. */
const NOT_ARCHIVED = new Set(['id', 'type', 'text', 'quoteToken', 'markAsReadToken', 'contentProvider']);

export function entryFromMessage(
  event: webhook.MessageEvent,
  ctx: EventContext & { channelId: string },
): ArchiveEntry {
  const message = event.message as webhook.MessageContent & Record<string, unknown>;
  const details: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(message)) {
    if (!NOT_ARCHIVED.has(key) && value !== undefined) details[key] = value;
  }
  const type = message.type;
  // A sticker's `text` (its caption) is its own field; a text message's text is the message.
  if (type !== 'text' && typeof message.text === 'string') details.text = message.text;
  const text = type === 'text' && typeof message.text === 'string' ? message.text : null;
  return {
    channelId: ctx.channelId,
    entryKey: message.id,
    messageId: message.id,
    eventId: ctx.webhookEventId,
    type,
    userId: ctx.userId,
    timestamp: event.timestamp,
    text,
    searchable: searchableOf(type, message),
    details: Object.keys(details).length > 0 ? details : null,
    media: mediaOf(type, message),
  };
}

function searchableOf(type: string, message: Record<string, unknown>): string | null {
  const parts =
    type === 'file'
      ? [message.fileName]
      : type === 'location'
        ? [message.title, message.address]
        : type === 'sticker'
          ? [message.text]
          : [];
  const text = parts.filter((p): p is string => typeof p === 'string' && p.length > 0).join(' ');
  return text || null;
}

function mediaOf(type: string, message: Record<string, unknown>): MediaSource | null {
  if (!(MEDIA_TYPES as readonly string[]).includes(type)) return null;
  const provider = message.contentProvider as webhook.ContentProvider | undefined;
  // Files have no contentProvider: they are always on LINE.
  if (!provider || provider.type === 'line') return { provider: 'line' };
  return {
    provider: 'external',
    ...(provider.originalContentUrl ? { originalUrl: provider.originalContentUrl } : {}),
    ...(provider.previewImageUrl ? { previewUrl: provider.previewImageUrl } : {}),
  };
}

type SystemEvent =
  webhook.JoinEvent | webhook.LeaveEvent | webhook.MemberJoinedEvent | webhook.MemberLeftEvent;

export function entryFromSystemEvent(
  event: SystemEvent,
  ctx: EventContext & { channelId: string },
): ArchiveEntry {
  const members =
    event.type === 'memberJoined'
      ? event.joined.members
      : event.type === 'memberLeft'
        ? event.left.members
        : null;
  const userIds = members?.map((m) => m.userId).filter((id): id is string => !!id);
  return {
    channelId: ctx.channelId,
    entryKey: `${event.type}:${ctx.webhookEventId}`,
    messageId: null,
    eventId: ctx.webhookEventId,
    type: event.type,
    userId: ctx.userId,
    timestamp: event.timestamp,
    text: null,
    searchable: null,
    details: userIds ? { userIds } : null,
    media: null,
  };
}
