import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { BadRequestError } from '../src/common/errors/domain.errors';
import { LineApiError, LineMessageLimitError, LineNotConfiguredError } from '../src/line/line-api.error';
import { LineClient, LineMessage } from '../src/line/line-client.service';
import { FakeLine } from './fake-line/fake-line';
import {
  randomGroupId,
  randomMessageId,
  randomReplyToken,
  randomRoomId,
  randomUserId,
} from './fake-line/ids';
import { createTestApp, TEST_ACCESS_TOKEN, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const PUSH = '/v2/bot/message/push';
const REPLY = '/v2/bot/message/reply';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Never to be seen in a log line. */
const SECRET_TEXT = 'meet at the old gate at nine';
const text = (t = SECRET_TEXT): LineMessage => ({ type: 'text', text: t });
const LOG_METHODS = ['log', 'warn', 'error', 'debug', 'verbose', 'fatal'] as const;

describe('LineClient against the fake LINE platform', () => {
  let fake: FakeLine;
  /** Defaults: 2 s timeout, 4 retries. */
  let t: TestApp;
  let line: LineClient;
  /** 300 ms timeout, 2 retries: for timeouts and exhausted retries. */
  let fastApp: TestApp;
  let fast: LineClient;
  const logged: string[] = [];

  beforeAll(async () => {
    for (const method of LOG_METHODS) {
      jest.spyOn(Logger.prototype, method).mockImplementation((...args: unknown[]) => {
        logged.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
      });
    }
    // The fake answers 401 to any other token: every test also proves the token is sent.
    fake = await FakeLine.start({ accessToken: TEST_ACCESS_TOKEN });
    t = await createTestApp({ lineBaseUrl: fake.url });
    line = t.app.get(LineClient);
    fastApp = await createTestApp({
      lineBaseUrl: fake.url,
      env: { LINE_TIMEOUT_MS: '300', LINE_MAX_RETRIES: '2' },
    });
    fast = fastApp.app.get(LineClient);
  });

  afterEach(() => fake.reset());

  afterAll(async () => {
    await t?.close();
    await fastApp?.close();
    await fake?.stop();
    jest.restoreAllMocks();
  });

  describe('push', () => {
    it('sends a new retry key per push and the same one on each retry of it', async () => {
      const to = randomGroupId();
      fake.failNext('POST', PUSH, { status: 500 }, 2);
      const sent = await line.push(to, [text(), { type: 'sticker', packageId: '1', stickerId: '2' }]);
      await line.push(to, [text('second')]);

      expect(sent).toHaveLength(2);
      expect(sent[0].id).toMatch(/^\d+$/);
      const keys = fake.requestsTo('POST', PUSH).map((r) => r.headers['x-line-retry-key']);
      expect(keys).toHaveLength(4);
      expect(keys[0]).toMatch(UUID);
      expect(keys.slice(0, 3)).toEqual([keys[0], keys[0], keys[0]]);
      expect(keys[3]).toMatch(UUID);
      expect(keys[3]).not.toBe(keys[0]);
      expect(fake.pushes().map((p) => p.retryKey)).toEqual([keys[0], keys[3]]);
    });

    it("uses the caller's retry key and counts LINE's 409 for it as delivered", async () => {
      const retryKey = '6f1c2f0e-3d1b-4c1e-9a4b-2b7d8f0e1a22';
      const first = await line.push(randomUserId(), [text()], { retryKey, notificationDisabled: true });
      const again = await line.push(randomUserId(), [text()], { retryKey });

      expect(again).toEqual(first);
      expect(fake.requestsTo('POST', PUSH).map((r) => r.status)).toEqual([200, 409]);
      expect(fake.pushes()).toHaveLength(1);
      expect(fake.pushes()[0]).toMatchObject({ retryKey, notificationDisabled: true });
    });

    it('counts a 409 on a retry after a lost answer as delivered, once', async () => {
      fake.failNext('POST', PUSH, 'timeout-after-accept');
      const sent = await fast.push(randomGroupId(), [text(), text('b')]);

      expect(sent).toHaveLength(2);
      const attempts = fake.requestsTo('POST', PUSH);
      expect(attempts.map((r) => r.status)).toEqual([undefined, 409]);
      expect(attempts[1].headers['x-line-retry-key']).toBe(attempts[0].headers['x-line-retry-key']);
      expect(fake.pushes()).toHaveLength(1);
    });

    it('honours Retry-After on 429', async () => {
      fake.failNext('POST', PUSH, { status: 429, retryAfterSeconds: 1 });
      await line.push(randomGroupId(), [text()]);

      const [first, second] = fake.requestsTo('POST', PUSH);
      expect(first.status).toBe(429);
      expect(second.status).toBe(200);
      expect(second.at - first.at).toBeGreaterThanOrEqual(990);
    });

    it('gives up with a LineApiError once retries are used up', async () => {
      fake.failNext('POST', PUSH, { status: 500 }, 3);
      const err = await fast.push(randomGroupId(), [text()]).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(LineApiError);
      const attempts = fake.requestsTo('POST', PUSH);
      expect(attempts).toHaveLength(3);
      expect(err).toMatchObject({ status: 500, lineMessage: 'Internal server error' });
      expect((err as LineApiError).requestId).toBe(attempts[2].requestId);
      expect(new Set(attempts.map((r) => r.headers['x-line-retry-key'])).size).toBe(1);
    });

    it('does not retry the monthly quota', async () => {
      fake.failNext('POST', PUSH, { status: 429, message: 'You have reached your monthly limit.' });
      await expect(line.push(randomGroupId(), [text()])).rejects.toMatchObject({ status: 429 });
      expect(fake.requestsTo('POST', PUSH)).toHaveLength(1);
    });
  });

  describe('reply', () => {
    it('replies without a retry key and retries a 5xx', async () => {
      const replyToken = randomReplyToken();
      fake.failNext('POST', REPLY, { status: 503 });
      const sent = await line.reply(replyToken, [text()], { notificationDisabled: true });

      expect(sent).toHaveLength(1);
      const attempts = fake.requestsTo('POST', REPLY);
      expect(attempts).toHaveLength(2);
      expect(attempts.every((r) => r.headers['x-line-retry-key'] === undefined)).toBe(true);
      expect(fake.replies()).toEqual([{ replyToken, messages: [text()], notificationDisabled: true }]);
    });

    it('does not retry an invalid reply token', async () => {
      const replyToken = randomReplyToken();
      fake.expireReplyToken(replyToken);
      const err = await line.reply(replyToken, [text()]).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(LineApiError);
      expect((err as LineApiError).isInvalidReplyToken).toBe(true);
      expect(err).toMatchObject({ status: 400, lineMessage: 'Invalid reply token' });
      expect(fake.requestsTo('POST', REPLY)).toHaveLength(1);
    });
  });

  describe('refuses before sending', () => {
    it.each<[string, LineMessage[], RegExp]>([
      ['no message', [], /At least one message/],
      ['6 messages', Array.from({ length: 6 }, () => text('x')), /At most 5 messages/],
      ['a text of 5,001 characters', [text('x'.repeat(5_001))], /longer than 5000/],
      ['a textV2 of 5,001 characters', [{ type: 'textV2', text: 'y'.repeat(5_001) }], /longer than 5000/],
    ])('%s', async (_what, messages, message) => {
      const push = line.push(randomGroupId(), messages);
      await expect(push).rejects.toThrow(LineMessageLimitError);
      await expect(push).rejects.toThrow(message);
      await expect(line.reply(randomReplyToken(), messages)).rejects.toThrow(BadRequestError);
      expect(fake.requests).toHaveLength(0);
    });

    it('a retry key that is not a UUID', async () => {
      await expect(line.push(randomGroupId(), [text()], { retryKey: 'event-1' })).rejects.toThrow(
        BadRequestError,
      );
      expect(fake.requests).toHaveLength(0);
    });

    it('5 messages of 5,000 characters go out', async () => {
      await line.push(
        randomGroupId(),
        Array.from({ length: 5 }, () => text('z'.repeat(5_000))),
      );
      expect(fake.pushes()[0].messages).toHaveLength(5);
    });
  });

  describe('timeouts', () => {
    it('says when a reply refused as invalid followed a try that LINE may have carried out', async () => {
      const replyToken = randomReplyToken();
      fake.failNext('POST', REPLY, 'timeout-after-accept');
      const err = await fast.reply(replyToken, [text()]).catch((e: unknown) => e);

      expect(err).toMatchObject({ isInvalidReplyToken: true, earlierTryUncertain: true });
      expect(fake.replies()).toHaveLength(1);
      const other = randomReplyToken();
      fake.expireReplyToken(other);
      await expect(fast.reply(other, [text()])).rejects.toMatchObject({ earlierTryUncertain: false });
    });

    it('retries a call that timed out', async () => {
      const groupId = randomGroupId();
      fake.addGroup({ groupId, groupName: 'Picnic' });
      fake.failNext('GET', `/v2/bot/group/${groupId}/summary`, 'timeout');
      const started = Date.now();

      await expect(fast.getGroupSummary(groupId)).resolves.toEqual({ groupId, groupName: 'Picnic' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(fake.requestsTo('GET', `/v2/bot/group/${groupId}/summary`).map((r) => r.status)).toEqual([
        undefined,
        200,
      ]);
    });

    it('fails with status 0 when every attempt times out', async () => {
      const groupId = randomGroupId();
      fake.addGroup({ groupId });
      fake.failNext('GET', `/v2/bot/group/${groupId}/members/count`, 'timeout', 3);

      const err = await fast.getMemberCount({ type: 'group', id: groupId }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LineApiError);
      expect(err).toMatchObject({ status: 0, message: expect.stringMatching(/timed out after 300 ms/) });
      expect(fake.requestsTo('GET', `/v2/bot/group/${groupId}/members/count`)).toHaveLength(3);
    });
  });

  describe('reads', () => {
    const users = Array.from({ length: 250 }, (_, i) => ({
      userId: randomUserId(),
      displayName: `User ${i}`,
    }));

    it('follows `next` through every page of member ids', async () => {
      const groupId = randomGroupId();
      fake.addGroup({ groupId, members: users });
      fake.failNext('GET', /\/members\/ids$/, { status: 500 });

      await expect(line.getMemberIds({ type: 'group', id: groupId })).resolves.toEqual(
        users.map((u) => u.userId),
      );
      const pages = fake
        .requestsTo('GET', `/v2/bot/group/${groupId}/members/ids`)
        .filter((r) => r.status === 200);
      expect(pages.map((r) => r.query.start === undefined)).toEqual([true, false, false]);
    });

    it('reads rooms, counts, profiles and leaves', async () => {
      const roomId = randomRoomId();
      const [alice, bob] = users;
      fake.addRoom({ roomId, members: [alice, bob] });
      fake.addUser({
        ...alice,
        pictureUrl: 'https://example.com/a.png',
        language: 'ja',
        statusMessage: 'hi',
      });
      const room = { type: 'room', id: roomId } as const;

      await expect(line.getMemberIds(room)).resolves.toEqual([alice.userId, bob.userId]);
      await expect(line.getMemberCount(room)).resolves.toBe(2);
      await expect(line.getMemberProfile(room, bob.userId)).resolves.toEqual(bob);
      await expect(line.getProfile(alice.userId)).resolves.toEqual({
        ...alice,
        pictureUrl: 'https://example.com/a.png',
        language: 'ja',
        statusMessage: 'hi',
      });
      await line.leave(room);
      expect(fake.hasLeft(roomId)).toBe(true);
    });

    it('surfaces 403 and 404 at once', async () => {
      const groupId = randomGroupId();
      fake.addGroup({ groupId, members: users.slice(0, 3), memberIdsForbidden: true });

      await expect(line.getMemberIds({ type: 'group', id: groupId })).rejects.toMatchObject({ status: 403 });
      await expect(
        line.getMemberProfile({ type: 'group', id: groupId }, randomUserId()),
      ).rejects.toMatchObject({
        status: 404,
        lineMessage: 'Not found',
      });
      expect(fake.requests).toHaveLength(2);
    });
  });

  describe('message content', () => {
    it('hands out a stream before the body has arrived (never buffered)', async () => {
      const messageId = randomMessageId();
      const source = new PassThrough();
      fake.setContent(messageId, { body: () => source, contentType: 'video/mp4' });
      const chunk = Buffer.alloc(1024 * 1024, 7);
      const expected = createHash('sha256');
      const write = () => {
        source.write(chunk);
        expected.update(chunk);
      };
      write();

      const content = await line.getMessageContent(messageId);
      if (content.status !== 'ready') throw new Error('expected the content to be ready');
      expect(content.contentType).toBe('video/mp4');
      // Only 1 of 6 MB has been produced: a buffering client could not have answered yet.
      for (let i = 0; i < 5; i++) write();
      source.end();

      const got = await drain(content.stream);
      expect(got.bytes).toBe(6 * 1024 * 1024);
      expect(got.sha256).toBe(expected.digest('hex'));
    });

    it('gives the content length when LINE sends one', async () => {
      const messageId = randomMessageId();
      const body = Buffer.from('\x89PNG fake image bytes');
      fake.setContent(messageId, { body, contentType: 'image/png' });

      const content = await line.getMessageContent(messageId);
      expect(content).toMatchObject({
        status: 'ready',
        contentType: 'image/png',
        contentLength: body.length,
      });
      if (content.status === 'ready') expect((await drain(content.stream)).bytes).toBe(body.length);
    });

    it('answers not-ready on 202, then the bytes', async () => {
      const messageId = randomMessageId();
      fake.setContent(messageId, {
        body: Buffer.from('audio'),
        contentType: 'audio/x-m4a',
        notReadyTimes: 1,
      });

      await expect(line.getMessageContent(messageId)).resolves.toEqual({ status: 'not-ready' });
      const content = await line.getMessageContent(messageId);
      if (content.status !== 'ready') throw new Error('expected the content to be ready');
      expect((await drain(content.stream)).bytes).toBe(5);
    });

    it('fails with 404 for content LINE no longer has', async () => {
      await expect(line.getMessageContent(randomMessageId())).rejects.toMatchObject({ status: 404 });
    });
  });

  describe('without an access token', () => {
    it('refuses every call before anything leaves', async () => {
      const bare = await createTestApp({ lineBaseUrl: fake.url, env: { LINE_CHANNEL_ACCESS_TOKEN: '' } });
      try {
        const client = bare.app.get(LineClient);
        const chat = { type: 'group', id: randomGroupId() } as const;
        const calls = [
          client.reply(randomReplyToken(), [text()]),
          client.push(chat.id, [text()]),
          client.getGroupSummary(chat.id),
          client.getMemberCount(chat),
          client.getMemberIds(chat),
          client.getMemberProfile(chat, randomUserId()),
          client.getProfile(randomUserId()),
          client.leave(chat),
          client.getMessageContent(randomMessageId()),
        ];
        for (const call of calls) {
          await expect(call).rejects.toThrow(LineNotConfiguredError);
          await expect(call).rejects.toThrow(/LINE_CHANNEL_ACCESS_TOKEN/);
        }
        expect(fake.requests).toHaveLength(0);
      } finally {
        await bare.close();
      }
    });
  });

  describe('shutdown', () => {
    it('stops waiting to retry when the app closes', async () => {
      const app = await createTestApp({ lineBaseUrl: fake.url });
      const loggedBefore = logged.length;
      fake.failNext('POST', PUSH, { status: 429, retryAfterSeconds: 20 });
      const push = app.app.get(LineClient).push(randomGroupId(), [text()]);
      const outcome = push.catch((e: unknown) => e);
      // The client is waiting to retry once it has logged so (the fake seeing the request is too
      // early: closing then aborts the request itself).
      await waitFor(() => logged.slice(loggedBefore).some((l) => /push: .*429.*retry 1\//.test(l)), {
        what: 'the retry wait',
      });
      const closing = Date.now();
      await app.close();

      const err = await outcome;
      expect(err).toBeInstanceOf(LineApiError);
      expect(err).toMatchObject({ status: 429 });
      expect(Date.now() - closing).toBeLessThan(5_000);
      expect(fake.requestsTo('POST', PUSH)).toHaveLength(1);
    });
  });

  describe('logging', () => {
    it('logs statuses, request ids and retries, never the token or the text', async () => {
      logged.length = 0;
      fake.failNext('POST', PUSH, { status: 500 });
      await line.push(randomGroupId(), [text()]);
      const replyToken = randomReplyToken();
      fake.expireReplyToken(replyToken);
      await expect(line.reply(replyToken, [text()])).rejects.toThrow(LineApiError);
      fake.failNext('GET', /\/summary$/, { status: 401 });
      await expect(line.getGroupSummary(randomGroupId())).rejects.toMatchObject({ status: 401 });

      const [failed] = fake.requestsTo('POST', PUSH);
      const all = logged.join('\n');
      expect(all).toContain(`push: 500 "Internal server error" (request ${failed.requestId}); retry 1/4`);
      expect(all).toMatch(/push: 200 \(request [\w-]+\) after 1 retry/);
      expect(all).toMatch(/reply: 400 "Invalid reply token"/);
      expect(all).toMatch(/getGroupSummary: 401 .*check LINE_CHANNEL_ACCESS_TOKEN/);
      expect(all).not.toContain(TEST_ACCESS_TOKEN);
      expect(all).not.toContain(SECRET_TEXT);
      expect(all).not.toContain(replyToken);
    });
  });
});

async function drain(stream: Readable): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    bytes += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  return { bytes, sha256: hash.digest('hex') };
}
