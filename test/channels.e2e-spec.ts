import { DataSource } from 'typeorm';
import { Channel } from '../src/channels/channel.entity';
import { makeTextEvent, makeUsers, randomGroupId, randomUserId } from './fake-line/events';
import { FakeLine, FakeUser } from './fake-line/fake-line';
import { postWebhook } from './fake-line/webhook';
import { waitForInboxDrained } from './support/inbox';
import { addBotToGroup, bearer, makeMember, signIn } from './support/sign-in';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const DEFAULT_CONFIG = {
  assistant: {
    enabled: true,
    qa: { enabled: true, mode: 'keyword' },
    welcome: { enabled: true },
    rules: { enabled: true },
    pushFallback: false,
  },
  backup: { enabled: true, keepUnsent: true, retentionDays: null, visibleTo: 'admin' },
  language: 'zh-TW',
  timezone: 'Asia/Taipei',
};

describe('channels REST API', () => {
  let fake: FakeLine;
  let t: TestApp;
  const operatorId = randomUserId();
  const [owner, admin, member, outsider] = makeUsers(['Owner', 'Admin', 'Member', 'Outsider']).map(
    (u): FakeUser => ({ ...u, pictureUrl: `https://profile.line-scdn.net/${u.displayName.toLowerCase()}` }),
  );
  let groupId: string;
  const tokens: Record<string, string> = {};

  const api = (method: 'get' | 'patch' | 'post' | 'put', path: string, token?: string) => {
    const req = t.http()[method](path);
    return token ? req.set(bearer(token)) : req;
  };

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({
      lineBaseUrl: fake.url,
      env: { WEBHOOK_REORDER_WINDOW_MS: '0', LOGIN_RATE_LIMIT: '1000', OPERATOR_USER_IDS: operatorId },
    });
    groupId = await addBotToGroup(t, fake, [owner, admin, member], '購物討論群');
    for (const u of [owner, admin, member, outsider])
      tokens[u.displayName] = await signIn(t, fake, u.userId, u.displayName);
    tokens.operator = await signIn(t, fake, operatorId);
    await makeMember(t, fake, { groupId, user: owner, role: 'owner' });
    await makeMember(t, fake, { groupId, user: admin, role: 'admin', actorToken: tokens.Owner });
    await makeMember(t, fake, { groupId, user: member, role: 'member' });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  describe('GET /api/channels', () => {
    it("lists the caller's channels as the contract shows them", async () => {
      const res = await api('get', '/api/channels', tokens.Member).expect(200);
      expect(Object.keys(res.body)).toEqual(['channels']);
      const group = res.body.channels.find((c: { channelId: string }) => c.channelId === groupId);
      expect(group).toEqual({
        channelId: groupId,
        name: '購物討論群',
        type: 'group',
        enabledAt: expect.stringMatching(ISO),
        status: 'active',
      });
      // Their own 1:1 chat with the bot is a channel too; nobody else's is.
      expect(res.body.channels.map((c: { channelId: string }) => c.channelId).sort()).toEqual(
        [groupId, member.userId].sort(),
      );
      for (const c of res.body.channels)
        expect(Object.keys(c).sort()).toEqual(['channelId', 'enabledAt', 'name', 'status', 'type']);
    });

    it('does not list channels the caller is not an active member of; an operator sees all', async () => {
      const outsiderIds = (await api('get', '/api/channels', tokens.Outsider).expect(200)).body.channels.map(
        (c: { channelId: string }) => c.channelId,
      );
      expect(outsiderIds).toEqual([outsider.userId]);
      const all = (await api('get', '/api/channels', tokens.operator).expect(200)).body.channels.map(
        (c: { channelId: string }) => c.channelId,
      );
      expect(all).toEqual(
        expect.arrayContaining([groupId, owner.userId, admin.userId, member.userId, outsider.userId]),
      );
    });
  });

  describe('GET /api/channels/:channelId', () => {
    it("answers meta, config and the caller's role as the contract shows them", async () => {
      const res = await api('get', `/api/channels/${groupId}`, tokens.Owner).expect(200);
      expect(res.body).toEqual({
        meta: {
          channelId: groupId,
          type: 'group',
          name: '購物討論群',
          picture: null,
          createdAt: expect.stringMatching(ISO),
          createdBy: 'system',
          memberCount: 3,
        },
        config: DEFAULT_CONFIG,
        role: 'owner',
      });
      expect((await api('get', `/api/channels/${groupId}`, tokens.Admin).expect(200)).body.role).toBe(
        'admin',
      );
      expect((await api('get', `/api/channels/${groupId}`, tokens.Member).expect(200)).body.role).toBe(
        'member',
      );
      expect(
        (await api('get', `/api/channels/${groupId}`, tokens.operator).expect(200)).body.role,
      ).toBeNull();
    });

    it('answers 404 Channel not found for an unknown channel and 403 for a non-member', async () => {
      for (const path of [
        `/api/channels/${randomGroupId()}`,
        '/api/channels/nope',
        `/api/channels/${'C'.repeat(300)}`,
      ]) {
        expect((await api('get', path, tokens.Owner).expect(404)).body).toEqual({
          error: 'Channel not found',
        });
      }
      expect((await api('get', `/api/channels/${groupId}`, tokens.Outsider).expect(403)).body).toEqual({
        error: 'Permission denied',
      });
    });

    it('lets the user of a 1:1 chat own it', async () => {
      const res = await api('get', `/api/channels/${member.userId}`, tokens.Member).expect(200);
      expect(res.body.meta).toMatchObject({ channelId: member.userId, type: 'user' });
      expect(res.body.role).toBe('owner');
      await api('get', `/api/channels/${member.userId}`, tokens.Owner).expect(403);
    });
  });

  describe('PATCH /api/channels/:channelId/config', () => {
    it('merges a partial and answers the whole config; the audit log keeps before and after', async () => {
      const res = await api('patch', `/api/channels/${groupId}/config`, tokens.Admin)
        .send({
          assistant: { qa: { mode: 'exact' }, welcome: { enabled: false } },
          backup: { retentionDays: 30 },
        })
        .expect(200);
      const expected = {
        ...DEFAULT_CONFIG,
        assistant: {
          ...DEFAULT_CONFIG.assistant,
          qa: { enabled: true, mode: 'exact' },
          welcome: { enabled: false },
        },
        backup: { ...DEFAULT_CONFIG.backup, retentionDays: 30 },
      };
      expect(res.body).toEqual(expected);
      expect((await api('get', `/api/channels/${groupId}`, tokens.Member).expect(200)).body.config).toEqual(
        expected,
      );

      const back = await api('patch', `/api/channels/${groupId}/config`, tokens.Owner)
        .send({ backup: { retentionDays: null }, timezone: 'Asia/Tokyo' })
        .expect(200);
      expect(back.body.backup.retentionDays).toBeNull();
      expect(back.body.timezone).toBe('Asia/Tokyo');

      const audit = await api('get', `/api/channels/${groupId}/audit`, tokens.Admin).expect(200);
      const [latest, previous] = audit.body.entries;
      expect(latest).toEqual({
        id: expect.any(Number),
        actor: owner.userId,
        action: 'channel.config',
        before: expected,
        after: { ...expected, backup: { ...expected.backup, retentionDays: null }, timezone: 'Asia/Tokyo' },
        createdAt: expect.stringMatching(ISO),
      });
      expect(previous).toMatchObject({
        actor: admin.userId,
        action: 'channel.config',
        before: DEFAULT_CONFIG,
        after: expected,
      });
    });

    it("uses the language setting for the bot's own messages", async () => {
      await api('patch', `/api/channels/${groupId}/config`, tokens.Owner)
        .send({ language: 'ja' })
        .expect(200);
      const event = makeTextEvent({ text: '/login', groupId, userId: member.userId });
      await postWebhook(t, event).expect(200);
      const reply = await waitFor(() => fake.replyFor(event));
      expect(reply.messages[0].text).toBe(
        'ログインコードを他の人に見られないよう、私を友だち追加して、1対1のトークで /login を送ってください。',
      );
      await api('patch', `/api/channels/${groupId}/config`, tokens.Owner)
        .send({ language: 'zh-TW' })
        .expect(200);
    });

    it('refuses wrong types, unknown keys, huge strings and non-JSON with 4xx {"error"}, changing nothing', async () => {
      const before = (await api('get', `/api/channels/${groupId}`, tokens.Owner).expect(200)).body.config;
      const auditBefore = (await api('get', `/api/channels/${groupId}/audit`, tokens.Owner).expect(200)).body
        .entries.length;
      const bad: unknown[] = [
        { foo: 1 },
        { assistant: { foo: true } },
        { assistant: { qa: { enabled: true, extra: 1 } } },
        { assistant: { enabled: 'yes' } },
        { assistant: { enabled: 1 } },
        { assistant: null },
        { assistant: [] },
        { assistant: 'on' },
        { assistant: { qa: { mode: 'fuzzy' } } },
        { assistant: { qa: null } },
        { backup: { visibleTo: 'everyone' } },
        { backup: { retentionDays: 0 } },
        { backup: { retentionDays: 36501 } },
        { backup: { retentionDays: 1.5 } },
        { backup: { retentionDays: '30' } },
        { backup: { enabled: null } },
        { language: 'fr' },
        { language: null },
        { timezone: 'Mars/Olympus_Mons' },
        { timezone: 'x'.repeat(100_000) },
        { timezone: 9 },
        [{ language: 'ja' }],
        'language',
        123,
        null,
      ];
      for (const body of bad) {
        const res = await api('patch', `/api/channels/${groupId}/config`, tokens.Owner)
          .set('content-type', 'application/json')
          .send(JSON.stringify(body));
        expect({ body: JSON.stringify(body).slice(0, 60), status: res.status }).toEqual({
          body: JSON.stringify(body).slice(0, 60),
          status: 400,
        });
        expect(res.body).toEqual({ error: expect.any(String) });
      }
      const unknown = await api('patch', `/api/channels/${groupId}/config`, tokens.Owner).send({
        assistant: { foo: true },
      });
      expect(unknown.body.error).toMatch(/foo/);
      const text = await api('patch', `/api/channels/${groupId}/config`, tokens.Owner)
        .set('content-type', 'text/plain')
        .send('{"language":"ja"}');
      expect([text.status, text.body]).toEqual([415, { error: 'Content-Type must be application/json' }]);
      const malformed = await api('patch', `/api/channels/${groupId}/config`, tokens.Owner)
        .set('content-type', 'application/json')
        .send('{"language":');
      expect([malformed.status, malformed.body]).toEqual([400, { error: 'Malformed JSON body' }]);
      const huge = await api('patch', `/api/channels/${groupId}/config`, tokens.Owner)
        .set('content-type', 'application/json')
        .send(JSON.stringify({ timezone: 'x'.repeat(2 * 1024 * 1024) }));
      expect([huge.status, huge.body]).toEqual([413, { error: 'Request body too large' }]);

      expect((await api('get', `/api/channels/${groupId}`, tokens.Owner).expect(200)).body.config).toEqual(
        before,
      );
      expect(
        (await api('get', `/api/channels/${groupId}/audit`, tokens.Owner).expect(200)).body.entries,
      ).toHaveLength(auditBefore);
    });

    it('accepts an empty partial as no change and writes no audit entry', async () => {
      const auditBefore = (await api('get', `/api/channels/${groupId}/audit`, tokens.Owner).expect(200)).body
        .entries.length;
      const res = await api('patch', `/api/channels/${groupId}/config`, tokens.Owner).send({}).expect(200);
      expect(res.body).toEqual((await api('get', `/api/channels/${groupId}`, tokens.Owner)).body.config);
      expect(
        (await api('get', `/api/channels/${groupId}/audit`, tokens.Owner).expect(200)).body.entries,
      ).toHaveLength(auditBefore);
    });

    it('keeps both of two concurrent changes', async () => {
      const results = await Promise.all([
        api('patch', `/api/channels/${groupId}/config`, tokens.Owner).send({
          assistant: { pushFallback: true },
        }),
        api('patch', `/api/channels/${groupId}/config`, tokens.Admin).send({ backup: { keepUnsent: false } }),
        api('patch', `/api/channels/${groupId}/config`, tokens.Admin).send({
          assistant: { rules: { enabled: false } },
        }),
      ]);
      expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
      const config = (await api('get', `/api/channels/${groupId}`, tokens.Owner).expect(200)).body.config;
      expect(config.assistant.pushFallback).toBe(true);
      expect(config.backup.keepUnsent).toBe(false);
      expect(config.assistant.rules.enabled).toBe(false);
    });

    it('is for admins and the owner only', async () => {
      expect(
        (
          await api('patch', `/api/channels/${groupId}/config`, tokens.Member)
            .send({ language: 'en' })
            .expect(403)
        ).body,
      ).toEqual({
        error: 'Permission denied',
      });
    });
  });

  describe('GET /api/channels/:channelId/audit', () => {
    it('pages newest first and is not for members', async () => {
      const first = await api('get', `/api/channels/${groupId}/audit?limit=2`, tokens.Owner).expect(200);
      expect(first.body.entries).toHaveLength(2);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await api(
        'get',
        `/api/channels/${groupId}/audit?limit=2&cursor=${first.body.nextCursor}`,
        tokens.Owner,
      ).expect(200);
      expect(second.body.entries[0].id).toBeLessThan(first.body.entries[1].id);
      const all = await api('get', `/api/channels/${groupId}/audit?limit=500`, tokens.Owner).expect(200);
      expect(all.body.nextCursor).toBeUndefined();
      expect(all.body.entries.map((e: { action: string }) => e.action)).toEqual(
        expect.arrayContaining(['channel.owner.claim', 'member.role', 'channel.config']),
      );
      await api('get', `/api/channels/${groupId}/audit`, tokens.Member).expect(403);
      await api('get', `/api/channels/${groupId}/audit?limit=0`, tokens.Owner).expect(400);
      await api('get', `/api/channels/${groupId}/audit?cursor=abc`, tokens.Owner).expect(400);
    });
  });

  describe('POST /api/channels/:channelId/sync', () => {
    it('refreshes name, count and members from LINE and answers what changed', async () => {
      const newcomer = { userId: randomUserId(), displayName: 'Newcomer' };
      fake.chat(groupId).groupName = '購物討論群 2';
      fake.chat(groupId).pictureUrl = 'https://profile.line-scdn.net/group2';
      fake.addMember(groupId, newcomer);
      const res = await api('post', `/api/channels/${groupId}/sync`, tokens.Admin).expect(200);
      expect(res.body).toEqual({
        channelId: groupId,
        name: '購物討論群 2',
        picture: 'https://profile.line-scdn.net/group2',
        memberCount: 4,
        changed: expect.arrayContaining(['name', 'picture', 'memberCount']),
        members: expect.objectContaining({ listed: true, added: 1 }),
        unavailable: [],
      });
      const detail = await api('get', `/api/channels/${groupId}`, tokens.Member).expect(200);
      expect(detail.body.meta).toMatchObject({
        name: '購物討論群 2',
        picture: 'https://profile.line-scdn.net/group2',
        memberCount: 4,
      });
      const members = await api('get', `/api/channels/${groupId}/members`, tokens.Member).expect(200);
      expect(members.body.members.map((m: { userId: string }) => m.userId)).toContain(newcomer.userId);
      await api('post', `/api/channels/${groupId}/sync`, tokens.Member).expect(403);
    });
    it('answers the stored count when it was read after LINE answered this sync', async () => {
      const channels = t.app.get(DataSource).getRepository(Channel);
      const { memberCount } = await channels.findOneByOrFail({ channelId: groupId });
      // A memberJoined processed while the sync waited for LINE stored a later read.
      const later = { memberCount: memberCount! + 5, memberCountAt: new Date(Date.now() + 3600_000) };
      await channels.update({ channelId: groupId }, later);
      try {
        const res = await api('post', `/api/channels/${groupId}/sync`, tokens.Admin).expect(200);
        expect(res.body.memberCount).toBe(later.memberCount);
        expect(res.body.changed).not.toContain('memberCount');
        const detail = await api('get', `/api/channels/${groupId}`, tokens.Member).expect(200);
        expect(detail.body.meta.memberCount).toBe(later.memberCount);
      } finally {
        await channels.update({ channelId: groupId }, { memberCount, memberCountAt: new Date() });
      }
    });
  });

  describe('POST /api/channels/:channelId/leave', () => {
    it('refuses a 1:1 chat, and admins', async () => {
      expect(
        (await api('post', `/api/channels/${owner.userId}/leave`, tokens.Owner).expect(400)).body,
      ).toEqual({
        error: 'The bot cannot leave a 1:1 chat; the user can block it instead',
      });
      await api('post', `/api/channels/${groupId}/leave`, tokens.Admin).expect(403);
      expect(fake.hasLeft(groupId)).toBe(false);
    });

    it('answers 502 and keeps the channel when LINE fails', async () => {
      fake.failNext('POST', /\/leave$/, { status: 500 }, 10);
      expect((await api('post', `/api/channels/${groupId}/leave`, tokens.Owner).expect(502)).body).toEqual({
        error: 'LINE did not answer; try again later',
      });
      expect(
        (await api('get', `/api/channels/${groupId}`, tokens.Owner).expect(200)).body.meta,
      ).toBeDefined();
      const list = (await api('get', '/api/channels', tokens.Owner).expect(200)).body.channels;
      expect(list.find((c: { channelId: string }) => c.channelId === groupId).status).toBe('active');
    });

    it('makes the bot leave the LINE group and disables the channel, history kept', async () => {
      fake.reset(); // drops the failures the previous test did not use
      fake.addGroup({ groupId, groupName: '購物討論群 2', members: [owner, admin, member] });
      expect((await api('post', `/api/channels/${groupId}/leave`, tokens.Owner).expect(200)).body).toEqual({
        success: true,
      });
      expect(fake.requestsTo('POST', `/v2/bot/group/${groupId}/leave`)).toHaveLength(1);
      expect(fake.hasLeft(groupId)).toBe(true);
      const list = (await api('get', '/api/channels', tokens.Owner).expect(200)).body.channels;
      expect(list.find((c: { channelId: string }) => c.channelId === groupId)).toMatchObject({
        status: 'disabled',
      });
      const detail = await api('get', `/api/channels/${groupId}`, tokens.Member).expect(200);
      expect(detail.body.meta.name).toBe('購物討論群 2');
      const audit = await api('get', `/api/channels/${groupId}/audit`, tokens.Owner).expect(200);
      expect(audit.body.entries[0]).toMatchObject({ action: 'channel.leave', actor: owner.userId });
      // LINE's own leave event that follows changes nothing more.
      await waitForInboxDrained(t);
    });
  });

  it('documents every channel, member and audit route with its error answers in OpenAPI', async () => {
    const doc = (await t.http().get('/api/docs/openapi.json').expect(200)).body;
    const routes: Array<[string, string, string[]]> = [
      ['/api/channels', 'get', ['200', '401']],
      ['/api/channels/{channelId}', 'get', ['200', '401', '403', '404']],
      ['/api/channels/{channelId}/config', 'patch', ['200', '400', '401', '403', '404', '415']],
      ['/api/channels/{channelId}/sync', 'post', ['200', '401', '403', '404', '502']],
      ['/api/channels/{channelId}/leave', 'post', ['200', '400', '401', '403', '404', '502']],
      ['/api/channels/{channelId}/members', 'get', ['200', '400', '401', '403', '404']],
      ['/api/channels/{channelId}/members/{userId}/role', 'put', ['200', '400', '401', '403', '404', '415']],
      ['/api/channels/{channelId}/owner', 'put', ['200', '400', '401', '403', '404', '415']],
      ['/api/channels/{channelId}/audit', 'get', ['200', '400', '401', '403', '404']],
    ];
    for (const [path, method, statuses] of routes) {
      const op = doc.paths[path]?.[method];
      expect({ path, method, statuses: Object.keys(op?.responses ?? {}).sort() }).toEqual({
        path,
        method,
        statuses: [...statuses].sort(),
      });
      expect(op.security).toEqual([{ bearer: [] }]);
    }
    const member = doc.components.schemas.MemberDto;
    expect(Object.keys(member.properties).sort()).toEqual([
      'displayName',
      'joinedAt',
      'leftAt',
      'pictureUrl',
      'role',
      'status',
      'updatedAt',
      'userId',
    ]);
    expect(doc.components.schemas.UpdateChannelConfigDto.properties.assistant).toBeDefined();
  });
});
