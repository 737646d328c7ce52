import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { RetentionService } from '../src/backup/retention.service';
import { FakeLine } from './fake-line/fake-line';
import {
  makeImageEvent,
  makeMemberJoinedEvent,
  makeTextEvent,
  makeUnsendEvent,
  makeUsers,
} from './fake-line/events';
import { postWebhook } from './fake-line/webhook';
import { waitForInboxDrained } from './support/inbox';
import { orphanIndexEntries } from './support/search-index';
import { addBotToGroup, bearer, makeMember, signIn } from './support/sign-in';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const DAY = 86_400_000;
type Msg = { messageId: string | null; type: string; text?: string; content?: { status: string } };

describe('backup: retention', () => {
  let fake: FakeLine;
  let t: TestApp;
  let token: string;
  const [owner, alice] = makeUsers(['Owner', 'Alice']);

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({ lineBaseUrl: fake.url });
    token = await signIn(t, fake, owner.userId, owner.displayName);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const stored = (b: Buffer) =>
    existsSync(join(t.settings.dataDir, 'media', sha(b).slice(0, 2), sha(b).slice(2, 4), sha(b)));

  async function group(retentionDays: number | null): Promise<string> {
    const groupId = await addBotToGroup(t, fake, [owner, alice]);
    await makeMember(t, fake, { groupId, user: owner, role: 'owner' });
    const res = await t
      .http()
      .patch(`/api/channels/${groupId}/config`)
      .set(bearer(token))
      .send({ backup: { retentionDays } });
    expect(res.status).toBe(200);
    return groupId;
  }

  async function list(groupId: string, q?: string): Promise<Msg[]> {
    const res = await t
      .http()
      .get(`/api/channels/${groupId}/messages`)
      .query({ limit: 500, ...(q ? { q } : {}) })
      .set(bearer(token));
    expect(res.status).toBe(200);
    return res.body.messages;
  }

  it('deletes entries older than retentionDays, their search terms and the media nothing refers to any more', async () => {
    const now = Date.now();
    const kept = await group(null);
    const trimmed = await group(30);
    const bytes = {
      oldOnly: Buffer.from('old only'),
      shared: Buffer.from('shared'),
      unsent: Buffer.from('unsent image'),
    };
    const old = now - 40 * DAY;
    const oldText = makeTextEvent({
      groupId: trimmed,
      userId: alice.userId,
      text: '很久以前的野餐',
      timestamp: old,
    });
    const oldImage = makeImageEvent({ groupId: trimmed, userId: alice.userId, timestamp: old + 1 });
    const oldShared = makeImageEvent({ groupId: trimmed, userId: alice.userId, timestamp: old + 2 });
    const oldJoin = makeMemberJoinedEvent({ groupId: trimmed, userIds: [alice.userId], timestamp: old + 3 });
    const recentText = makeTextEvent({
      groupId: trimmed,
      userId: alice.userId,
      text: '最近的野餐',
      timestamp: now - DAY,
    });
    const keptOld = makeTextEvent({
      groupId: kept,
      userId: alice.userId,
      text: '永遠的野餐',
      timestamp: old,
    });
    const keptShared = makeImageEvent({ groupId: kept, userId: alice.userId, timestamp: old });
    const unsentImage = makeImageEvent({ groupId: kept, userId: alice.userId });
    fake.setContent(oldImage.message.id, { body: bytes.oldOnly, contentType: 'image/jpeg' });
    fake.setContent(oldShared.message.id, { body: bytes.shared, contentType: 'image/jpeg' });
    fake.setContent(keptShared.message.id, { body: bytes.shared, contentType: 'image/jpeg' });
    fake.setContent(unsentImage.message.id, { body: bytes.unsent, contentType: 'image/jpeg' });
    await postWebhook(t, [
      oldText,
      oldImage,
      oldShared,
      oldJoin,
      recentText,
      keptOld,
      keptShared,
      unsentImage,
    ]).expect(200);
    await waitForInboxDrained(t);
    await waitFor(() => stored(bytes.oldOnly) && stored(bytes.shared) && stored(bytes.unsent), {
      what: 'the media',
    });
    await waitFor(async () => (await list(kept)).filter((m) => m.content?.status === 'stored').length === 2, {
      what: 'the media rows',
    });
    // An unsent image whose content is deleted leaves its bytes to the sweep.
    await t
      .http()
      .patch(`/api/channels/${kept}/config`)
      .set(bearer(token))
      .send({ backup: { keepUnsent: false } })
      .expect(200);
    await postWebhook(
      t,
      makeUnsendEvent({ groupId: kept, userId: alice.userId, messageId: unsentImage.message.id }),
    ).expect(200);
    await waitForInboxDrained(t);
    const keptBefore = (await list(kept)).length;

    // A run "now" keeps fresh media files (a download might be about to use them), then a run later.
    const retention = t.app.get(RetentionService);
    expect(await retention.run(new Date(now))).toMatchObject({ messagesDeleted: 4, mediaFilesDeleted: 0 });
    expect(stored(bytes.oldOnly)).toBe(true);
    expect(await retention.run(new Date(now + 2 * 3600_000))).toEqual({
      messagesDeleted: 0,
      mediaFilesDeleted: 2,
    });

    const left = await list(trimmed);
    expect(left.map((m) => m.messageId)).not.toEqual(
      expect.arrayContaining([oldText.message.id, oldImage.message.id, oldShared.message.id]),
    );
    expect(left.some((m) => m.type === 'memberJoined')).toBe(false);
    expect(left.map((m) => m.text)).toContain('最近的野餐');
    expect((await list(trimmed, '野餐')).map((m) => m.text)).toEqual(['最近的野餐']);
    expect(await list(kept)).toHaveLength(keptBefore);
    expect((await list(kept, '野餐')).map((m) => m.text)).toEqual(['永遠的野餐']);
    expect(stored(bytes.oldOnly)).toBe(false);
    expect(stored(bytes.shared)).toBe(true);
    expect(stored(bytes.unsent)).toBe(false);
    const shared = await t
      .http()
      .get(`/api/channels/${kept}/messages/${keptShared.message.id}/content`)
      .set(bearer(token));
    expect(shared.status).toBe(200);
    // Nothing of the deleted messages is left in the search index.
    expect(await orphanIndexEntries(t.app.get(DataSource))).toBe(0);
  });
});
