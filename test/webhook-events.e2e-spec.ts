import { setTimeout as pause } from 'node:timers/promises';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { ChannelsService } from '../src/channels/channels.service';
import { Member } from '../src/members/member.entity';
import { MembersService } from '../src/members/members.service';
import {
  makeFollowEvent,
  makeImageEvent,
  makeJoinEvent,
  makeLeaveEvent,
  makeMemberJoinedEvent,
  makeMemberLeftEvent,
  makeStickerEvent,
  makeTextEvent,
  makeUnfollowEvent,
  randomGroupId,
  randomRoomId,
  randomUserId,
} from './fake-line/events';
import { FakeLine, FakeUser } from './fake-line/fake-line';
import { postWebhook } from './fake-line/webhook';
import { inboxRows, waitForInboxDrained } from './support/inbox';
import { createTestApp, TestApp } from './support/test-app';
import { testDbKind } from './support/test-database';
import { waitFor } from './support/wait-for';

const user = (displayName: string): FakeUser => ({
  userId: randomUserId(),
  displayName,
  pictureUrl: `https://profile.line-scdn.net/${displayName.toLowerCase()}`,
});

/** Sends events as LINE does and waits until the service has processed them. */
async function deliver(t: TestApp, ...events: object[]): Promise<void> {
  await postWebhook(t, events).expect(200);
  await waitForInboxDrained(t);
}

