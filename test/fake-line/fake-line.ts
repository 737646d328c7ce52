import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';
import { FaultQueue, failureAnswer, matchesPath } from './faults';
import { Answer, fail, route } from './routes';
import { FakeLineState } from './state';
import type {
  FakeChat,
  FakeContent,
  FakeFriend,
  FakeGroupInit,
  FakeRoomInit,
  FakeUser,
  Failure,
  PushRecord,
  RecordedRequest,
  ReplyRecord,
} from './types';

export type * from './types';
export { TEST_BOT_USER_ID } from './ids';

const MAX_BODY = 2 * 1024 * 1024;

export interface FakeLineOptions {
  /** When set, any other bearer token answers 401; otherwise any non-empty bearer token is accepted. */
  accessToken?: string;
}

/**
 * The LINE platform on 127.0.0.1:<ephemeral>: the Messaging API and the data host (message content) on
 * one base URL. Answers like LINE (bodies, errors, `x-line-request-id`), records every request, and
 * fails on demand (`failNext`).
 */
export class FakeLine {
  readonly requests: RecordedRequest[] = [];
  private state = new FakeLineState();
  private readonly faults = new FaultQueue();
  private readonly sockets = new Set<Socket>();
  private stopped?: Promise<void>;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly options: FakeLineOptions,
  ) {}

  static async start(options: FakeLineOptions = {}): Promise<FakeLine> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const fake = new FakeLine(server, `http://127.0.0.1:${port}`, options);
    server.on('connection', (socket) => {
      fake.sockets.add(socket);
      socket.once('close', () => fake.sockets.delete(socket));
    });
    server.on('request', (req, res) => void fake.handle(req, res));
    return fake;
  }

  /** Closes the server at once, dropping held (timeout) and keep-alive connections. */
  stop(): Promise<void> {
    this.stopped ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
    return this.stopped;
  }

  /** Forgets everything: chats, users, contents, requests, faults, retry keys, used reply tokens. */
  reset(): void {
    this.requests.length = 0;
    this.state = new FakeLineState();
    this.faults.clear();
  }

  // ---- the world ----

  addGroup(init: FakeGroupInit): FakeChat {
    return this.state.addGroup(init);
  }

  addRoom(init: FakeRoomInit): FakeChat {
    return this.state.addRoom(init);
  }

  /** A friend of the bot (GET /v2/bot/profile answers for it). */
  addUser(user: FakeFriend): void {
    this.state.friends.set(user.userId, { ...user });
  }

  addMember(chatId: string, user: FakeUser): void {
    this.state.addMember(chatId, user);
  }

  removeMember(chatId: string, userId: string): void {
    this.state.removeMember(chatId, userId);
  }

  /** The group or room as the fake sees it now (members, `left` after the bot left). */
  chat(chatId: string): FakeChat {
    return this.state.chat(chatId);
  }

  hasLeft(chatId: string): boolean {
    return this.state.chat(chatId).left;
  }

  setContent(messageId: string, content: FakeContent): void {
    this.state.setContent(messageId, content);
  }

  /** Makes a reply token unusable (as if it expired): the next reply with it answers 400. */
  expireReplyToken(replyToken: string): void {
    this.state.usedReplyTokens.add(replyToken);
  }

  setQuota(quota: { type: 'none' | 'limited'; value?: number }, usage = this.state.quotaUsage): void {
    this.state.quota = quota;
    this.state.quotaUsage = usage;
  }

  // ---- what was sent ----

  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    const m = method.toUpperCase();
    return this.requests.filter((r) => r.method === m && matchesPath(path, r.path));
  }

  /** Accepted replies (200), in order: what users saw. Every attempt: `requestsTo('POST', '/v2/bot/message/reply')`. */
  replies(): ReplyRecord[] {
    return [...this.state.replies];
  }

  /** Accepted pushes (200; a deduplicated 409 is not a second one), with their `retryKey`. */
  pushes(): PushRecord[] {
    return [...this.state.pushes];
  }

  /** The accepted reply that used this event's reply token, if any (for `waitFor(() => fake.replyFor(ev))`). */
  replyFor(event: { replyToken?: string }): ReplyRecord | undefined {
    return this.state.replies.find(
      (r) => event.replyToken !== undefined && r.replyToken === event.replyToken,
    );
  }

  /** Accepted pushes to one group, room or user. */
  pushesTo(to: string): PushRecord[] {
    return this.state.pushes.filter((p) => p.to === to);
  }

  /** The `text` of every accepted reply and push message of type text/textV2, in order. */
  sentTexts(): string[] {
    const all = [...this.state.replies, ...this.state.pushes].flatMap((r) => r.messages);
    return all.filter((m) => typeof m.text === 'string').map((m) => m.text as string);
  }

  // ---- faults ----

  /** The next `times` requests matching method and path (exact string, or RegExp on the path) get `failure`. */
  failNext(method: string, path: string | RegExp, failure: Failure, times = 1): void {
    this.faults.add(method, path, failure, times);
  }

  /** Injected failures not consumed yet. */
  pendingFailures(): number {
    return this.faults.pending();
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let requestId: string = randomUUID();
    try {
      const { recorded, badJson } = await this.record(req);
      requestId = recorded.requestId;
      const failure = this.faults.take(recorded.method, recorded.path);
      if (failure) recorded.failure = failure;
      if (failure === 'timeout') return;
      const answer =
        failure && failure !== 'timeout-after-accept'
          ? failureAnswer(failure)
          : this.answer(recorded, badJson);
      if (failure === 'timeout-after-accept') return;
      recorded.status = answer.status;
      this.send(res, recorded.requestId, answer);
    } catch (err) {
      if (!res.headersSent && !res.destroyed)
        this.send(res, requestId, fail(500, `FakeLine crashed: ${(err as Error).message}`));
    }
  }

  private answer(req: RecordedRequest, badJson: boolean): Answer {
    if (req.size > MAX_BODY) return fail(413);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1]?.trim();
    if (!token || (this.options.accessToken !== undefined && token !== this.options.accessToken))
      return fail(401);
    if (badJson) return fail(400, 'The request body could not be parsed as JSON');
    return route(req, this.state);
  }

  private async record(req: IncomingMessage): Promise<{ recorded: RecordedRequest; badJson: boolean }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://fake-line');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const recorded: RecordedRequest = {
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body: raw.length > 0 ? raw : undefined,
      size: raw.length,
      at: Date.now(),
      requestId: randomUUID(),
    };
    let badJson = false;
    if (raw.length > 0 && /json/i.test(headers['content-type'] ?? '')) {
      try {
        recorded.body = JSON.parse(raw.toString('utf8'));
      } catch {
        badJson = true;
      }
    }
    this.requests.push(recorded);
    return { recorded, badJson };
  }

  private send(res: ServerResponse, requestId: string, answer: Answer): void {
    res.statusCode = answer.status;
    res.setHeader('x-line-request-id', requestId);
    for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
    if (answer.bytes instanceof Readable) {
      answer.bytes.on('error', () => res.destroy());
      answer.bytes.pipe(res);
    } else if (answer.bytes) {
      res.end(answer.bytes);
    } else if (answer.body !== undefined) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer.body));
    } else {
      res.end();
    }
  }
}
