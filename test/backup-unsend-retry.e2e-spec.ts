import { FakeLine } from './fake-line/fake-line';
import { makeTextEvent, makeUnsendEvent, makeUsers } from './fake-line/events';
import { postWebhook } from './fake-line/webhook';
import { inboxRows, refusePoisonArchiving, waitForInboxDrained } from './support/inbox';
import { addBotToGroup, bearer, makeMember, signIn } from './support/sign-in';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

describe('backup: an unsend whose message failed to be archived', () => {
  let fake: FakeLine;
  let t: TestApp;
  const [owner, alice] = makeUsers(['Owner', 'Alice']);
  let token: string;

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({
      lineBaseUrl: fake.url,
      env: { WEBHOOK_REORDER_WINDOW_MS: '0', WEBHOOK_RETRY_BASE_MS: '400', WEBHOOK_RETRY_MAX_MS: '400' },
    });
    token = await signIn(t, fake, owner.userId, owner.displayName);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  it('waits for the message to be archived on its retry, then deletes its content (keepUnsent off)', async () => {
    const groupId = await addBotToGroup(t, fake, [owner, alice]);
    await makeMember(t, fake, { groupId, user: owner, role: 'owner' });
    await t
      .http()
      .patch(`/api/channels/${groupId}/config`)
      .set(bearer(token))
      .send({ backup: { keepUnsent: false } })
      .expect(200);
    const allow = await refusePoisonArchiving(t);
    const message = makeTextEvent({ groupId, userId: alice.userId, text: 'poison: sent by mistake' });
    const unsend = {
      ...makeUnsendEvent({ groupId, userId: alice.userId, messageId: message.message.id }),
      timestamp: message.timestamp + 1,
    };
    await postWebhook(t, [message, unsend]).expect(200);
    const rowOf = async (id: string) => (await inboxRows(t)).find((r) => r.webhookEventId === id)!;
    await waitFor(async () => (await rowOf(message.webhookEventId)).attempts >= 1, {
      what: 'the message to fail once',
    });
    await allow();
    await waitForInboxDrained(t);

    expect((await rowOf(message.webhookEventId)).state).toBe('done');
    expect((await rowOf(unsend.webhookEventId)).state).toBe('done');
    const res = await t
      .http()
      .get(`/api/channels/${groupId}/messages`)
      .query({ type: 'text' })
      .set(bearer(token))
      .expect(200);
    const [stored] = res.body.messages;
    expect(stored).toMatchObject({
      messageId: message.message.id,
      unsentAt: new Date(unsend.timestamp).toISOString(),
    });
    expect(stored).not.toHaveProperty('text');
  });
});
