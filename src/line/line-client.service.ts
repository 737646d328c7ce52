import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { messagingApi } from '@line/bot-sdk';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { LineSettings, Settings } from '../config/settings';
import { withFetchSignal } from './fetch-signal';
import { LineApiError, LineNotConfiguredError } from './line-api.error';
import { AttemptTimeout, ClientClosing, fetchContent, toLineApiError } from './line-http';
import type {
  ChatRef,
  GroupSummary,
  LineMessage,
  MemberProfile,
  MessageContent,
  SentMessage,
  UserProfile,
} from './line.types';
import { assertRetryKey, assertSendable } from './message-limits';
import { DEFAULT_RETRY_POLICY, RetryPolicy, retryDelayMs } from './retry-policy';

export type * from './line.types';

interface HttpResult<T> {
  httpResponse: Response;
  body: T;
}

/** LINE groups hold at most 500 members (100 ids a page): this only stops a paging loop gone wrong. */
const MAX_MEMBER_ID_PAGES = 100;

/**
 * Every call to the LINE platform. Retries 429 (honouring Retry-After), 5xx, timeouts and network
 * failures with backoff; each attempt has a timeout. Refuses what LINE would reject before sending.
 */
@Injectable()
export class LineClient implements OnApplicationShutdown {
  private readonly logger = new Logger(LineClient.name);
  private readonly settings: Omit<LineSettings, 'channelAccessToken' | 'channelSecret'>;
  private readonly policy: RetryPolicy;
  private readonly closing = new AbortController();
  // Private fields (not properties) so the token never shows up when this object is inspected or logged.
  readonly #token?: string;
  readonly #api?: messagingApi.MessagingApiClient;

  constructor(config: ConfigService<Settings, true>) {
    const { channelAccessToken, channelSecret: _secret, ...settings } = config.get('line', { infer: true });
    this.settings = settings;
    this.policy = { ...DEFAULT_RETRY_POLICY, maxRetries: settings.maxRetries };
    this.#token = channelAccessToken;
    // Every call in flight listens for shutdown; a busy bot has far more than Node's default 10.
    setMaxListeners(0, this.closing.signal);
    if (channelAccessToken) {
      this.#api = new messagingApi.MessagingApiClient({ channelAccessToken, baseURL: settings.apiBaseUrl });
    }
  }

  onApplicationShutdown(): void {
    this.closing.abort(new ClientClosing());
  }

  async reply(
    replyToken: string,
    messages: LineMessage[],
    opts: { notificationDisabled?: boolean } = {},
  ): Promise<SentMessage[]> {
    assertSendable(messages);
    const api = this.api();
    const request: messagingApi.ReplyMessageRequest = { replyToken, messages };
    if (opts.notificationDisabled !== undefined) request.notificationDisabled = opts.notificationDisabled;
    // No retry key: LINE answers 400 to one on reply.
    const res = await this.call('reply', () => api.replyMessageWithHttpInfo(request));
    return sentMessages(res.body);
  }

  /** One logical push: every retry of it carries the same X-Line-Retry-Key, so LINE delivers it once. */
  async push(
    to: string,
    messages: LineMessage[],
    opts: { retryKey?: string; notificationDisabled?: boolean } = {},
  ): Promise<SentMessage[]> {
    assertSendable(messages);
    const retryKey = opts.retryKey ?? randomUUID();
    assertRetryKey(retryKey);
    const api = this.api();
    const request: messagingApi.PushMessageRequest = { to, messages };
    if (opts.notificationDisabled !== undefined) request.notificationDisabled = opts.notificationDisabled;
    try {
      const res = await this.call('push', () => api.pushMessageWithHttpInfo(request, retryKey));
      return sentMessages(res.body);
    } catch (err) {
      // 409 with x-line-accepted-request-id: an earlier attempt with this key was delivered.
      if (err instanceof LineApiError && err.status === 409 && err.acceptedRequestId) {
        this.logger.log(`push: already accepted as request ${err.acceptedRequestId}; counted as delivered`);
        return sentMessages(err.body);
      }
      throw err;
    }
  }

