import { Readable } from 'node:stream';
import { FakeLine } from './fake-line';
import { makeUsers, randomGroupId, randomRoomId, randomUserId } from './events';

const AUTH = { authorization: 'Bearer token-1' };
const JSON_AUTH = { ...AUTH, 'content-type': 'application/json' };
const text = (t: string) => ({ type: 'text', text: t });
type ErrorBody = { message: string };
const json = async <T>(res: Response): Promise<T> => (await res.json()) as T;

describe('FakeLine', () => {
  let fake: FakeLine;
  beforeAll(async () => {
    fake = await FakeLine.start();
  });
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  const get = (path: string, headers: Record<string, string> = AUTH) => fetch(fake.url + path, { headers });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(fake.url + path, {
      method: 'POST',
      headers: { ...JSON_AUTH, ...headers },
      body: JSON.stringify(body),
    });
  const push = (body: unknown, retryKey?: string) =>
    post('/v2/bot/message/push', body, retryKey ? { 'x-line-retry-key': retryKey } : {});

  it('answers 401 without a bearer token, with a request id on every answer', async () => {
    const res = await get('/v2/bot/message/quota', {});
    expect(res.status).toBe(401);
    expect(res.headers.get('x-line-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect((await json<ErrorBody>(res)).message).toMatch(/Authentication failed/);
  });

  it('answers 404 "Not found" for unknown endpoints, groups and users', async () => {
    for (const path of [
      '/v2/bot/nothing',
      `/v2/bot/group/${randomGroupId()}/summary`,
      `/v2/bot/profile/${randomUserId()}`,
    ]) {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ message: 'Not found' });
    }
  });

  it('records every request with lower-case headers, query and parsed body', async () => {
    await push({ to: randomUserId(), messages: [text('hi')] }, '4d3b0e4c-1a2b-4c5d-8e9f-0a1b2c3d4e5f');
    await get('/v2/bot/group/C1/members/ids?start=abc');
    const [p, ids] = fake.requests;
    expect(p).toMatchObject({ method: 'POST', path: '/v2/bot/message/push', status: 200 });
    expect(p.headers['x-line-retry-key']).toBe('4d3b0e4c-1a2b-4c5d-8e9f-0a1b2c3d4e5f');
    expect(p.body).toEqual({ to: expect.any(String), messages: [text('hi')] });
    expect(ids.query).toEqual({ start: 'abc' });
    expect(fake.requestsTo('GET', /members\/ids$/)).toHaveLength(1);
  });

  describe('reply', () => {
    it('answers sentMessages and records the reply; a token works once', async () => {
      const res = await post('/v2/bot/message/reply', {
        replyToken: 'tok1',
        messages: [text('a'), text('b')],
      });
      expect(res.status).toBe(200);
      const { sentMessages } = await json<{ sentMessages: unknown[] }>(res);
      expect(sentMessages).toEqual([
        { id: expect.stringMatching(/^\d+$/), quoteToken: expect.any(String) },
        { id: expect.stringMatching(/^\d+$/), quoteToken: expect.any(String) },
      ]);
      expect(fake.replies()).toEqual([{ replyToken: 'tok1', messages: [text('a'), text('b')] }]);
      expect(fake.sentTexts()).toEqual(['a', 'b']);

      const again = await post('/v2/bot/message/reply', { replyToken: 'tok1', messages: [text('c')] });
      expect(again.status).toBe(400);
      expect(await again.json()).toEqual({ message: 'Invalid reply token' });
      expect(fake.replies()).toHaveLength(1);
    });

    it('refuses a retry key, a missing token, 0 or 6 messages and texts over 5000 characters', async () => {
      const cases: Array<[unknown, Record<string, string>?]> = [
        [
          { replyToken: 't', messages: [text('x')] },
          { 'x-line-retry-key': '4d3b0e4c-1a2b-4c5d-8e9f-0a1b2c3d4e5f' },
        ],
        [{ messages: [text('x')] }],
        [{ replyToken: 't', messages: [] }],
        [{ replyToken: 't', messages: Array.from({ length: 6 }, () => text('x')) }],
        [{ replyToken: 't', messages: [text('x'.repeat(5001))] }],
        [{ replyToken: 't', messages: [{ type: 'textV2', text: 'hi {user}', substitution: {} }] }],
      ];
      for (const [body, headers] of cases) {
        const res = await post('/v2/bot/message/reply', body, headers);
        expect(res.status).toBe(400);
      }
      const res = await post('/v2/bot/message/reply', { replyToken: 't', messages: [] });
      expect(await res.json()).toEqual({
        message: 'The request body has 1 error(s)',
        details: [{ message: 'Size must be between 1 and 5', property: 'messages' }],
      });
      expect(fake.replies()).toEqual([]);
    });

    it('answers 400 after expireReplyToken', async () => {
      fake.expireReplyToken('old');
      const res = await post('/v2/bot/message/reply', { replyToken: 'old', messages: [text('x')] });
      expect(res.status).toBe(400);
    });
  });

  describe('push', () => {
    it('deduplicates a repeated retry key with 409, the accepted request id and the original sentMessages', async () => {
      const key = 'a3c2b1d0-1111-4222-8333-944455556666';
      const to = randomGroupId();
      const first = await push({ to, messages: [text('hello')] }, key);
      expect(first.status).toBe(200);
      const firstBody = await json<{ sentMessages: unknown[] }>(first);

      const second = await push({ to, messages: [text('hello')] }, key);
      expect(second.status).toBe(409);
      expect(second.headers.get('x-line-accepted-request-id')).toBe(first.headers.get('x-line-request-id'));
      expect(await second.json()).toEqual({
        message: 'The retry key is already accepted',
        sentMessages: firstBody.sentMessages,
      });
      expect(fake.pushes()).toEqual([{ to, messages: [text('hello')], retryKey: key }]);
      expect(fake.requestsTo('POST', '/v2/bot/message/push').map((r) => r.status)).toEqual([200, 409]);
    });

    it('refuses a retry key that is not a UUID and a malformed `to`', async () => {
      expect((await push({ to: randomUserId(), messages: [text('x')] }, 'not-a-uuid')).status).toBe(400);
      expect((await push({ to: 'nobody', messages: [text('x')] })).status).toBe(400);
      expect(fake.pushes()).toEqual([]);
    });

    it('counts pushed messages against the quota', async () => {
      await push({ to: randomUserId(), messages: [text('a'), text('b')] });
      expect(await (await get('/v2/bot/message/quota')).json()).toEqual({ type: 'limited', value: 200 });
      expect(await (await get('/v2/bot/message/quota/consumption')).json()).toEqual({ totalUsage: 2 });
    });
  });

  describe('groups, rooms and users', () => {
    const members = Array.from({ length: 250 }, (_, i) => ({
      userId: randomUserId(),
      displayName: `User ${i}`,
    }));

    it('answers summary, count and member profiles', async () => {
      const groupId = randomGroupId();
      fake.addGroup({ groupId, groupName: 'Picnic', members: members.slice(0, 3) });
      expect(await (await get(`/v2/bot/group/${groupId}/summary`)).json()).toEqual({
        groupId,
        groupName: 'Picnic',
      });
      expect(await (await get(`/v2/bot/group/${groupId}/members/count`)).json()).toEqual({ count: 3 });
      const m = members[1];
      expect(await (await get(`/v2/bot/group/${groupId}/member/${m.userId}`)).json()).toEqual(m);
      expect((await get(`/v2/bot/group/${groupId}/member/${randomUserId()}`)).status).toBe(404);
    });

    it('makes up ids and names when not given', async () => {
      const group = fake.addGroup({ members: makeUsers(['Alice', 'Bob']) });
      const room = fake.addRoom({ members: makeUsers(3) });
      expect(group.id).toMatch(/^C[0-9a-f]{32}$/);
      expect(room.id).toMatch(/^R[0-9a-f]{32}$/);
      expect(room.members.map((m) => m.displayName)).toEqual(['User 1', 'User 2', 'User 3']);
      expect(await json(await get(`/v2/bot/group/${group.id}/summary`))).toEqual({
        groupId: group.id,
        groupName: 'Test group',
      });
      fake.removeMember(group.id, group.members[0].userId);
      fake.addMember(group.id, { userId: randomUserId(), displayName: 'Carol' });
      expect(fake.chat(group.id).members.map((m) => m.displayName)).toEqual(['Bob', 'Carol']);
      expect(await json(await get(`/v2/bot/group/${group.id}/members/count`))).toEqual({ count: 2 });
    });

    it('pages member ids by 100 with `next`', async () => {
      const groupId = randomGroupId();
      fake.addGroup({ groupId, members });
      const ids: string[] = [];
      const pages: number[] = [];
      let next: string | undefined;
      do {
        const res = await get(`/v2/bot/group/${groupId}/members/ids${next ? `?start=${next}` : ''}`);
        const body = await json<{ memberIds: string[]; next?: string }>(res);
        ids.push(...body.memberIds);
        pages.push(body.memberIds.length);
        next = body.next;
      } while (next);
      expect(pages).toEqual([100, 100, 50]);
      expect(ids).toEqual(members.map((m) => m.userId));
    });

    it('answers 403 for member ids of an unverified account', async () => {
      const roomId = randomRoomId();
      fake.addRoom({ roomId, members: members.slice(0, 2), memberIdsForbidden: true });
      const res = await get(`/v2/bot/room/${roomId}/members/ids`);
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ message: 'Access to this API is not available for your account' });
      expect(await (await get(`/v2/bot/room/${roomId}/members/count`)).json()).toEqual({ count: 2 });
    });

    it('answers profiles of friends only', async () => {
      const user = { userId: randomUserId(), displayName: 'Aki', language: 'ja' };
      fake.addUser(user);
      expect(await (await get(`/v2/bot/profile/${user.userId}`)).json()).toEqual(user);
    });

    it('leaves a group; the group then answers 404', async () => {
      const groupId = randomGroupId();
      fake.addGroup({ groupId });
      const res = await post(`/v2/bot/group/${groupId}/leave`, undefined);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({});
      expect(fake.hasLeft(groupId)).toBe(true);
      expect((await get(`/v2/bot/group/${groupId}/summary`)).status).toBe(404);
      expect((await push({ to: groupId, messages: [text('x')] })).status).toBe(400);
    });
  });

  describe('message content', () => {
    it('answers 202 while not ready, then the bytes with their content type', async () => {
      fake.setContent('1001', {
        body: Buffer.from('video-bytes'),
        contentType: 'video/mp4',
        notReadyTimes: 2,
      });
      expect((await get('/v2/bot/message/1001/content')).status).toBe(202);
      expect(await (await get('/v2/bot/message/1001/content/transcoding')).json()).toEqual({
        status: 'processing',
      });
      expect((await get('/v2/bot/message/1001/content')).status).toBe(202);
      const res = await get('/v2/bot/message/1001/content');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('video/mp4');
      expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('video-bytes');
    });

    it('streams from a factory, and answers 404 for unknown messages', async () => {
      fake.setContent('1002', {
        body: () => Readable.from([Buffer.from('a'), Buffer.from('b')]),
        contentType: 'image/jpeg',
      });
      expect(await (await get('/v2/bot/message/1002/content')).text()).toBe('ab');
      expect(await (await get('/v2/bot/message/1002/content')).text()).toBe('ab');
      expect((await get('/v2/bot/message/999/content')).status).toBe(404);
    });
  });

  describe('failNext', () => {
    it('fails the given number of matching requests, then answers normally', async () => {
      fake.failNext('GET', '/v2/bot/message/quota', { status: 500 }, 2);
      fake.failNext('POST', /\/push$/, { status: 429, retryAfterSeconds: 3 });
      expect(fake.pendingFailures()).toBe(3);
      expect((await get('/v2/bot/message/quota/consumption')).status).toBe(200);
      expect((await get('/v2/bot/message/quota')).status).toBe(500);
      expect((await get('/v2/bot/message/quota')).status).toBe(500);
      expect((await get('/v2/bot/message/quota')).status).toBe(200);

      const limited = await push({ to: randomUserId(), messages: [text('x')] });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('3');
      expect((await json<ErrorBody>(limited)).message).toMatch(/rate limit/);
      expect(limited.headers.get('x-line-request-id')).toBeTruthy();
      expect(fake.pushes()).toEqual([]);
      expect(fake.pendingFailures()).toBe(0);
    });

    it('answers the given 400 message', async () => {
      fake.failNext('POST', '/v2/bot/message/reply', { status: 400, message: 'Invalid reply token' });
      const res = await post('/v2/bot/message/reply', { replyToken: 't', messages: [text('x')] });
      expect(await res.json()).toEqual({ message: 'Invalid reply token' });
      expect(fake.requests[0].failure).toEqual({ status: 400, message: 'Invalid reply token' });
    });

    it('holds a request on timeout until the client gives up, and still stops promptly', async () => {
      const own = await FakeLine.start();
      try {
        own.failNext('GET', '/v2/bot/message/quota', 'timeout');
        const client = new AbortController();
        const pending = fetch(`${own.url}/v2/bot/message/quota`, { headers: AUTH, signal: client.signal });
        let settled = false;
        pending.then(
          () => (settled = true),
          () => (settled = true),
        );
        await waitUntil(() => own.requests.length === 1);
        // A window in which an answer would have arrived: proving an absence needs one.
        await new Promise((r) => setTimeout(r, 100));
        expect(settled).toBe(false);
        client.abort();
        await expect(pending).rejects.toThrow();
        expect(own.requests[0].failure).toBe('timeout');
        expect(own.requests[0].status).toBeUndefined();

        own.failNext('GET', '/v2/bot/message/quota', 'timeout');
        const held = fetch(`${own.url}/v2/bot/message/quota`, { headers: AUTH });
        held.catch(() => undefined);
        await waitUntil(() => own.requests.length === 2);
        const stopping = Date.now();
        await own.stop();
        expect(Date.now() - stopping).toBeLessThan(1000);
        await expect(held).rejects.toThrow();
      } finally {
        await own.stop();
      }
    });

    it('timeout-after-accept: the push is delivered, its retry answers 409', async () => {
      const key = '0b9c8d7e-2222-4333-8444-a55566667777';
      fake.failNext('POST', '/v2/bot/message/push', 'timeout-after-accept');
      const body = { to: randomUserId(), messages: [text('once')] };
      const client = new AbortController();
      const pending = fetch(`${fake.url}/v2/bot/message/push`, {
        method: 'POST',
        headers: { ...JSON_AUTH, 'x-line-retry-key': key },
        body: JSON.stringify(body),
        signal: client.signal,
      });
      pending.catch(() => undefined);
      await waitUntil(() => fake.pushes().length === 1);
      client.abort();
      await expect(pending).rejects.toThrow();
      expect((await push(body, key)).status).toBe(409);
      expect(fake.pushes()).toHaveLength(1);
    });
  });
});

async function waitUntil(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}
