import type { FakeLine, FakeUser } from '../fake-line/fake-line';
import { makeJoinEvent, makeMemberLeftEvent, makeTextEvent, randomGroupId } from '../fake-line/events';
import { postWebhook } from '../fake-line/webhook';
import { waitForInboxDrained } from './inbox';
import type { TestApp } from './test-app';
import { waitFor } from './wait-for';

/** A code as the bot sends it: the second message of the /login reply, alone. */
const CODE = /^[A-Z2-9]{8}$/;

/**
 * Sends `/login` (or `text`) to the bot in a 1:1 chat through a signed webhook and answers the code
 * the bot replied with, read from what the fake LINE platform recorded.
 */
export async function requestLoginCode(
  t: TestApp,
  fake: FakeLine,
  userId: string,
  text = '/login',
): Promise<string> {
  const event = makeTextEvent({ text, userId });
  await postWebhook(t, event).expect(200);
  const reply = await waitFor(() => fake.replyFor(event), { what: `the /login reply to ${userId}` });
  const code = reply.messages
    .map((m) => m.text)
    .find((s): s is string => typeof s === 'string' && CODE.test(s));
  if (!code) throw new Error(`No code in the /login reply: ${JSON.stringify(reply.messages)}`);
  return code;
}

/**
 * Signs a user in the way a person does: `/login` in a 1:1 chat, then the code at
 * POST /api/auth/login. The user becomes a friend of the bot on the fake platform first.
 * Answers the access token.
 */
export async function signIn(
  t: TestApp,
  fake: FakeLine,
  userId: string,
  displayName = `User ${userId.slice(1, 7)}`,
): Promise<string> {
  fake.addUser({ userId, displayName });
  const code = await requestLoginCode(t, fake, userId);
  const res = await t.http().post('/api/auth/login').send({ code });
  if (res.status !== 200)
    throw new Error(`Sign-in of ${userId} answered ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.accessToken as string;
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** The bot joins a new group on the fake platform (with these members there); answers its id. */
export async function addBotToGroup(
  t: TestApp,
  fake: FakeLine,
  members: FakeUser[] = [],
  groupName = 'Test group',
): Promise<string> {
  const groupId = randomGroupId();
  fake.addGroup({ groupId, groupName, members });
  await postWebhook(t, makeJoinEvent({ groupId })).expect(200);
  await waitForInboxDrained(t);
  return groupId;
}

/** The user writes in the group, so the bot knows them as an active member. */
export async function speakInGroup(
  t: TestApp,
  fake: FakeLine,
  groupId: string,
  user: FakeUser,
): Promise<void> {
  if (!fake.chat(groupId).members.some((m) => m.userId === user.userId)) fake.addMember(groupId, user);
  await postWebhook(t, makeTextEvent({ text: 'hello', groupId, userId: user.userId })).expect(200);
  await waitForInboxDrained(t);
}

/** `/claim` in the group; answers the bot's reply text. */
export async function claimInGroup(
  t: TestApp,
  fake: FakeLine,
  groupId: string,
  userId: string,
): Promise<string> {
  const event = makeTextEvent({ text: '/claim', groupId, userId });
  await postWebhook(t, event).expect(200);
  const reply = await waitFor(() => fake.replyFor(event), { what: '/claim reply' });
  // Handlers after the command's (the archive) may still be running: the event is done when drained.
  await waitForInboxDrained(t);
  return String(reply.messages[0]?.text);
}

/** LINE tells the bot these users left the group. */
export async function leaveGroup(
  t: TestApp,
  fake: FakeLine,
  groupId: string,
  userIds: string[],
): Promise<void> {
  for (const userId of userIds) fake.removeMember(groupId, userId);
  await postWebhook(t, makeMemberLeftEvent({ groupId, userIds })).expect(200);
  await waitForInboxDrained(t);
}

export type MakeMemberRole = 'owner' | 'admin' | 'member' | 'left';

/**
 * A member of `groupId` with a role, made through the product's own paths: speaking in the group
 * (member), `/claim` (owner), PUT .../role by `actorToken` (admin), a memberLeft event (left).
 */
export async function makeMember(
  t: TestApp,
  fake: FakeLine,
  o: { groupId: string; user: FakeUser; role: MakeMemberRole; actorToken?: string },
): Promise<void> {
  await speakInGroup(t, fake, o.groupId, o.user);
  if (o.role === 'owner') {
    await claimInGroup(t, fake, o.groupId, o.user.userId);
  } else if (o.role === 'admin') {
    if (!o.actorToken) throw new Error('makeMember(admin) needs the token of an owner, admin or operator');
    const res = await t
      .http()
      .put(`/api/channels/${o.groupId}/members/${o.user.userId}/role`)
      .set(bearer(o.actorToken))
      .send({ role: 'admin' });
    if (res.status !== 200)
      throw new Error(`Making an admin answered ${res.status} ${JSON.stringify(res.body)}`);
  } else if (o.role === 'left') {
    await leaveGroup(t, fake, o.groupId, [o.user.userId]);
  }
}

/**
 * Moves the clock as if `ms` had passed (Date only: timers keep running, so the app and its
 * worker go on). Undo with `jest.useRealTimers()`.
 */
export function advanceClock(ms: number): void {
  jest.useFakeTimers({
    doNotFake: [
      'nextTick',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
      'queueMicrotask',
      'hrtime',
      'performance',
    ],
    now: Date.now() + ms,
  });
}
