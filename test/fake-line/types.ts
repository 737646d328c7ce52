import type { Readable } from 'node:stream';

/** A LINE user as seen from a group or room (member profile). */
export interface FakeUser {
  userId: string;
  displayName: string;
  pictureUrl?: string;
}

/** A friend of the bot: what GET /v2/bot/profile/{userId} answers. */
export interface FakeFriend extends FakeUser {
  language?: string;
  statusMessage?: string;
}

export interface FakeGroupInit {
  /** A random one when omitted (read it back from the returned chat's `id`). */
  groupId?: string;
  groupName?: string;
  pictureUrl?: string;
  members?: FakeUser[];
  /** GET .../members/ids answers 403 (an account that is neither verified nor premium). */
  memberIdsForbidden?: boolean;
}

export interface FakeRoomInit {
  roomId?: string;
  members?: FakeUser[];
  memberIdsForbidden?: boolean;
}

export interface FakeChat {
  type: 'group' | 'room';
  id: string;
  groupName?: string;
  pictureUrl?: string;
  members: FakeUser[];
  memberIdsForbidden: boolean;
  /** The bot left (POST .../leave): the chat answers 404 from then on. */
  left: boolean;
}

export interface FakeContent {
  /** The bytes, or a factory of a fresh stream per download. */
  body: Buffer | (() => Readable);
  contentType: string;
  /** How many downloads answer 202 (video/audio still being prepared) before the bytes. */
  notReadyTimes?: number;
}

/** What the fake answers instead of the real thing, once per matching request (see `failNext`). */
export type Failure =
  | { status: number; message?: string; retryAfterSeconds?: number; details?: ErrorDetail[] }
  /** Hold the request without answering until the client gives up (before doing anything). */
  | 'timeout'
  /** Do the work (a push is accepted and its retry key remembered), then never answer. */
  | 'timeout-after-accept';

export interface ErrorDetail {
  message: string;
  property: string;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v2/bot/message/push`. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Parsed JSON; the raw bytes when the body is not JSON; undefined when empty. */
  body: unknown;
  /** Body length in bytes. */
  size: number;
  /** Epoch milliseconds when the request arrived. */
  at: number;
  /** The `x-line-request-id` the fake gave this request. */
  requestId: string;
  /** The status answered; undefined while held (timeout) or never answered. */
  status?: number;
  /** The injected failure this request consumed, if any. */
  failure?: Failure;
}

export interface ReplyRecord {
  replyToken: string;
  messages: Array<Record<string, unknown>>;
  notificationDisabled?: boolean;
}

export interface PushRecord {
  to: string;
  messages: Array<Record<string, unknown>>;
  notificationDisabled?: boolean;
  customAggregationUnits?: string[];
  /** The X-Line-Retry-Key header, if the push carried one. */
  retryKey?: string;
}

export interface SentMessage {
  id: string;
  quoteToken?: string;
}