  async getGroupSummary(groupId: string): Promise<GroupSummary> {
    const api = this.api();
    const { body } = await this.call('getGroupSummary', () => api.getGroupSummaryWithHttpInfo(groupId));
    return withoutUndefined({
      groupId: body.groupId,
      groupName: body.groupName,
      pictureUrl: body.pictureUrl,
    });
  }

  async getMemberCount(chat: ChatRef): Promise<number> {
    const api = this.api();
    const { body } = await this.call('getMemberCount', () =>
      chat.type === 'group'
        ? api.getGroupMemberCountWithHttpInfo(chat.id)
        : api.getRoomMemberCountWithHttpInfo(chat.id),
    );
    return body.count;
  }

  /** Every page. LINE answers 403 unless the account is verified or premium. */
  async getMemberIds(chat: ChatRef): Promise<string[]> {
    const api = this.api();
    const ids: string[] = [];
    let start: string | undefined;
    for (let page = 0; page < MAX_MEMBER_ID_PAGES; page++) {
      const from = start;
      const { body } = await this.call('getMemberIds', () =>
        chat.type === 'group'
          ? api.getGroupMembersIdsWithHttpInfo(chat.id, from)
          : api.getRoomMembersIdsWithHttpInfo(chat.id, from),
      );
      ids.push(...body.memberIds);
      if (!body.next) return ids;
      start = body.next;
    }
    throw new Error(`getMemberIds: more than ${MAX_MEMBER_ID_PAGES} pages for ${chat.type} ${chat.id}`);
  }

  async getMemberProfile(chat: ChatRef, userId: string): Promise<MemberProfile> {
    const api = this.api();
    const { body } = await this.call('getMemberProfile', () =>
      chat.type === 'group'
        ? api.getGroupMemberProfileWithHttpInfo(chat.id, userId)
        : api.getRoomMemberProfileWithHttpInfo(chat.id, userId),
    );
    return withoutUndefined({
      userId: body.userId,
      displayName: body.displayName,
      pictureUrl: body.pictureUrl,
    });
  }

  async getProfile(userId: string): Promise<UserProfile> {
    const api = this.api();
    const { body } = await this.call('getProfile', () => api.getProfileWithHttpInfo(userId));
    return withoutUndefined({
      userId: body.userId,
      displayName: body.displayName,
      pictureUrl: body.pictureUrl,
      statusMessage: body.statusMessage,
      language: body.language,
    });
  }

  async leave(chat: ChatRef): Promise<void> {
    const api = this.api();
    await this.call('leave', () =>
      chat.type === 'group' ? api.leaveGroupWithHttpInfo(chat.id) : api.leaveRoomWithHttpInfo(chat.id),
    );
  }

  /**
   * The bytes as a stream, never buffered. The timeout covers the wait for the headers; the caller
   * must consume or destroy the stream and listen for its 'error'. Fetched directly rather than
   * through MessagingApiBlobClient: its stream turns a failure mid-body into an unhandled rejection
   * (fatal on Node 20) and a stream that never ends.
   */
  async getMessageContent(messageId: string): Promise<MessageContent> {
    const token = this.token();
    const url = `${this.settings.dataApiBaseUrl}/v2/bot/message/${encodeURIComponent(messageId)}/content`;
    const { httpResponse: res } = await this.call('getMessageContent', async (signal) => ({
      httpResponse: await fetchContent(url, token, signal),
      body: undefined,
    }));
    if (res.status === 202) {
      await res.body?.cancel();
      return { status: 'not-ready' };
    }
    const length = res.headers.get('content-length');
    return {
      status: 'ready',
      stream: res.body ? Readable.fromWeb(res.body as NodeReadableStream) : Readable.from([]),
      contentType: res.headers.get('content-type') ?? 'application/octet-stream',
      ...(length && /^\d+$/.test(length) ? { contentLength: Number(length) } : {}),
    };
  }