describe('webhook events: channels and members', () => {
  let fake: FakeLine;
  let t: TestApp;
  let channels: ChannelsService;
  let members: MembersService;

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({
      lineBaseUrl: fake.url,
      env: { WEBHOOK_REORDER_WINDOW_MS: '0', WEBHOOK_RETRY_BASE_MS: '20' },
    });
    channels = t.app.get(ChannelsService);
    members = t.app.get(MembersService);
  });
  afterEach(async () => {
    // No event may end failed in this suite: every effect below is reached without an error.
    const failed = (await inboxRows(t)).filter((r) => r.state !== 'done');
    expect(failed.map((r) => [r.eventType, r.state, r.lastError])).toEqual([]);
    fake.reset();
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  const membersOf = (channelId: string) =>
    t.app
      .get(DataSource)
      .getRepository(Member)
      .find({ where: { channelId }, order: { userId: 'ASC' } });
  const profileRequests = (chatId: string) => fake.requestsTo('GET', new RegExp(`/${chatId}/member/U`));

  describe('join', () => {
    it('creates the group with name, picture, count and every member with a profile', async () => {
      const groupId = randomGroupId();
      const people = [user('Alice'), user('Bob'), user('Chen')];
      fake.addGroup({
        groupId,
        groupName: '購物討論群',
        pictureUrl: 'https://profile.line-scdn.net/g',
        members: people,
      });
      const join = makeJoinEvent({ groupId, timestamp: Date.now() - 1000 });
      await deliver(t, join);

      const channel = await channels.get(groupId);
      expect(channel).toMatchObject({
        channelId: groupId,
        type: 'group',
        name: '購物討論群',
        pictureUrl: 'https://profile.line-scdn.net/g',
        memberCount: 3,
        status: 'active',
        createdBy: 'system',
        disabledAt: null,
      });
      expect(channel!.enabledAt.getTime()).toBe(join.timestamp);
      const stored = await membersOf(groupId);
      expect(stored.map((m) => [m.userId, m.displayName, m.pictureUrl, m.status, m.role])).toEqual(
        [...people]
          .sort((a, b) => a.userId.localeCompare(b.userId))
          .map((p) => [p.userId, p.displayName, p.pictureUrl, 'active', 'member']),
      );
      expect(stored.every((m) => m.profileFetchedAt !== null)).toBe(true);
      expect(fake.requestsTo('GET', `/v2/bot/group/${groupId}/summary`)).toHaveLength(1);
      expect(fake.requestsTo('GET', `/v2/bot/group/${groupId}/members/count`)).toHaveLength(1);
      expect(fake.requestsTo('GET', `/v2/bot/group/${groupId}/members/ids`)).toHaveLength(1);
      expect(profileRequests(groupId)).toHaveLength(3);
    });

    it('reads member ids across every page (more than 100 members)', async () => {
      const groupId = randomGroupId();
      const people = Array.from({ length: 130 }, (_, i) => user(`Member${i}`));
      fake.addGroup({ groupId, groupName: 'Big', members: people });
      await deliver(t, makeJoinEvent({ groupId }));
      expect(fake.requestsTo('GET', `/v2/bot/group/${groupId}/members/ids`)).toHaveLength(2);
      const stored = await membersOf(groupId);
      expect(stored).toHaveLength(130);
      expect(stored.every((m) => m.status === 'active' && m.displayName?.startsWith('Member'))).toBe(true);
      expect((await channels.get(groupId))?.memberCount).toBe(130);
    });

    it('takes a 403 on member ids (unverified account) in its stride: channel stored, no error', async () => {
      const groupId = randomGroupId();
      fake.addGroup({ groupId, groupName: 'Unverified', members: [user('Dana')], memberIdsForbidden: true });
      await deliver(t, makeJoinEvent({ groupId }));
      expect(await channels.get(groupId)).toMatchObject({
        name: 'Unverified',
        memberCount: 1,
        status: 'active',
      });
      expect(fake.requestsTo('GET', `/v2/bot/group/${groupId}/members/ids`)[0].status).toBe(403);
      expect(await membersOf(groupId)).toEqual([]);
      const sync = await channels.refreshFromLine(groupId);
      expect(sync.members.listed).toBe(false);
      expect(sync.unavailable).toEqual([{ part: 'memberIds', status: 403 }]);
    });

    it('creates a room without a summary (rooms have none)', async () => {
      const roomId = randomRoomId();
      const people = [user('Eve'), user('Fay')];
      fake.addRoom({ roomId, members: people });
      await deliver(t, makeJoinEvent({ roomId }));
      expect(await channels.get(roomId)).toMatchObject({
        type: 'room',
        name: null,
        memberCount: 2,
        status: 'active',
      });
      expect(fake.requestsTo('GET', /\/summary$/)).toEqual([]);
      expect((await membersOf(roomId)).map((m) => m.displayName).sort()).toEqual(['Eve', 'Fay']);
      expect(profileRequests(roomId)).toHaveLength(2);
    });
  });

  describe('leave and join again', () => {
    it('disables on leave (nothing deleted) and reactivates on a new join with history kept', async () => {
      const groupId = randomGroupId();
      const gina = user('Gina');
      fake.addGroup({ groupId, groupName: 'Hikers', members: [gina] });
      const t0 = Date.now() - 10_000;
      await deliver(t, makeJoinEvent({ groupId, timestamp: t0 }));
      const created = await channels.get(groupId);

      const leave = makeLeaveEvent({ groupId, timestamp: t0 + 1000 });
      expect(leave.replyToken).toBeUndefined();
      await deliver(t, leave);
      const left = await channels.get(groupId);
      expect(left).toMatchObject({ status: 'disabled' });
      expect(left!.disabledAt!.getTime()).toBe(leave.timestamp);
      expect(await membersOf(groupId)).toHaveLength(1);

      await deliver(t, makeJoinEvent({ groupId, timestamp: t0 + 2000 }));
      const back = await channels.get(groupId);
      expect(back).toMatchObject({ status: 'active', disabledAt: null, name: 'Hikers' });
      expect(back!.enabledAt.getTime()).toBe(t0 + 2000);
      expect(back!.createdAt.getTime()).toBe(created!.createdAt.getTime());
      expect((await membersOf(groupId)).map((m) => m.userId)).toEqual([gina.userId]);
    });

    it('marks members who left while the bot was away as left when it joins again', async () => {
      const groupId = randomGroupId();
      const [hana, ivan] = [user('Hana'), user('Ivan')];
      fake.addGroup({ groupId, members: [hana, ivan] });
      await deliver(t, makeJoinEvent({ groupId }));
      await deliver(t, makeLeaveEvent({ groupId }));
      fake.removeMember(groupId, ivan.userId);
      await deliver(t, makeJoinEvent({ groupId }));
      const byId = new Map((await membersOf(groupId)).map((m) => [m.userId, m]));
      expect(byId.get(hana.userId)?.status).toBe('active');
      expect(byId.get(ivan.userId)?.status).toBe('left');
      expect(byId.get(ivan.userId)?.leftAt).not.toBeNull();
    });
  });

  describe('memberJoined and memberLeft', () => {
    it('tracks status, joinedAt, leftAt and the member count; a comeback clears leftAt', async () => {
      const groupId = randomGroupId();
      const [jack, kate] = [user('Jack'), user('Kate')];
      fake.addGroup({ groupId, groupName: 'Club', members: [jack] });
      const t0 = Date.now() - 60_000;
      await deliver(t, makeJoinEvent({ groupId, timestamp: t0 }));
      expect((await channels.get(groupId))?.memberCount).toBe(1);

      fake.addMember(groupId, kate);
      const joined = makeMemberJoinedEvent({ groupId, userIds: [kate.userId], timestamp: t0 + 1000 });
      expect(joined.replyToken).toBeDefined();
      await deliver(t, joined);
      let k = await members.find(groupId, kate.userId);
      expect(k).toMatchObject({ status: 'active', displayName: 'Kate', leftAt: null, role: 'member' });
      expect(k!.joinedAt!.getTime()).toBe(t0 + 1000);
      expect((await channels.get(groupId))?.memberCount).toBe(2);
      expect(fake.requestsTo('GET', `/v2/bot/group/${groupId}/members/count`).length).toBeGreaterThanOrEqual(
        2,
      );

      fake.removeMember(groupId, kate.userId);
      const left = makeMemberLeftEvent({ groupId, userIds: [kate.userId], timestamp: t0 + 2000 });
      expect(left.replyToken).toBeUndefined();
      await deliver(t, left);
      k = await members.find(groupId, kate.userId);
      expect(k).toMatchObject({ status: 'left' });
      expect(k!.leftAt!.getTime()).toBe(t0 + 2000);
      expect((await channels.get(groupId))?.memberCount).toBe(1);

      fake.addMember(groupId, kate);
      await deliver(t, makeMemberJoinedEvent({ groupId, userIds: [kate.userId], timestamp: t0 + 3000 }));
      k = await members.find(groupId, kate.userId);
      expect(k).toMatchObject({ status: 'active', leftAt: null });
      expect(k!.joinedAt!.getTime()).toBe(t0 + 3000);
      expect((await channels.get(groupId))?.memberCount).toBe(2);
    });

    it('tracks the members of a room too: status, joinedAt, leftAt and the count', async () => {
      const roomId = randomRoomId();
      const [lena, omar] = [user('Lena'), user('Omar')];
      fake.addRoom({ roomId, members: [lena] });
      const t0 = Date.now() - 60_000;
      await deliver(t, makeJoinEvent({ roomId, timestamp: t0 }));
      expect((await channels.get(roomId))?.memberCount).toBe(1);

      fake.addMember(roomId, omar);
      const joined = makeMemberJoinedEvent({ roomId, userIds: [omar.userId], timestamp: t0 + 1000 });
      expect(joined.source).toEqual({ type: 'room', roomId });
      await deliver(t, joined);
      let o = await members.find(roomId, omar.userId);
      expect(o).toMatchObject({ status: 'active', displayName: 'Omar', leftAt: null, role: 'member' });
      expect(o!.joinedAt!.getTime()).toBe(t0 + 1000);
      expect((await channels.get(roomId))?.memberCount).toBe(2);
      // A room's profiles and count are read from the room endpoints (a room has no group summary).
      expect(profileRequests(roomId).map((r) => r.path)).toContain(
        `/v2/bot/room/${roomId}/member/${omar.userId}`,
      );
      expect(fake.requestsTo('GET', `/v2/bot/room/${roomId}/members/count`).length).toBeGreaterThanOrEqual(2);

      fake.removeMember(roomId, omar.userId);
      const left = makeMemberLeftEvent({ roomId, userIds: [omar.userId], timestamp: t0 + 2000 });
      expect(left.source).toEqual({ type: 'room', roomId });
      expect(left.replyToken).toBeUndefined();
      await deliver(t, left);
      o = await members.find(roomId, omar.userId);
      expect(o).toMatchObject({ status: 'left' });
      expect(o!.leftAt!.getTime()).toBe(t0 + 2000);
      expect((await members.find(roomId, lena.userId))?.status).toBe('active');
      expect((await channels.get(roomId))?.memberCount).toBe(1);
      expect(fake.requestsTo('GET', new RegExp(`/group/${roomId}/`))).toEqual([]);
    });

    // MySQL only: there a sync writes a member on one connection while a memberJoined writes it on
    // another. SQLite has one connection and runs one unit of work at a time.
    if (testDbKind() === 'mysql')
      it('takes a member that another connection inserted during its transaction as the existing row (MySQL)', async () => {
        const groupId = randomGroupId();
        const olive = user('Olive');
        fake.addGroup({ groupId, members: [] });
        await deliver(t, makeJoinEvent({ groupId }));
        fake.addMember(groupId, olive);
        // Another writer (a sync) has inserted Olive and not committed yet: the event's insert waits
        // for it, after its transaction's first read, and then meets the committed row.
        const other = await createConnection({ uri: t.db.url!, timezone: 'Z' });
        try {
          await other.query('BEGIN');
          await other.query(
            "INSERT INTO members (channel_id, user_id, display_name, role, status, joined_at, updated_at) VALUES (?, ?, 'Olive', 'member', 'active', NULL, UTC_TIMESTAMP(3))",
            [groupId, olive.userId],
          );
          const joined = makeMemberJoinedEvent({ groupId, userIds: [olive.userId] });
          await postWebhook(t, [joined]).expect(200);
          await waitFor(
            async () => fake.requestsTo('GET', `/v2/bot/group/${groupId}/member/${olive.userId}`).length > 0,
          );
          await new Promise((r) => setTimeout(r, 300));
          await other.query('COMMIT');
          await waitForInboxDrained(t);
          const row = (await inboxRows(t)).find((r) => r.webhookEventId === joined.webhookEventId);
          // Before, the event failed once ("Duplicate entry") and only its retry applied it.
          expect(row).toMatchObject({ state: 'done', attempts: 0, lastError: null });
          const stored = await members.find(groupId, olive.userId);
          expect(stored).toMatchObject({ status: 'active', displayName: 'Olive' });
          expect(stored!.joinedAt!.getTime()).toBe(joined.timestamp);
        } finally {
          await other.end();
        }
      });

    it('adjusts the count when LINE cannot tell it', async () => {
      const groupId = randomGroupId();
      const people = [user('Liam'), user('Mia'), user('Noah')];
      fake.addGroup({ groupId, members: people });
      await deliver(t, makeJoinEvent({ groupId }));
      expect((await channels.get(groupId))?.memberCount).toBe(3);
      const countPath = `/v2/bot/group/${groupId}/members/count`;
      fake.failNext('GET', countPath, { status: 404 });
      await deliver(t, makeMemberLeftEvent({ groupId, userIds: [people[0].userId, people[1].userId] }));
      expect((await channels.get(groupId))?.memberCount).toBe(1);
      fake.failNext('GET', countPath, { status: 404 });
      await deliver(t, makeMemberJoinedEvent({ groupId, userIds: [people[0].userId] }));
      expect((await channels.get(groupId))?.memberCount).toBe(2);
      expect(fake.requestsTo('GET', countPath).map((r) => r.status)).toEqual([200, 404, 404]);
    });

    it('records as left a member never seen before (no member list) who leaves', async () => {
      const groupId = randomGroupId();
      const ghost = user('Ghost');
      fake.addGroup({ groupId, members: [ghost], memberIdsForbidden: true });
      await deliver(t, makeJoinEvent({ groupId }));
      expect(await membersOf(groupId)).toEqual([]);
      fake.removeMember(groupId, ghost.userId);
      const left = makeMemberLeftEvent({ groupId, userIds: [ghost.userId] });
      await deliver(t, left);
      const stored = await members.find(groupId, ghost.userId);
      expect(stored).toMatchObject({ status: 'left', joinedAt: null });
      expect(stored!.leftAt!.getTime()).toBe(left.timestamp);
      expect((await channels.get(groupId))?.memberCount).toBe(0);
    });

    it('counts out a member never seen who leaves, when LINE cannot tell the count', async () => {
      const groupId = randomGroupId();
      const [quinn, ghost] = [user('Quinn'), user('Ghost')];
      fake.addGroup({ groupId, members: [quinn, ghost], memberIdsForbidden: true });
      await deliver(t, makeJoinEvent({ groupId }));
      expect((await channels.get(groupId))?.memberCount).toBe(2);
      fake.removeMember(groupId, ghost.userId);
      fake.failNext('GET', `/v2/bot/group/${groupId}/members/count`, { status: 404 });
      await deliver(t, makeMemberLeftEvent({ groupId, userIds: [ghost.userId] }));
      expect((await channels.get(groupId))?.memberCount).toBe(1);
    });

    it('leaves the count alone for a change older than its last read from LINE', async () => {
      const groupId = randomGroupId();
      const [rose, sam, tina, uma] = [user('Rose'), user('Sam'), user('Tina'), user('Uma')];
      fake.addGroup({ groupId, members: [rose, sam, tina], memberIdsForbidden: true });
      const t0 = Date.now() - 60_000;
      await deliver(t, makeJoinEvent({ groupId, timestamp: t0 }));
      for (const [i, who] of [rose, sam, tina].entries()) {
        await deliver(t, makeTextEvent({ groupId, userId: who.userId, text: 'hi', timestamp: t0 + 1 + i }));
      }
      // Tina left, then Uma joined; LINE delivers Tina's leave only after Uma's join was processed,
      // whose count read (3: Rose, Sam, Uma) already holds both.
      fake.removeMember(groupId, tina.userId);
      fake.addMember(groupId, uma);
      await deliver(t, makeMemberJoinedEvent({ groupId, userIds: [uma.userId], timestamp: t0 + 2000 }));
      expect((await channels.get(groupId))?.memberCount).toBe(3);
      fake.failNext('GET', `/v2/bot/group/${groupId}/members/count`, { status: 404 });
      await deliver(t, makeMemberLeftEvent({ groupId, userIds: [tina.userId], timestamp: t0 + 1000 }));
      expect(await members.find(groupId, tina.userId)).toMatchObject({ status: 'left' });
      expect((await channels.get(groupId))?.memberCount).toBe(3);
    });

    it('writes a leave and its count change together: a refused count leaves the member as they were', async () => {
      const ds = t.app.get(DataSource);
      const groupId = randomGroupId();
      const ref = { channelId: groupId, type: 'group' as const };
      const [vic, wes] = [user('Vic'), user('Wes')];
      fake.addGroup({ groupId, members: [vic, wes] });
      await deliver(t, makeJoinEvent({ groupId }));
      expect((await channels.get(groupId))?.memberCount).toBe(2);
      fake.removeMember(groupId, vic.userId);
      fake.failNext('GET', `/v2/bot/group/${groupId}/members/count`, { status: 404 });
      // The database refuses the count, as a crash or a lost connection would between the two writes.
      await ds.query(
        ds.options.type === 'mysql'
          ? "CREATE TRIGGER refuse_count BEFORE UPDATE ON channels FOR EACH ROW BEGIN IF NEW.member_count <> OLD.member_count THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'; END IF; END"
          : "CREATE TRIGGER refuse_count BEFORE UPDATE OF member_count ON channels WHEN NEW.member_count <> OLD.member_count BEGIN SELECT RAISE(ABORT, 'refused'); END",
      );
      const at = new Date();
      try {
        await expect(channels.membersLeft(ref, [vic.userId], at)).rejects.toThrow(/refused/);
      } finally {
        await ds.query('DROP TRIGGER refuse_count');
      }
      expect(await members.find(groupId, vic.userId)).toMatchObject({ status: 'active', leftAt: null });
      // The event's retry; LINE's count still cannot be read.
      await channels.membersLeft(ref, [vic.userId], at);
      expect(await members.find(groupId, vic.userId)).toMatchObject({ status: 'left' });
      expect((await channels.get(groupId))?.memberCount).toBe(1);
    });

    it('applies a repeated memberJoined once (the count is not adjusted twice)', async () => {
      const groupId = randomGroupId();
      const olive = user('Olive');
      fake.addGroup({ groupId, members: [] });
      await deliver(t, makeJoinEvent({ groupId }));
      fake.addMember(groupId, olive);
      fake.failNext('GET', `/v2/bot/group/${groupId}/members/count`, { status: 404 }, 2);
      const joined = makeMemberJoinedEvent({ groupId, userIds: [olive.userId] });
      await deliver(t, joined);
      await deliver(t, { ...joined, webhookEventId: `${joined.webhookEventId.slice(0, 20)}REPEAT` });
      expect((await channels.get(groupId))?.memberCount).toBe(1);
    });
  });

  describe('messages in groups and rooms', () => {
    it('records an unknown sender with the group member profile, and does not ask again while fresh', async () => {
      const groupId = randomGroupId();
      const paul = user('Paul');
      fake.addGroup({ groupId, groupName: 'Readers', members: [paul], memberIdsForbidden: true });
      await deliver(t, makeJoinEvent({ groupId }));
      expect(await members.find(groupId, paul.userId)).toBeNull();

      const first = makeTextEvent({ text: 'hello', groupId, userId: paul.userId });
      await deliver(t, first);
      expect(await members.find(groupId, paul.userId)).toMatchObject({
        status: 'active',
        role: 'member',
        displayName: 'Paul',
        pictureUrl: paul.pictureUrl,
      });
      expect(profileRequests(groupId)).toHaveLength(1);
      expect(profileRequests(groupId)[0].path).toBe(`/v2/bot/group/${groupId}/member/${paul.userId}`);

      await deliver(
        t,
        makeTextEvent({ text: 'again', groupId, userId: paul.userId }),
        makeStickerEvent({ groupId, userId: paul.userId }),
        makeImageEvent({ groupId, userId: paul.userId }),
      );
      expect(profileRequests(groupId)).toHaveLength(1);
      expect(await members.displayNames(groupId, [paul.userId, randomUserId()])).toEqual(
        new Map([[paul.userId, 'Paul']]),
      );
    });

    it('refreshes a profile older than PROFILE_MAX_AGE_HOURS on the next message', async () => {
      const groupId = randomGroupId();
      const quinn = user('Quinn');
      fake.addGroup({ groupId, members: [quinn] });
      await deliver(t, makeJoinEvent({ groupId }));
      const repo = t.app.get(DataSource).getRepository(Member);
      await repo.update(
        { channelId: groupId, userId: quinn.userId },
        { profileFetchedAt: new Date(Date.now() - 25 * 3600_000) },
      );
      fake.chat(groupId).members[0].displayName = 'Quinn (away)';
      await deliver(t, makeTextEvent({ text: 'back', groupId, userId: quinn.userId }));
      expect((await members.find(groupId, quinn.userId))?.displayName).toBe('Quinn (away)');
      expect(profileRequests(groupId)).toHaveLength(2);
    });

    it('records senders in rooms through the room member profile', async () => {
      const roomId = randomRoomId();
      const rosa = user('Rosa');
      fake.addRoom({ roomId, members: [rosa], memberIdsForbidden: true });
      await deliver(t, makeJoinEvent({ roomId }), makeTextEvent({ text: 'hi', roomId, userId: rosa.userId }));
      expect(await members.find(roomId, rosa.userId)).toMatchObject({
        status: 'active',
        displayName: 'Rosa',
      });
      expect(profileRequests(roomId).map((r) => r.path)).toEqual([
        `/v2/bot/room/${roomId}/member/${rosa.userId}`,
      ]);
    });

    it('accepts a message whose sender LINE does not name', async () => {
      const groupId = randomGroupId();
      fake.addGroup({ groupId, members: [], memberIdsForbidden: true });
      const anonymous = makeTextEvent({ text: 'who am I', groupId });
      expect(anonymous.source).toEqual({ type: 'group', groupId });
      await deliver(t, makeJoinEvent({ groupId }), anonymous);
      expect(await membersOf(groupId)).toEqual([]);
    });

    it('records a group the bot was in before this service knew it, from its first message', async () => {
      const groupId = randomGroupId();
      const sam = user('Sam');
      fake.addGroup({ groupId, groupName: 'Old friends', members: [sam, user('Tess')] });
      await deliver(t, makeTextEvent({ text: 'anyone?', groupId, userId: sam.userId }));
      expect(await channels.get(groupId)).toMatchObject({
        status: 'active',
        name: 'Old friends',
        memberCount: 2,
      });
      expect(await membersOf(groupId)).toHaveLength(2);
    });

    it('reads such a group from LINE on the retry when its first read failed on a database error', async () => {
      const groupId = randomGroupId();
      const sam = user('Sam');
      fake.addGroup({ groupId, groupName: 'Second try', members: [sam, user('Tess')] });
      const reconcile = jest
        .spyOn(members, 'reconcile')
        .mockRejectedValueOnce(
          Object.assign(new Error('SQLITE_BUSY: database is locked'), { code: 'SQLITE_BUSY' }),
        );
      let reads: number;
      try {
        await deliver(t, makeTextEvent({ text: 'hello?', groupId, userId: sam.userId }));
      } finally {
        reads = reconcile.mock.calls.length;
        reconcile.mockRestore();
      }
      expect(reads).toBe(2);
      expect(await channels.get(groupId)).toMatchObject({ name: 'Second try', memberCount: 2 });
      expect(await membersOf(groupId)).toHaveLength(2);
      const [row] = (await inboxRows(t)).filter((r) => r.channelId === groupId);
      expect(row).toMatchObject({ state: 'done', attempts: 1 });
    });

    it('brings back a member marked left who writes later', async () => {
      const groupId = randomGroupId();
      const uma = user('Uma');
      fake.addGroup({ groupId, members: [uma] });
      await deliver(t, makeJoinEvent({ groupId }));
      await deliver(t, makeMemberLeftEvent({ groupId, userIds: [uma.userId] }));
      await deliver(t, makeTextEvent({ text: 'I am back', groupId, userId: uma.userId }));
      expect(await members.find(groupId, uma.userId)).toMatchObject({ status: 'active', leftAt: null });
    });
  });

  describe('1:1 chats', () => {
    it('follow opens the chat with the user as owner; unfollow disables it; unblocking reopens it', async () => {
      const vera = { ...user('Vera'), language: 'ja' };
      fake.addUser(vera);
      const follow = makeFollowEvent({ userId: vera.userId, timestamp: Date.now() - 5000 });
      await deliver(t, follow);
      expect(await channels.get(vera.userId)).toMatchObject({
        type: 'user',
        status: 'active',
        name: 'Vera',
        pictureUrl: vera.pictureUrl,
        memberCount: 1,
      });
      expect(await membersOf(vera.userId)).toMatchObject([
        { userId: vera.userId, role: 'owner', status: 'active', displayName: 'Vera' },
      ]);
      expect(fake.requestsTo('GET', `/v2/bot/profile/${vera.userId}`)).toHaveLength(1);

      const unfollow = makeUnfollowEvent({ userId: vera.userId, timestamp: Date.now() - 4000 });
      await deliver(t, unfollow);
      const blocked = await channels.get(vera.userId);
      expect(blocked).toMatchObject({ status: 'disabled' });
      expect(blocked!.disabledAt!.getTime()).toBe(unfollow.timestamp);

      await deliver(t, makeFollowEvent({ userId: vera.userId, isUnblocked: true }));
      expect(await channels.get(vera.userId)).toMatchObject({ status: 'active', disabledAt: null });
      expect(await membersOf(vera.userId)).toHaveLength(1);
    });

    it('opens the chat of a user who writes without ever having followed', async () => {
      const will = user('Will');
      fake.addUser(will);
      await deliver(t, makeTextEvent({ text: 'hello bot', userId: will.userId }));
      expect(await channels.get(will.userId)).toMatchObject({ type: 'user', status: 'active', name: 'Will' });
      expect(await members.find(will.userId, will.userId)).toMatchObject({ role: 'owner', status: 'active' });
      await deliver(t, makeTextEvent({ text: 'again', userId: will.userId }));
      expect(fake.requestsTo('GET', `/v2/bot/profile/${will.userId}`)).toHaveLength(1);
    });

    it('keeps the chat when the profile cannot be read (404: not a friend)', async () => {
      const stranger = randomUserId();
      await deliver(t, makeFollowEvent({ userId: stranger }));
      expect(await channels.get(stranger)).toMatchObject({ status: 'active', name: null });
      expect(await members.find(stranger, stranger)).toMatchObject({ role: 'owner', displayName: null });
    });
  });

  describe('LINE failures on profile fetches', () => {
    it('gets the profile after a 429 (the client honours Retry-After and retries)', async () => {
      const groupId = randomGroupId();
      const xena = user('Xena');
      fake.addGroup({ groupId, members: [xena], memberIdsForbidden: true });
      await deliver(t, makeJoinEvent({ groupId }));
      fake.failNext('GET', new RegExp(`/member/${xena.userId}$`), { status: 429, retryAfterSeconds: 1 });
      await deliver(t, makeTextEvent({ text: 'hi', groupId, userId: xena.userId }));
      expect(await members.find(groupId, xena.userId)).toMatchObject({ displayName: 'Xena' });
      expect(profileRequests(groupId).map((r) => r.status)).toEqual([429, 200]);
    });

    it('stores the member with what is known when LINE keeps failing, and asks again next time', async () => {
      const groupId = randomGroupId();
      const yuki = user('Yuki');
      fake.addGroup({ groupId, members: [yuki], memberIdsForbidden: true });
      await deliver(t, makeJoinEvent({ groupId }));
      fake.failNext('GET', new RegExp(`/member/${yuki.userId}$`), { status: 500 }, 5);
      await deliver(t, makeTextEvent({ text: 'hi', groupId, userId: yuki.userId }));
      expect(await members.find(groupId, yuki.userId)).toMatchObject({
        status: 'active',
        displayName: null,
        profileFetchedAt: null,
      });
      expect(profileRequests(groupId)).toHaveLength(5);
      await deliver(t, makeTextEvent({ text: 'hi again', groupId, userId: yuki.userId }));
      expect(await members.find(groupId, yuki.userId)).toMatchObject({ displayName: 'Yuki' });
    });
  });

  describe('events that arrive late, after a newer one of the same chat or member', () => {
    // LINE redelivers a webhook it could not deliver minutes later: by then a newer event may be done.
    const t0 = () => Date.now() - 60_000;

    it('keeps a chat open when its leave arrives after a newer join', async () => {
      const groupId = randomGroupId();
      fake.addGroup({ groupId, members: [user('Gail')] });
      const at = t0();
      await deliver(t, makeJoinEvent({ groupId, timestamp: at }));
      await deliver(t, makeJoinEvent({ groupId, timestamp: at + 2000 }));
      await deliver(t, makeLeaveEvent({ groupId, timestamp: at + 1000 }));
      expect(await channels.get(groupId)).toMatchObject({ status: 'active', enabledAt: new Date(at + 2000) });
    });

    it('keeps a chat closed when its join arrives after a newer leave', async () => {
      const groupId = randomGroupId();
      fake.addGroup({ groupId, members: [user('Hal')] });
      const at = t0();
      await deliver(t, makeJoinEvent({ groupId, timestamp: at }));
      await deliver(t, makeLeaveEvent({ groupId, timestamp: at + 1000 }));
      await deliver(t, makeLeaveEvent({ groupId, timestamp: at + 3000 }));
      await deliver(t, makeJoinEvent({ groupId, timestamp: at + 2000 }));
      expect(await channels.get(groupId)).toMatchObject({
        status: 'disabled',
        disabledAt: new Date(at + 3000),
      });
    });

    it('keeps a 1:1 chat open when an unfollow arrives after the newer follow (block, unblock)', async () => {
      const una = user('Una');
      fake.addUser(una);
      const at = t0();
      await deliver(t, makeFollowEvent({ userId: una.userId, timestamp: at }));
      await deliver(t, makeFollowEvent({ userId: una.userId, timestamp: at + 2000, isUnblocked: true }));
      await deliver(t, makeUnfollowEvent({ userId: una.userId, timestamp: at + 1000 }));
      expect(await channels.get(una.userId)).toMatchObject({ status: 'active' });
    });

    it('keeps a member in when their memberLeft arrives after a newer memberJoined', async () => {
      const groupId = randomGroupId();
      const kim = user('Kim');
      fake.addGroup({ groupId, members: [kim] });
      const at = t0();
      await deliver(t, makeMemberJoinedEvent({ groupId, userIds: [kim.userId], timestamp: at }));
      await deliver(t, makeMemberJoinedEvent({ groupId, userIds: [kim.userId], timestamp: at + 2000 }));
      await deliver(t, makeMemberLeftEvent({ groupId, userIds: [kim.userId], timestamp: at + 1000 }));
      expect(await members.find(groupId, kim.userId)).toMatchObject({
        status: 'active',
        joinedAt: new Date(at + 2000),
        leftAt: null,
      });
    });

    it('keeps a member out when their memberJoined arrives after a newer memberLeft', async () => {
      const groupId = randomGroupId();
      const lee = user('Lee');
      fake.addGroup({ groupId, members: [] });
      const at = t0();
      await deliver(t, makeMemberLeftEvent({ groupId, userIds: [lee.userId], timestamp: at }));
      await deliver(t, makeMemberLeftEvent({ groupId, userIds: [lee.userId], timestamp: at + 2000 }));
      await deliver(t, makeMemberJoinedEvent({ groupId, userIds: [lee.userId], timestamp: at + 1000 }));
      expect(await members.find(groupId, lee.userId)).toMatchObject({
        status: 'left',
        leftAt: new Date(at + 2000),
      });
    });

    it('lets a sync of the member list not undo what memberLeft and memberJoined did while it ran', async () => {
      const groupId = randomGroupId();
      const [amy, uli, bo] = [user('Amy'), user('Uli'), user('Bo')];
      fake.addGroup({ groupId, members: [amy, uli] });
      await deliver(t, makeJoinEvent({ groupId }));
      // LINE lists Amy and Bo: Uli has just left; Bo joined (both events are on their way).
      fake.removeMember(groupId, uli.userId);
      fake.addMember(groupId, bo);
      const boProfile = `/v2/bot/group/${groupId}/member/${bo.userId}`;
      fake.failNext('GET', boProfile, 'timeout');
      const sync = channels.refreshFromLine(groupId);
      await waitFor(() => fake.requestsTo('GET', boProfile).length > 0, {
        what: "the sync to ask for Bo's profile",
      });
      // While the sync waits for LINE, Uli leaves and comes back, and the events are processed.
      const now = Date.now();
      await deliver(t, makeMemberLeftEvent({ groupId, userIds: [uli.userId], timestamp: now - 500 }));
      fake.addMember(groupId, uli);
      await deliver(t, makeMemberJoinedEvent({ groupId, userIds: [uli.userId], timestamp: now - 100 }));
      expect((await channels.get(groupId))?.memberCount).toBe(3);
      const result = await sync;
      expect(await members.find(groupId, uli.userId)).toMatchObject({ status: 'active' });
      expect(result.members.left).toBe(0);
      expect((await channels.get(groupId))?.memberCount).toBe(3);
    });

    it('reads the profile again on a follow: a user who was not a friend gets their name', async () => {
      const sam = user('Sam');
      const at = t0();
      await deliver(t, makeFollowEvent({ userId: sam.userId, timestamp: at }));
      expect(await channels.get(sam.userId)).toMatchObject({ name: null });
      fake.addUser(sam);
      await deliver(t, makeUnfollowEvent({ userId: sam.userId, timestamp: at + 1000 }));
      await deliver(t, makeFollowEvent({ userId: sam.userId, timestamp: at + 2000, isUnblocked: true }));
      expect(await channels.get(sam.userId)).toMatchObject({ status: 'active', name: 'Sam' });
    });
  });
});

