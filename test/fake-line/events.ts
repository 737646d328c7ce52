import { randomBytes } from 'node:crypto';
import type { webhook } from '@line/bot-sdk';
import { randomGroupId, randomMessageId, randomReplyToken, randomUserId, ulid } from './ids';

export {
  makeUsers,
  randomGroupId,
  randomMessageId,
  randomReplyToken,
  randomRoomId,
  randomUserId,
  ulid,
} from './ids';

/** Where an event comes from: a group or room (with the sender's `userId` if given), else a 1:1 chat. */
export interface EventOptions {
  groupId?: string;
  roomId?: string;
  userId?: string;
  /** Milliseconds; Date.now() by default. */
  timestamp?: number;
  /** `standby` events carry no reply token (unless one is given). */
  mode?: webhook.EventMode;
  webhookEventId?: string;
  replyToken?: string;
  deliveryContext?: webhook.DeliveryContext;
}

interface MessageOptions extends EventOptions {
  messageId?: string;
}

/** A text message's text, else the event's type in parentheses: how tests name the events a handler saw. */
export const textOf = (event: webhook.Event): string =>
  event.type === 'message' && event.message.type === 'text' ? event.message.text : `(${event.type})`;

export type EventBase<T extends string> = {
  type: T;
  replyToken?: string;
  mode: webhook.EventMode;
  timestamp: number;
  source: webhook.Source;
  webhookEventId: string;
  deliveryContext: webhook.DeliveryContext;
};
export type MessageEventOf<M extends webhook.MessageContent> = EventBase<'message'> & { message: M };
export type TextEvent = MessageEventOf<webhook.TextMessageContent>;
export type ImageEvent = MessageEventOf<webhook.ImageMessageContent>;
export type VideoEvent = MessageEventOf<webhook.VideoMessageContent>;
export type AudioEvent = MessageEventOf<webhook.AudioMessageContent>;
export type FileEvent = MessageEventOf<webhook.FileMessageContent>;
export type StickerEvent = MessageEventOf<webhook.StickerMessageContent>;
export type LocationEvent = MessageEventOf<webhook.LocationMessageContent>;
export type JoinEvent = EventBase<'join'> & { replyToken?: string };
export type LeaveEvent = EventBase<'leave'>;
export type MemberJoinedEvent = EventBase<'memberJoined'> & { joined: webhook.JoinedMembers };
export type MemberLeftEvent = EventBase<'memberLeft'> & { left: webhook.LeftMembers };
export type FollowEvent = EventBase<'follow'> & { follow: webhook.FollowDetail };
export type UnfollowEvent = EventBase<'unfollow'>;
export type UnsendEvent = EventBase<'unsend'> & { unsend: webhook.UnsendDetail };
export type PostbackEvent = EventBase<'postback'> & { postback: webhook.PostbackContent };

const quoteToken = () => randomBytes(48).toString('base64url');
const line = (): webhook.ContentProvider => ({ type: 'line' });

function sourceOf(o: EventOptions, chatOnly = false): webhook.Source {
  if (o.groupId && o.roomId) throw new Error('An event comes from a group or a room, not both');
  const sender = o.userId ? { userId: o.userId } : {};
  if (o.roomId) return { type: 'room', roomId: o.roomId, ...sender };
  if (o.groupId || chatOnly) return { type: 'group', groupId: o.groupId ?? randomGroupId(), ...sender };
  return { type: 'user', userId: o.userId ?? randomUserId() };
}

/** The fields every event has, in LINE's order; a reply token only where LINE gives one. */
function base<T extends string>(
  type: T,
  o: EventOptions,
  withToken: boolean,
  chatOnly = false,
): EventBase<T> {
  const mode = o.mode ?? 'active';
  const timestamp = o.timestamp ?? Date.now();
  const token = o.replyToken ?? (withToken && mode === 'active' ? randomReplyToken() : undefined);
  return {
    ...(token !== undefined ? { replyToken: token } : {}),
    type,
    mode,
    timestamp,
    source: sourceOf(o, chatOnly),
    webhookEventId: o.webhookEventId ?? ulid(timestamp),
    deliveryContext: o.deliveryContext ? { ...o.deliveryContext } : { isRedelivery: false },
  } as EventBase<T>;
}