  /** Runs `fn` until it succeeds, fails for good, or retries are used up. */
  private async call<T>(
    op: string,
    fn: (signal: AbortSignal) => Promise<HttpResult<T>>,
  ): Promise<HttpResult<T>> {
    let uncertain = false;
    for (let retry = 0; ; retry++) {
      let failure: LineApiError;
      try {
        const result = await this.attempt(fn);
        const id = result.httpResponse.headers.get('x-line-request-id') ?? '-';
        const retries = retry > 0 ? ` after ${retry} ${retry === 1 ? 'retry' : 'retries'}` : '';
        this.logger.debug(`${op}: ${result.httpResponse.status} (request ${id})${retries}`);
        return result;
      } catch (err) {
        failure = err as LineApiError;
        failure.earlierTryUncertain = uncertain;
        uncertain ||= failure.mayHaveBeenCarriedOut;
      }
      const delay = this.closing.signal.aborted
        ? null
        : retryDelayMs(retry + 1, failure, this.policy, Date.now(), Math.random);
      if (delay === null) {
        this.logFailure(op, failure, retry);
        throw failure;
      }
      this.logger.warn(
        `${op}: ${summarize(failure)}; retry ${retry + 1}/${this.policy.maxRetries} in ${delay} ms`,
      );
      try {
        await sleep(delay, undefined, { signal: this.closing.signal });
      } catch {
        throw failure;
      }
    }
  }

  /** One request with its own timeout; whatever fails comes out as a LineApiError. */
  private async attempt<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const timeoutMs = this.settings.timeoutMs;
    const controller = new AbortController();
    const timeout = setTimeout(() => controller.abort(new AttemptTimeout(timeoutMs)), timeoutMs);
    // Not AbortSignal.any: on Node 20 it leaks dependants of a long-lived signal like `closing`.
    const onClosing = () => controller.abort(this.closing.signal.reason);
    this.closing.signal.addEventListener('abort', onClosing, { once: true });
    const { signal } = controller;
    try {
      if (this.closing.signal.aborted) throw this.closing.signal.reason;
      return await withFetchSignal(signal, () => fn(signal));
    } catch (err) {
      throw toLineApiError(err, signal);
    } finally {
      clearTimeout(timeout);
      this.closing.signal.removeEventListener('abort', onClosing);
    }
  }

  private logFailure(op: string, failure: LineApiError, retries: number): void {
    const after = retries > 0 ? ` after ${retries} ${retries === 1 ? 'retry' : 'retries'}` : '';
    const message = `${op}: ${summarize(failure)}${after}`;
    if (failure.status === 401) this.logger.error(`${message}: check LINE_CHANNEL_ACCESS_TOKEN`);
    else if (failure.status === 0 || failure.status === 429 || failure.status >= 500)
      this.logger.warn(message);
    // Other 4xx (404 for a member who left, an expired reply token) are the caller's to judge.
    else this.logger.debug(message);
  }

  private api(): messagingApi.MessagingApiClient {
    if (!this.#api) throw new LineNotConfiguredError();
    return this.#api;
  }

  private token(): string {
    if (!this.#token) throw new LineNotConfiguredError();
    return this.#token;
  }
}

function summarize(err: LineApiError): string {
  if (err.status === 0) return err.message;
  return `${err.status}${err.lineMessage ? ` "${err.lineMessage}"` : ''} (request ${err.requestId ?? '-'})`;
}

function sentMessages(body: unknown): SentMessage[] {
  const list = (body as { sentMessages?: unknown } | null | undefined)?.sentMessages;
  if (!Array.isArray(list)) return [];
  return list.map((m: messagingApi.SentMessage) => withoutUndefined({ id: m.id, quoteToken: m.quoteToken }));
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
