import type { Readable } from 'node:stream';
import { defaultMessage } from './faults';
import { isObject, sentMessagesFor, validateMessages } from './messages';
import { TEST_BOT_USER_ID } from './ids';
import type { FakeLineState } from './state';
import type { ErrorDetail, FakeChat, RecordedRequest } from './types';

export interface Answer {
  status: number;
  /** JSON body; omitted for an empty body. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw bytes instead of JSON (message content). */
  bytes?: Buffer | Readable;
}

type Params = Record<string, string>;
type Handler = (req: RecordedRequest, params: Params, state: FakeLineState) => Answer;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

const ID = '[^/]+';
const CHAT = `(?<chatType>group|room)/(?<chatId>${ID})`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHAT_OR_USER_ID = /^[UCR][0-9a-f]{32}$/;
const MEMBER_IDS_PAGE = 100;

export const ok = (body: unknown = {}): Answer => ({ status: 200, body });
export const fail = (status: number, message = defaultMessage(status), details?: ErrorDetail[]): Answer => ({
  status,
  body: details ? { message, details } : { message },
});
const invalid = (details: ErrorDetail[]) =>
  fail(400, `The request body has ${details.length} error(s)`, details);
const notFound = () => fail(404, 'Not found');

const routes: Route[] = [
  r('POST', '/v2/bot/message/reply', reply),
  r('POST', '/v2/bot/message/push', push),
  r('GET', '/v2/bot/message/quota', (_req, _p, s) => ok({ ...s.quota })),
  r('GET', '/v2/bot/message/quota/consumption', (_req, _p, s) => ok({ totalUsage: s.quotaUsage })),
  r('GET', `/v2/bot/group/(?<chatId>${ID})/summary`, groupSummary),
  r('GET', `/v2/bot/${CHAT}/members/count`, (_req, p, s) =>
    withChat(p, s, (c) => ok({ count: c.members.length })),
  ),
  r('GET', `/v2/bot/${CHAT}/members/ids`, memberIds),
  r('GET', `/v2/bot/${CHAT}/member/(?<userId>${ID})`, memberProfile),
  r('POST', `/v2/bot/${CHAT}/leave`, leave),
  r('GET', `/v2/bot/profile/(?<userId>${ID})`, profile),
  r('GET', '/v2/bot/info', () => ok(botInfo())),
  r('POST', '/v2/bot/chat/loading/start', () => ({ status: 202, body: {} })),
  r('GET', `/v2/bot/message/(?<messageId>${ID})/content`, content),
  r('GET', `/v2/bot/message/(?<messageId>${ID})/content/preview`, preview),
  r('GET', `/v2/bot/message/(?<messageId>${ID})/content/transcoding`, transcoding),
];

/** Answers a request the way LINE would; 404 `{"message":"Not found"}` for anything unknown. */
export function route(req: RecordedRequest, state: FakeLineState): Answer {
  for (const { method, pattern, handler } of routes) {
    const m = req.method === method ? pattern.exec(req.path) : null;
    if (m) return handler(req, { ...m.groups }, state);
  }
  return notFound();
}

function r(method: string, path: string, handler: Handler): Route {
  return { method, pattern: new RegExp(`^${path}$`), handler };
}

function reply(req: RecordedRequest, _p: Params, state: FakeLineState): Answer {
  if (req.headers['x-line-retry-key'] !== undefined) {
    return fail(400, 'The X-Line-Retry-Key header cannot be used with this API');
  }
  const body = isObject(req.body) ? req.body : {};
  const details = validateMessages(body.messages);
  if (typeof body.replyToken !== 'string' || body.replyToken === '') {
    details.unshift({ message: 'May not be empty', property: 'replyToken' });
  }
  if (details.length > 0) return invalid(details);
  const replyToken = body.replyToken as string;
  if (state.usedReplyTokens.has(replyToken)) return fail(400, 'Invalid reply token');
  state.usedReplyTokens.add(replyToken);
  const messages = body.messages as Array<Record<string, unknown>>;
  state.replies.push(body as unknown as (typeof state.replies)[number]);
  return ok({ sentMessages: sentMessagesFor(messages) });
}