function messageEvent<M extends webhook.MessageContent>(
  o: MessageOptions,
  message: Omit<M, 'id'>,
): MessageEventOf<M> {
  return { ...base('message', o, true), message: { id: o.messageId ?? randomMessageId(), ...message } as M };
}

export function makeTextEvent(
  o: MessageOptions & {
    text: string;
    emojis?: webhook.Emoji[];
    mention?: webhook.Mention;
    quotedMessageId?: string;
  },
): TextEvent {
  const { text, emojis, mention, quotedMessageId } = o;
  return messageEvent<webhook.TextMessageContent>(o, {
    type: 'text',
    quoteToken: quoteToken(),
    text,
    ...(emojis ? { emojis } : {}),
    ...(mention ? { mention } : {}),
    ...(quotedMessageId ? { quotedMessageId } : {}),
  });
}

export function makeImageEvent(
  o: MessageOptions & { contentProvider?: webhook.ContentProvider; imageSet?: webhook.ImageSet } = {},
): ImageEvent {
  return messageEvent<webhook.ImageMessageContent>(o, {
    type: 'image',
    contentProvider: o.contentProvider ?? line(),
    ...(o.imageSet ? { imageSet: o.imageSet } : {}),
    quoteToken: quoteToken(),
  });
}

export function makeVideoEvent(
  o: MessageOptions & { duration?: number; contentProvider?: webhook.ContentProvider } = {},
): VideoEvent {
  return messageEvent<webhook.VideoMessageContent>(o, {
    type: 'video',
    duration: o.duration ?? 12_000,
    contentProvider: o.contentProvider ?? line(),
    quoteToken: quoteToken(),
  });
}

export function makeAudioEvent(
  o: MessageOptions & { duration?: number; contentProvider?: webhook.ContentProvider } = {},
): AudioEvent {
  return messageEvent<webhook.AudioMessageContent>(o, {
    type: 'audio',
    duration: o.duration ?? 5_000,
    contentProvider: o.contentProvider ?? line(),
  });
}

export function makeFileEvent(o: MessageOptions & { fileName?: string; fileSize?: number } = {}): FileEvent {
  return messageEvent<webhook.FileMessageContent>(o, {
    type: 'file',
    fileName: o.fileName ?? 'file.txt',
    fileSize: o.fileSize ?? 2138,
  });
}

export function makeStickerEvent(
  o: MessageOptions & {
    packageId?: string;
    stickerId?: string;
    stickerResourceType?: webhook.StickerMessageContent.StickerResourceTypeEnum;
    keywords?: string[];
    text?: string;
  } = {},
): StickerEvent {
  return messageEvent<webhook.StickerMessageContent>(o, {
    type: 'sticker',
    packageId: o.packageId ?? '446',
    stickerId: o.stickerId ?? '1988',
    stickerResourceType: o.stickerResourceType ?? 'STATIC',
    ...(o.keywords ? { keywords: o.keywords } : {}),
    ...(o.text ? { text: o.text } : {}),
    quoteToken: quoteToken(),
  });
}

export function makeLocationEvent(
  o: MessageOptions & { title?: string; address?: string; latitude?: number; longitude?: number } = {},
): LocationEvent {
  return messageEvent<webhook.LocationMessageContent>(o, {
    type: 'location',
    title: o.title ?? 'Shibuya Station',
    address: o.address ?? '2 Chome-24-12 Shibuya, Tokyo 150-0002, Japan',
    latitude: o.latitude ?? 35.658034,
    longitude: o.longitude ?? 139.701636,
  });
}

/**
 * Images sent together: one event each, sharing `imageSet.id`, `index` 1..count (LINE may deliver them
 * in any order).
 */
