import { DataSource } from 'typeorm';
import { Member } from '../src/members/member.entity';
import { MemberRolesService } from '../src/members/member-roles.service';
import { makeTextEvent, makeUsers, randomGroupId, randomUserId } from './fake-line/events';
import { FakeLine, FakeUser } from './fake-line/fake-line';
import { postWebhook } from './fake-line/webhook';
import { waitForInboxDrained } from './support/inbox';
import {
  addBotToGroup,
  bearer,
  claimInGroup,
  leaveGroup,
  makeMember,
  signIn,
  speakInGroup,
} from './support/sign-in';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

interface MemberBody {
  userId: string;
  role: string;
  status: string;
}

describe('members, roles and ownership', () => {
  let fake: FakeLine;
  let t: TestApp;
  const operatorId = randomUserId();
  const [owner, admin, admin2, member, member2, gone] = makeUsers([
    'Owner',
    'Admin',
    'Admin2',
    'Member',
    'Member2',
    'Gone',
  ]).map((u): FakeUser => ({
    ...u,
    pictureUrl: `https://profile.line-scdn.net/${u.displayName.toLowerCase()}`,
  }));
  let groupId: string;
  const tok: Record<string, string> = {};

  const members = async (channelId: string, query = '', token = tok.operator) =>
    (await t.http().get(`/api/channels/${channelId}/members${query}`).set(bearer(token)).expect(200)).body;
  const roleOf = async (channelId: string, userId: string) =>
    (await members(channelId, '?limit=1000')).members.find((m: MemberBody) => m.userId === userId)?.role;
  const setRole = (userId: string, role: unknown, token: string, channelId = groupId) =>
    t.http().put(`/api/channels/${channelId}/members/${userId}/role`).set(bearer(token)).send({ role });
  const setOwner = (userId: string, token: string, channelId = groupId) =>
    t.http().put(`/api/channels/${channelId}/owner`).set(bearer(token)).send({ userId });
  const ownersIn = async (channelId: string) =>
    (await t.app.get(DataSource).getRepository(Member).findBy({ channelId, role: 'owner' })).map(
      (m) => m.userId,
    );

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({
      lineBaseUrl: fake.url,
      env: { WEBHOOK_REORDER_WINDOW_MS: '0', LOGIN_RATE_LIMIT: '1000', OPERATOR_USER_IDS: operatorId },
    });
    groupId = await addBotToGroup(t, fake, [owner, admin, admin2, member, member2, gone]);
    for (const u of [owner, admin, admin2, member, member2, gone])
      tok[u.displayName] = await signIn(t, fake, u.userId, u.displayName);
    tok.operator = await signIn(t, fake, operatorId);
    await makeMember(t, fake, { groupId, user: owner, role: 'owner' });
    await makeMember(t, fake, { groupId, user: admin, role: 'admin', actorToken: tok.Owner });
    await makeMember(t, fake, { groupId, user: admin2, role: 'admin', actorToken: tok.Owner });
    await makeMember(t, fake, { groupId, user: gone, role: 'left' });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  describe('GET /api/channels/:channelId/members', () => {
    it('answers every member exactly as the contract shows them', async () => {
      const body = await members(groupId, '', tok.Member);
      expect(Object.keys(body)).toEqual(['members']);
      expect(body.members).toHaveLength(6);
      const byId = new Map(body.members.map((m: MemberBody) => [m.userId, m]));
      expect(byId.get(owner.userId)).toEqual({
        userId: owner.userId,
        displayName: 'Owner',
        pictureUrl: 'https://profile.line-scdn.net/owner',
        role: 'owner',
        joinedAt: null,
        leftAt: null,
        status: 'active',
        updatedAt: expect.stringMatching(ISO),
      });
      expect(byId.get(admin.userId)).toMatchObject({ role: 'admin', status: 'active' });
      expect(byId.get(gone.userId)).toMatchObject({
        role: 'member',
        status: 'left',
        leftAt: expect.stringMatching(ISO),
      });
      for (const m of body.members) {
        expect(Object.keys(m).sort()).toEqual([
          'displayName',
          'joinedAt',
          'leftAt',
          'pictureUrl',
          'role',
          'status',
          'updatedAt',
          'userId',
        ]);
      }
    });

    it('gives joinedAt to members LINE told the bot about as they joined', async () => {
      const late = { userId: randomUserId(), displayName: 'Late' };
      fake.addMember(groupId, late);
      const { makeMemberJoinedEvent } = await import('./fake-line/events');
      const at = Date.now() - 5000;
      await postWebhook(t, makeMemberJoinedEvent({ groupId, userIds: [late.userId], timestamp: at })).expect(
        200,
      );
      await waitForInboxDrained(t);
      const row = (await members(groupId, '?limit=1000')).members.find(
        (m: MemberBody) => m.userId === late.userId,
      );
      expect(row).toMatchObject({ joinedAt: new Date(at).toISOString(), status: 'active', role: 'member' });
      await leaveGroup(t, fake, groupId, [late.userId]);
    });

    it("dates a member the bot's join listed once their memberJoined is processed after it", async () => {
      const [early] = makeUsers(['Early']);
      const g = await addBotToGroup(t, fake, [owner, early]);
      const listed = (await members(g)).members.find((m: MemberBody) => m.userId === early.userId);
      expect(listed).toMatchObject({ status: 'active', joinedAt: null });
      const { makeMemberJoinedEvent } = await import('./fake-line/events');
      const at = Date.now() - 1000;
      await postWebhook(
        t,
        makeMemberJoinedEvent({ groupId: g, userIds: [early.userId], timestamp: at }),
      ).expect(200);
      await waitForInboxDrained(t);
      const row = (await members(g)).members.find((m: MemberBody) => m.userId === early.userId);
      expect(row).toMatchObject({ status: 'active', joinedAt: new Date(at).toISOString() });
    });

    it('filters by status and role', async () => {
      const left = await members(groupId, '?status=left');
      expect(left.members.every((m: MemberBody) => m.status === 'left')).toBe(true);
      expect(left.members.map((m: MemberBody) => m.userId)).toContain(gone.userId);
      const admins = await members(groupId, '?role=admin&status=active');
      expect(admins.members.map((m: MemberBody) => m.userId).sort()).toEqual(
        [admin.userId, admin2.userId].sort(),
      );
      expect((await members(groupId, '?role=owner')).members.map((m: MemberBody) => m.userId)).toEqual([
        owner.userId,
      ]);
    });

    it('pages with limit and cursor, adding nextCursor only when there are more', async () => {
      const crowd = makeUsers(25);
      const big = await addBotToGroup(t, fake, crowd);
      const seen: string[] = [];
      let cursor: string | undefined;
      const sizes: number[] = [];
      do {
        const page = await members(big, `?limit=10${cursor ? `&cursor=${cursor}` : ''}`);
        sizes.push(page.members.length);
        seen.push(...page.members.map((m: MemberBody) => m.userId));
        expect(Object.keys(page).sort()).toEqual(page.nextCursor ? ['members', 'nextCursor'] : ['members']);
        cursor = page.nextCursor;
      } while (cursor);
      expect(sizes).toEqual([10, 10, 5]);
      expect(seen.sort()).toEqual(crowd.map((u) => u.userId).sort());
      expect((await members(big, '?limit=25')).nextCursor).toBeUndefined();
      expect((await members(big)).members).toHaveLength(25);
    });

    it('refuses bad filters with 400 {"error"}', async () => {
      for (const q of [
        '?status=gone',
        '?role=boss',
        '?limit=0',
        '?limit=1001',
        '?limit=abc',
        '?cursor=x',
        '?cursor=-1',
        '?foo=1',
      ]) {
        const res = await t.http().get(`/api/channels/${groupId}/members${q}`).set(bearer(tok.Member));
        expect({ q, status: res.status }).toEqual({ q, status: 400 });
        expect(res.body).toEqual({ error: expect.any(String) });
      }
    });

    it('is readable by members, not by outsiders or members who left', async () => {
      const outsider = await signIn(t, fake, randomUserId());
      expect(
        (await t.http().get(`/api/channels/${groupId}/members`).set(bearer(outsider)).expect(403)).body,
      ).toEqual({
        error: 'Permission denied',
      });
      await t.http().get(`/api/channels/${groupId}/members`).set(bearer(tok.Gone)).expect(403);
      expect(
        (await t.http().get(`/api/channels/${randomGroupId()}/members`).set(bearer(tok.Member)).expect(404))
          .body,
      ).toEqual({
        error: 'Channel not found',
      });
    });
  });

  describe('PUT /api/channels/:channelId/members/:userId/role', () => {
    it('lets the owner and admins make a member an admin, and records it', async () => {
      expect((await setRole(member.userId, 'admin', tok.Admin).expect(200)).body).toEqual({ success: true });
      expect(await roleOf(groupId, member.userId)).toBe('admin');
      const audit = (await t.http().get(`/api/channels/${groupId}/audit`).set(bearer(tok.Owner)).expect(200))
        .body.entries[0];
      expect(audit).toMatchObject({
        actor: admin.userId,
        action: 'member.role',
        before: { userId: member.userId, role: 'member' },
        after: { userId: member.userId, role: 'admin' },
      });
      await setRole(member.userId, 'member', tok.Owner).expect(200);
      expect(await roleOf(groupId, member.userId)).toBe('member');
    });

    it('refuses members', async () => {
      expect((await setRole(member2.userId, 'admin', tok.Member).expect(403)).body).toEqual({
        error: 'Permission denied',
      });
      expect(await roleOf(groupId, member2.userId)).toBe('member');
    });

    it("never changes the owner's role there, not even for an operator", async () => {
      for (const token of [tok.Owner, tok.Admin, tok.operator]) {
        expect((await setRole(owner.userId, 'member', token).expect(403)).body).toEqual({
          error: 'Permission denied',
        });
      }
      expect(await roleOf(groupId, owner.userId)).toBe('owner');
    });

    it('lets only the owner (or an operator) demote an admin; an admin may step down', async () => {
      expect((await setRole(admin2.userId, 'member', tok.Admin).expect(403)).body).toEqual({
        error: 'Permission denied',
      });
      expect(await roleOf(groupId, admin2.userId)).toBe('admin');
      await setRole(admin2.userId, 'member', tok.Owner).expect(200);
      expect(await roleOf(groupId, admin2.userId)).toBe('member');
      await setRole(admin2.userId, 'admin', tok.operator).expect(200);
      await setRole(admin2.userId, 'member', tok.operator).expect(200);
      await setRole(admin2.userId, 'admin', tok.Admin).expect(200);
      await setRole(admin2.userId, 'member', tok.Admin2).expect(200);
      expect(await roleOf(groupId, admin2.userId)).toBe('member');
    });

    it('sets only admin or member, with a valid JSON body', async () => {
      for (const role of ['owner', 'superadmin', '', null, 1, ['admin'], 'x'.repeat(100_000)]) {
        const res = await setRole(member2.userId, role, tok.Owner);
        expect([res.status, res.body]).toEqual([
          400,
          { error: 'role must be one of the following values: admin, member' },
        ]);
      }
      const extra = await t
        .http()
        .put(`/api/channels/${groupId}/members/${member2.userId}/role`)
        .set(bearer(tok.Owner))
        .send({ role: 'admin', userId: owner.userId });
      expect([extra.status, extra.body]).toEqual([400, { error: 'property userId should not exist' }]);
      const text = await t
        .http()
        .put(`/api/channels/${groupId}/members/${member2.userId}/role`)
        .set(bearer(tok.Owner))
        .set('content-type', 'text/plain')
        .send('admin');
      expect([text.status, text.body]).toEqual([415, { error: 'Content-Type must be application/json' }]);
      const broken = await t
        .http()
        .put(`/api/channels/${groupId}/members/${member2.userId}/role`)
        .set(bearer(tok.Owner))
        .set('content-type', 'application/json')
        .send('{"role":"admin"');
      expect([broken.status, broken.body]).toEqual([400, { error: 'Malformed JSON body' }]);
      expect(await roleOf(groupId, member2.userId)).toBe('member');
    });

    it('answers 404 Member not found for someone who is not a member of that channel', async () => {
      // A near miss of the owner's id: its last hex digit changed (never to itself).
      const nearOwner = owner.userId.slice(0, -1) + (owner.userId.endsWith('0') ? '1' : '0');
      for (const userId of [randomUserId(), 'nobody', nearOwner]) {
        expect((await setRole(userId, 'admin', tok.Owner).expect(404)).body).toEqual({
          error: 'Member not found',
        });
      }
      // A member of another channel is not a member of this one.
      expect((await setRole(owner.userId, 'admin', tok.Owner, member.userId).expect(403)).body).toEqual({
        error: 'Permission denied',
      });
      expect((await setRole(member2.userId, 'admin', tok.Member, member.userId).expect(404)).body).toEqual({
        error: 'Member not found',
      });
    });

    it('keeps the role of a member who left and came back', async () => {
      await setRole(member2.userId, 'admin', tok.Owner).expect(200);
      await leaveGroup(t, fake, groupId, [member2.userId]);
      expect(
        (await members(groupId, '?status=left')).members.find((m: MemberBody) => m.userId === member2.userId),
      ).toMatchObject({ role: 'admin' });
      await t.http().get(`/api/channels/${groupId}`).set(bearer(tok.Member2)).expect(403);
      await speakInGroup(t, fake, groupId, member2);
      expect(
        (await t.http().get(`/api/channels/${groupId}`).set(bearer(tok.Member2)).expect(200)).body.role,
      ).toBe('admin');
      await setRole(member2.userId, 'member', tok.Owner).expect(200);
    });
  });

  describe('/claim and PUT /api/channels/:channelId/owner', () => {
    it('makes the first /claim the owner; later ones are told who owns it', async () => {
      const [a, b] = makeUsers(['Alice', 'Bob']);
      const g = await addBotToGroup(t, fake, [a, b]);
      await speakInGroup(t, fake, g, a);
      await speakInGroup(t, fake, g, b);
      expect(await claimInGroup(t, fake, g, a.userId)).toBe(
        'Alice 已成為這個聊天的擁有者。擁有者和管理員可以管理我的設定,私訊我傳送 /login 就能登入。',
      );
      expect(await claimInGroup(t, fake, g, b.userId)).toBe('這個聊天已經有擁有者了:Alice。');
      expect(await claimInGroup(t, fake, g, a.userId)).toBe('你已經是這個聊天的擁有者了。');
      expect(await ownersIn(g)).toEqual([a.userId]);
      const audit = (await t.http().get(`/api/channels/${g}/audit`).set(bearer(tok.operator)).expect(200))
        .body.entries;
      expect(audit).toEqual([
        expect.objectContaining({
          action: 'channel.owner.claim',
          actor: a.userId,
          before: { ownerUserId: null },
          after: { ownerUserId: a.userId },
        }),
      ]);
    });

    it('answers /claim in a 1:1 chat with a polite refusal', async () => {
      const event = makeTextEvent({ text: '/claim', userId: randomUserId() });
      await postWebhook(t, event).expect(200);
      const reply = await waitFor(() => fake.replyFor(event));
      expect(reply.messages[0].text).toBe('這個指令只能在群組或聊天室裡使用。');
    });

    it('leaves one owner when several /claim arrive together', async () => {
      const users = makeUsers(5);
      const g = await addBotToGroup(t, fake, users);
      const events = users.map((u, i) =>
        makeTextEvent({ text: '/claim', groupId: g, userId: u.userId, timestamp: Date.now() + i }),
      );
      await postWebhook(t, events).expect(200);
      const replies = await waitFor(() => {
        const r = events.map((e) => fake.replyFor(e));
        return r.every(Boolean) ? r.map((x) => String(x!.messages[0].text)) : undefined;
      });
      expect(replies.filter((r) => r.includes('已成為這個聊天的擁有者'))).toHaveLength(1);
      expect(replies.filter((r) => r.startsWith('這個聊天已經有擁有者了'))).toHaveLength(4);
      expect(await ownersIn(g)).toHaveLength(1);
    });

    it('is race-safe in the database: of many concurrent claims exactly one wins', async () => {
      const roles = t.app.get(MemberRolesService);
      for (let round = 0; round < 3; round++) {
        const users = makeUsers(12);
        const g = await addBotToGroup(t, fake, users);
        const results = await Promise.all(users.map((u) => roles.claim(g, u.userId)));
        const winners = results.filter((r) => r.outcome === 'claimed');
        expect(winners).toHaveLength(1);
        expect(results.filter((r) => r.outcome === 'taken')).toHaveLength(11);
        expect(new Set(results.map((r) => r.ownerUserId))).toEqual(new Set([winners[0].ownerUserId]));
        expect(await ownersIn(g)).toEqual([winners[0].ownerUserId]);
      }
    });

    it('hands ownership over: the owner to an active member, the old owner stays admin', async () => {
      const [o, next, third] = makeUsers(['Olga', 'Nina', 'Theo']);
      const g = await addBotToGroup(t, fake, [o, next, third]);
      await makeMember(t, fake, { groupId: g, user: o, role: 'owner' });
      const oTok = await signIn(t, fake, o.userId);
      const nextTok = await signIn(t, fake, next.userId);
      await setRole(next.userId, 'admin', oTok, g).expect(200);
      expect((await setOwner(third.userId, nextTok, g).expect(403)).body).toEqual({
        error: 'Permission denied',
      });
      expect((await setOwner(next.userId, oTok, g).expect(200)).body).toEqual({ success: true });
      expect(await roleOf(g, next.userId)).toBe('owner');
      expect(await roleOf(g, o.userId)).toBe('admin');
      await setOwner(o.userId, oTok, g).expect(403);
      const audit = (await t.http().get(`/api/channels/${g}/audit`).set(bearer(nextTok)).expect(200)).body
        .entries[0];
      expect(audit).toMatchObject({
        action: 'channel.owner.set',
        actor: o.userId,
        before: { ownerUserId: o.userId },
        after: { ownerUserId: next.userId },
      });
      // An operator may name anyone active; naming the owner again changes nothing.
      await setOwner(third.userId, tok.operator, g).expect(200);
      await setOwner(third.userId, tok.operator, g).expect(200);
      expect(await ownersIn(g)).toEqual([third.userId]);
    });

    it('refuses an unknown, a departed or a malformed new owner, and 1:1 chats', async () => {
      expect((await setOwner(randomUserId(), tok.Owner).expect(404)).body).toEqual({
        error: 'Member not found',
      });
      expect((await setOwner(gone.userId, tok.Owner).expect(400)).body).toEqual({
        error: 'Only an active member can own the channel',
      });
      for (const body of [{}, { userId: 'alice' }, { userId: 5 }, { userId: admin.userId, role: 'owner' }]) {
        const res = await t.http().put(`/api/channels/${groupId}/owner`).set(bearer(tok.Owner)).send(body);
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ error: expect.any(String) });
      }
      expect((await setOwner(member.userId, tok.Member, member.userId).expect(400)).body).toEqual({
        error: 'A 1:1 chat is always owned by its user',
      });
      expect(await ownersIn(groupId)).toEqual([owner.userId]);
    });

    it('leaves one owner when an operator names several at once, round after round', async () => {
      const users = makeUsers(6);
      const g = await addBotToGroup(t, fake, users);
      // Many rounds: on MariaDB the moving unique owner_lock made InnoDB pick deadlock victims now and then.
      for (let round = 0; round < 30; round++) {
        const answers = await Promise.all(users.map((u) => setOwner(u.userId, tok.operator, g)));
        expect(answers.map((r) => r.status).filter((s) => s !== 200 && s !== 409)).toEqual([]);
        const owners = await ownersIn(g);
        expect(owners).toHaveLength(1);
        expect(users.map((u) => u.userId)).toContain(owners[0]);
      }
    });

    it('lets the next /claim take over when the owner has left the chat', async () => {
      const [first, second] = makeUsers(['First', 'Second']);
      const g = await addBotToGroup(t, fake, [first, second]);
      await makeMember(t, fake, { groupId: g, user: first, role: 'owner' });
      await speakInGroup(t, fake, g, second);
      await leaveGroup(t, fake, g, [first.userId]);
      expect(await claimInGroup(t, fake, g, second.userId)).toContain('Second 已成為這個聊天的擁有者');
      expect(await ownersIn(g)).toEqual([second.userId]);
      expect((await members(g, '?status=left')).members[0]).toMatchObject({
        userId: first.userId,
        role: 'member',
      });
    });
  });
});
