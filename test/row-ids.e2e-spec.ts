import { DataSource } from 'typeorm';
import { FakeLine } from './fake-line/fake-line';
import { makeImageEvent, makeTextEvent, makeUnsendEvent, makeUsers } from './fake-line/events';
import { postWebhook } from './fake-line/webhook';
import { inboxRows, waitForInboxDrained } from './support/inbox';
import { addBotToGroup, bearer, makeMember, signIn } from './support/sign-in';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** Past a signed 32-bit INT (2,147,483,647) and an unsigned one: where an INT id column stops. */
const NEXT_ID = 5_000_000_000;
const GROWING = ['webhook_events', 'members', 'backup_messages', 'backup_media'];

/** The next id each growing table hands out, as a long-running instance would have it. */
async function advanceIds(ds: DataSource): Promise<void> {
  for (const table of GROWING) {
    if (ds.options.type === 'mysql') {
      await ds.query(`ALTER TABLE ${table} AUTO_INCREMENT = ${NEXT_ID}`);
    } else {
      await ds.query('DELETE FROM sqlite_sequence WHERE name = ?', [table]);
      await ds.query('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)', [table, NEXT_ID - 1]);
    }
  }
}

describe('row ids past 32 bits', () => {
  let fake: FakeLine;
  let t: TestApp;
  const [owner, alice] = makeUsers(['Owner', 'Alice 愛麗絲']);

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({ lineBaseUrl: fake.url });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  it('keeps storing events, members, messages and media, and finds them again', async () => {
    const ds = t.app.get(DataSource);
    await advanceIds(ds);
    const token = await signIn(t, fake, owner.userId, owner.displayName);
    const groupId = await addBotToGroup(t, fake, [owner, alice]);
    await makeMember(t, fake, { groupId, user: owner, role: 'owner' });

    const text = makeTextEvent({ groupId, userId: alice.userId, text: '明天野餐 picnic' });
    const image = makeImageEvent({ groupId, userId: alice.userId, timestamp: text.timestamp + 1 });
    const gone = makeTextEvent({
      groupId,
      userId: alice.userId,
      text: 'oops',
      timestamp: text.timestamp + 2,
    });
    fake.setContent(image.message.id, { body: Buffer.from('png bytes'), contentType: 'image/png' });
    await postWebhook(t, [text, image, gone]).expect(200);
    await postWebhook(t, [text]).expect(200);
    await postWebhook(t, [
      makeUnsendEvent({ groupId, userId: alice.userId, messageId: gone.message.id }),
    ]).expect(200);
    await waitForInboxDrained(t);

    const inbox = await inboxRows(t);
    expect(inbox.filter((r) => r.state !== 'done')).toEqual([]);
    expect(inbox.map((r) => r.webhookEventId).filter((id) => id === text.webhookEventId)).toHaveLength(1);
    expect(inbox.every((r) => typeof r.id === 'number' && r.id >= NEXT_ID)).toBe(true);
    const [member] = await ds.query('SELECT id FROM members WHERE channel_id = ? AND user_id = ?', [
      groupId,
      alice.userId,
    ]);
    expect(Number(member.id)).toBeGreaterThanOrEqual(NEXT_ID);

    const list = (query: Record<string, string | number>) =>
      t.http().get(`/api/channels/${groupId}/messages`).query(query).set(bearer(token)).expect(200);
    const stored = await waitFor(
      async () => {
        const { body } = await list({ limit: 50 });
        const img = body.messages.find((m: { messageId: string }) => m.messageId === image.message.id);
        return img?.content?.status === 'stored' ? body.messages : undefined;
      },
      { what: 'the image to be stored' },
    );
    const byId = new Map(stored.map((m: { messageId: string }) => [m.messageId, m]));
    expect([...byId.keys()]).toEqual(
      expect.arrayContaining([text.message.id, image.message.id, gone.message.id]),
    );
    expect(byId.get(gone.message.id)).toHaveProperty('unsentAt');
    const pks = await ds.query('SELECT id FROM backup_messages WHERE channel_id = ?', [groupId]);
    expect(pks.every((r: { id: unknown }) => Number(r.id) >= NEXT_ID)).toBe(true);

    const content = await t
      .http()
      .get(`/api/channels/${groupId}/messages/${image.message.id}/content`)
      .set(bearer(token))
      .expect(200);
    expect(Buffer.from(content.body).toString()).toBe('png bytes');

    const found = await waitFor(
      async () => {
        const { body } = await list({ q: '野餐' });
        return body.messages.length ? body.messages : undefined;
      },
      { what: 'the search index to take the message' },
    );
    expect(found.map((m: { messageId: string }) => m.messageId)).toEqual([text.message.id]);
  });
});