describe('webhook events: profile fetches that time out', () => {
  let fake: FakeLine;
  let t: TestApp;
  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({
      lineBaseUrl: fake.url,
      env: { WEBHOOK_REORDER_WINDOW_MS: '0', LINE_TIMEOUT_MS: '200', LINE_MAX_RETRIES: '1' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  it('stores the member without a profile after timeouts, then fetches it when LINE answers', async () => {
    const groupId = randomGroupId();
    const zoe = user('Zoe');
    fake.addGroup({ groupId, members: [zoe], memberIdsForbidden: true });
    await deliver(t, makeJoinEvent({ groupId }));
    fake.failNext('GET', new RegExp(`/member/${zoe.userId}$`), 'timeout', 2);
    await deliver(t, makeTextEvent({ text: 'hi', groupId, userId: zoe.userId }));
    const members = t.app.get(MembersService);
    expect(await members.find(groupId, zoe.userId)).toMatchObject({ status: 'active', displayName: null });
    const [row] = (await inboxRows(t)).slice(-1);
    expect(row.state).toBe('done');
    await deliver(t, makeTextEvent({ text: 'hi again', groupId, userId: zoe.userId }));
    expect(await members.find(groupId, zoe.userId)).toMatchObject({ displayName: 'Zoe' });
  });
});

describe('webhook events: a first read of a chat that LINE cuts short', () => {
  let fake: FakeLine;
  let t: TestApp;
  let channels: ChannelsService;
  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({
      lineBaseUrl: fake.url,
      env: {
        WEBHOOK_REORDER_WINDOW_MS: '0',
        LINE_MAX_RETRIES: '0',
        LINE_TIMEOUT_MS: '200',
        CHAT_READ_RETRY_SECONDS: '2',
      },
    });
    channels = t.app.get(ChannelsService);
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  const summaryPath = (groupId: string) => `/v2/bot/group/${groupId}/summary`;
  const say = (groupId: string, userId: string, text: string) =>
    deliver(t, makeTextEvent({ text, groupId, userId }));

  it('reads the group again from a later message once CHAT_READ_RETRY_SECONDS has passed, not before', async () => {
    const groupId = randomGroupId();
    const ada = user('Ada');
    fake.addGroup({ groupId, groupName: 'Night market', members: [ada, user('Ben')] });
    fake.failNext('GET', summaryPath(groupId), { status: 500 });
    await deliver(t, makeJoinEvent({ groupId }));
    expect(await channels.get(groupId)).toMatchObject({ name: null, memberCount: 2, lineReadAt: null });

    await say(groupId, ada.userId, 'anyone here?');
    expect(fake.requestsTo('GET', summaryPath(groupId))).toHaveLength(1);

    await pause(2100);
    await say(groupId, ada.userId, 'hello?');
    const read = await channels.get(groupId);
    expect(read).toMatchObject({ name: 'Night market', memberCount: 2 });
    expect(read!.lineReadAt).not.toBeNull();
    await say(groupId, ada.userId, 'good');
    expect(fake.requestsTo('GET', summaryPath(groupId)).map((r) => r.status)).toEqual([500, 200]);
  });

  it('waits twice as long after a second cut-short read', async () => {
    const groupId = randomGroupId();
    const ada = user('Ada');
    fake.addGroup({ groupId, groupName: 'Slow to answer', members: [ada] });
    fake.failNext('GET', summaryPath(groupId), 'timeout', 2);
    await deliver(t, makeJoinEvent({ groupId }));
    await pause(2100);
    await say(groupId, ada.userId, 'second read, cut short again');
    expect(fake.requestsTo('GET', summaryPath(groupId))).toHaveLength(2);

    await pause(1000);
    await say(groupId, ada.userId, 'after the first wait, within the doubled one');
    expect(fake.requestsTo('GET', summaryPath(groupId))).toHaveLength(2);
    expect((await channels.get(groupId))?.lineReadAt).toBeNull();

    await pause(3200);
    await say(groupId, ada.userId, 'after it');
    expect((await channels.get(groupId))?.name).toBe('Slow to answer');
  });

  it('counts a read as finished when LINE refuses for good (403 on member ids, 404 on the count)', async () => {
    const groupId = randomGroupId();
    const ada = user('Ada');
    fake.addGroup({ groupId, groupName: 'Unverified', members: [ada], memberIdsForbidden: true });
    fake.failNext('GET', `/v2/bot/group/${groupId}/members/count`, { status: 404 });
    await deliver(t, makeJoinEvent({ groupId }));
    expect((await channels.get(groupId))?.lineReadAt).not.toBeNull();
    await say(groupId, ada.userId, 'hi');
    expect(fake.requestsTo('GET', summaryPath(groupId))).toHaveLength(1);
  });
});
