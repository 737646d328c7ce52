import type { Language } from '../src/config/settings';
import { makeTextEvent, makeUsers, TextEvent } from './fake-line/events';
import { FakeLine, FakeUser } from './fake-line/fake-line';
import { postWebhook } from './fake-line/webhook';
import { waitForInboxDrained } from './support/inbox';
import { addBotToGroup, bearer, makeMember, signIn } from './support/sign-in';
import { createTestApp, TestApp, TestAppOptions } from './support/test-app';

/** One app on the fake LINE platform, with three signed-in people to put in groups. */
export interface AssistantWorld {
  t: TestApp;
  fake: FakeLine;
  owner: FakeUser;
  admin: FakeUser;
  member: FakeUser;
  tokens: { owner: string; admin: string; member: string };
  close(): Promise<void>;
}

/** Starts a fake LINE platform too, unless `fake` is given (then it is left running on close). */
export async function startWorld(options: TestAppOptions = {}, shared?: FakeLine): Promise<AssistantWorld> {
  const fake = shared ?? (await FakeLine.start());
  const t = await createTestApp({
    ...options,
    lineBaseUrl: fake.url,
    env: { WEBHOOK_REORDER_WINDOW_MS: '0', LOGIN_RATE_LIMIT: '1000', ...options.env },
  });
  const [owner, admin, member] = makeUsers(['王小明', '佐藤花子', 'Somchai']);
  const tokens = {
    owner: await signIn(t, fake, owner.userId, owner.displayName),
    admin: await signIn(t, fake, admin.userId, admin.displayName),
    member: await signIn(t, fake, member.userId, member.displayName),
  };
  return {
    t,
    fake,
    owner,
    admin,
    member,
    tokens,
    close: async () => {
      await t.close();
      if (!shared) await fake.stop();
    },
  };
}

/**
 * A new group with the bot in it: owner (by /claim), admin (set by the owner) and member, all active.
 * The channel speaks `language`.
 */
export async function newGroup(
  w: AssistantWorld,
  language: Language = 'zh-TW',
  groupName = '讀書會',
): Promise<string> {
  const groupId = await addBotToGroup(w.t, w.fake, [], groupName);
  await makeMember(w.t, w.fake, { groupId, user: w.owner, role: 'owner' });
  await makeMember(w.t, w.fake, { groupId, user: w.admin, role: 'admin', actorToken: w.tokens.owner });
  await makeMember(w.t, w.fake, { groupId, user: w.member, role: 'member' });
  if (language !== 'zh-TW') await patchConfig(w, groupId, { language });
  return groupId;
}

export async function patchConfig(w: AssistantWorld, groupId: string, patch: object): Promise<void> {
  const res = await w.t
    .http()
    .patch(`/api/channels/${groupId}/config`)
    .set(bearer(w.tokens.owner))
    .send(patch);
  if (res.status !== 200) throw new Error(`PATCH config answered ${res.status} ${JSON.stringify(res.body)}`);
}

/** Posts the events as LINE would and waits until the bot has processed them. */
export async function deliver(w: AssistantWorld, ...events: object[]): Promise<void> {
  await postWebhook(w.t, events).expect(200);
  await waitForInboxDrained(w.t);
}

/** Someone writes `text` in the group; answers the event (for fake.replyFor). */
export async function say(
  w: AssistantWorld,
  groupId: string,
  user: FakeUser,
  text: string,
  extra: { timestamp?: number } = {},
): Promise<TextEvent> {
  const event = makeTextEvent({ text, groupId, userId: user.userId, ...extra });
  await deliver(w, event);
  return event;
}

/** The texts of the bot's reply to `event` ([] when it stayed silent). */
export function replyTexts(w: AssistantWorld, event: { replyToken?: string }): string[] {
  return (w.fake.replyFor(event)?.messages ?? []).map((m) => String(m.text));
}

export const api = (w: AssistantWorld, token: string) => ({
  get: (path: string) => w.t.http().get(path).set(bearer(token)),
  post: (path: string, body?: object) => w.t.http().post(path).set(bearer(token)).send(body),
  put: (path: string, body?: object) => w.t.http().put(path).set(bearer(token)).send(body),
  delete: (path: string) => w.t.http().delete(path).set(bearer(token)),
});