export function makeImageSetEvents(o: MessageOptions & { count: number }): ImageEvent[] {
  const id = randomBytes(10).toString('hex').toUpperCase();
  return Array.from({ length: o.count }, (_, i) =>
    makeImageEvent({ ...o, messageId: undefined, imageSet: { id, index: i + 1, total: o.count } }),
  );
}

/**
 * Any other event type (`messageEdited`, `videoPlayComplete`, a type that does not exist yet) with the
 * common fields; `fields` are added as given. A reply token unless `withReplyToken` is false.
 */
export function makeEvent<T extends string, F extends object>(
  type: T,
  fields: F,
  o: EventOptions & { withReplyToken?: boolean } = {},
): EventBase<T> & F {
  return { ...base(type, o, o.withReplyToken ?? true), ...fields };
}

/** The bot was added to a group (a random one unless given) or room. */
export function makeJoinEvent(o: EventOptions = {}): JoinEvent {
  return base('join', { ...o, userId: undefined }, true, true);
}

/** The bot was removed from a group or room: no reply token. */
export function makeLeaveEvent(o: EventOptions = {}): LeaveEvent {
  return base('leave', { ...o, userId: undefined }, false, true);
}

const members = (userIds: string[]): webhook.UserSource[] =>
  userIds.map((userId) => ({ type: 'user', userId }));

export function makeMemberJoinedEvent(o: EventOptions & { userIds: string[] }): MemberJoinedEvent {
  return {
    ...base('memberJoined', { ...o, userId: undefined }, true, true),
    joined: { members: members(o.userIds) },
  };
}

/** Members left a group or room: no reply token. */
export function makeMemberLeftEvent(o: EventOptions & { userIds: string[] }): MemberLeftEvent {
  return {
    ...base('memberLeft', { ...o, userId: undefined }, false, true),
    left: { members: members(o.userIds) },
  };
}

/** A user added the bot as a friend (or unblocked it): a 1:1 source. */
export function makeFollowEvent(o: EventOptions & { isUnblocked?: boolean } = {}): FollowEvent {
  return { ...base('follow', oneToOne(o), true), follow: { isUnblocked: o.isUnblocked ?? false } };
}

export function makeUnfollowEvent(o: EventOptions = {}): UnfollowEvent {
  return base('unfollow', oneToOne(o), false);
}

export function makeUnsendEvent(o: EventOptions & { messageId: string }): UnsendEvent {
  return { ...base('unsend', o, false), unsend: { messageId: o.messageId } };
}

export function makePostbackEvent(
  o: EventOptions & { data: string; params?: Record<string, string> },
): PostbackEvent {
  return {
    ...base('postback', o, true),
    postback: { data: o.data, ...(o.params ? { params: o.params } : {}) },
  };
}

function oneToOne(o: EventOptions): EventOptions {
  if (o.groupId || o.roomId) throw new Error('follow/unfollow events come from a 1:1 chat: give only userId');
  return o;
}

/** The same event as LINE redelivers it: identical, with `deliveryContext.isRedelivery` true. */
export function redeliver<T extends { deliveryContext: webhook.DeliveryContext }>(event: T): T {
  return { ...structuredClone(event), deliveryContext: { isRedelivery: true } };
}

/**
 * A mentionee for `mention.mentionees`: finds `mentionText` (for example "@Alice") in `text`.
 * `target` 'all' mentions everyone; otherwise a user, `isSelf` when it is the bot.
 */
export function mentionee(
  text: string,
  mentionText: string,
  target: 'all' | { userId?: string; isSelf?: boolean },
): webhook.Mentionee {
  const index = text.indexOf(mentionText);
  if (index < 0) throw new Error(`"${mentionText}" does not occur in "${text}"`);
  const at = { index, length: mentionText.length };
  if (target === 'all') return { ...at, type: 'all' };
  return {
    ...at,
    type: 'user',
    ...(target.userId ? { userId: target.userId } : {}),
    isSelf: target.isSelf ?? false,
  };
}