function push(req: RecordedRequest, _p: Params, state: FakeLineState): Answer {
  const retryKey = req.headers['x-line-retry-key'];
  if (retryKey !== undefined) {
    if (!UUID.test(retryKey)) return fail(400, 'The value of the X-Line-Retry-Key header must be a UUID');
    const accepted = state.retryKeys.get(retryKey);
    if (accepted) {
      return {
        status: 409,
        body: { message: defaultMessage(409), sentMessages: accepted.sentMessages },
        headers: { 'x-line-accepted-request-id': accepted.requestId },
      };
    }
  }
  const body = isObject(req.body) ? req.body : {};
  const details = validateMessages(body.messages);
  if (details.length > 0) return invalid(details);
  const to = body.to;
  if (typeof to !== 'string' || !CHAT_OR_USER_ID.test(to) || state.chats.get(to)?.left) {
    return fail(400, "The property, 'to', in the request body is invalid (line: -, column: -)");
  }
  const messages = body.messages as Array<Record<string, unknown>>;
  const sentMessages = sentMessagesFor(messages);
  if (retryKey !== undefined) state.retryKeys.set(retryKey, { requestId: req.requestId, sentMessages });
  state.pushes.push({
    ...(body as unknown as (typeof state.pushes)[number]),
    ...(retryKey ? { retryKey } : {}),
  });
  state.quotaUsage += messages.length;
  return ok({ sentMessages });
}

function withChat(p: Params, state: FakeLineState, then: (chat: FakeChat) => Answer): Answer {
  const chat = state.activeChat(p.chatType as 'group' | 'room', p.chatId);
  return chat ? then(chat) : notFound();
}

function groupSummary(_req: RecordedRequest, p: Params, state: FakeLineState): Answer {
  return withChat({ ...p, chatType: 'group' }, state, (chat) =>
    ok({
      groupId: chat.id,
      groupName: chat.groupName,
      ...(chat.pictureUrl ? { pictureUrl: chat.pictureUrl } : {}),
    }),
  );
}

function memberIds(req: RecordedRequest, p: Params, state: FakeLineState): Answer {
  return withChat(p, state, (chat) => {
    if (chat.memberIdsForbidden) return fail(403, defaultMessage(403));
    let offset = 0;
    if (req.query.start !== undefined) {
      const [chatId, at] = Buffer.from(req.query.start, 'base64url').toString().split(':');
      offset = Number(at);
      if (chatId !== chat.id || !Number.isInteger(offset) || offset < 0) {
        return fail(400, "The value for the 'start' parameter is invalid");
      }
    }
    const end = offset + MEMBER_IDS_PAGE;
    const memberIds = chat.members.slice(offset, end).map((m) => m.userId);
    const next =
      end < chat.members.length ? Buffer.from(`${chat.id}:${end}`).toString('base64url') : undefined;
    return ok(next ? { memberIds, next } : { memberIds });
  });
}

function memberProfile(_req: RecordedRequest, p: Params, state: FakeLineState): Answer {
  return withChat(p, state, (chat) => {
    const member = chat.members.find((m) => m.userId === p.userId);
    return member ? ok(userBody(member)) : notFound();
  });
}

function leave(_req: RecordedRequest, p: Params, state: FakeLineState): Answer {
  return withChat(p, state, (chat) => {
    chat.left = true;
    return ok({});
  });
}

function profile(_req: RecordedRequest, p: Params, state: FakeLineState): Answer {
  const friend = state.friends.get(p.userId);
  if (!friend) return notFound();
  const { language, statusMessage } = friend;
  return ok({
    ...userBody(friend),
    ...(language ? { language } : {}),
    ...(statusMessage ? { statusMessage } : {}),
  });
}

function userBody(u: { userId: string; displayName: string; pictureUrl?: string }) {
  return {
    displayName: u.displayName,
    userId: u.userId,
    ...(u.pictureUrl ? { pictureUrl: u.pictureUrl } : {}),
  };
}

function botInfo() {
  return {
    userId: TEST_BOT_USER_ID,
    basicId: '@000test',
    displayName: 'Test bot',
    chatMode: 'bot',
    markAsReadMode: 'auto',
  };
}

function content(_req: RecordedRequest, p: Params, state: FakeLineState): Answer {
  const c = state.contents.get(p.messageId);
  if (!c) return notFound();
  if (c.notReadyLeft > 0) {
    c.notReadyLeft -= 1;
    return { status: 202 };
  }
  return bytesOf(c);
}

function preview(_req: RecordedRequest, p: Params, state: FakeLineState): Answer {
  const c = state.contents.get(p.messageId);
  return c ? bytesOf(c) : notFound();
}

function transcoding(_req: RecordedRequest, p: Params, state: FakeLineState): Answer {
  const c = state.contents.get(p.messageId);
  if (!c) return notFound();
  return ok({ status: c.notReadyLeft > 0 ? 'processing' : 'succeeded' });
}

function bytesOf(c: { body: Buffer | (() => Readable); contentType: string }): Answer {
  const bytes = Buffer.isBuffer(c.body) ? c.body : c.body();
  const headers: Record<string, string> = { 'content-type': c.contentType };
  if (Buffer.isBuffer(bytes)) headers['content-length'] = String(bytes.length);
  return { status: 200, bytes, headers };
}
