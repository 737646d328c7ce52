import { makeTextEvent, randomUserId } from './fake-line/events';
import { FakeLine, FakeUser } from './fake-line/fake-line';
import { postWebhook } from './fake-line/webhook';
import { inboxRows, refusePoisonArchiving, waitForInboxDrained } from './support/inbox';
import { addBotToGroup, bearer, makeMember, signIn } from './support/sign-in';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const person = (displayName: string): FakeUser => ({ userId: randomUserId(), displayName });

describe('/api/channels/:channelId/failed-events', () => {
  let fake: FakeLine;
  let t: TestApp;
  const [owner, admin, member] = [person('Owner'), person('Admin'), person('Member')];
  const tok: Record<string, string> = {};
  let groupA: string;
  let groupB: string;

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({
      lineBaseUrl: fake.url,
      // One attempt: an event fails for good at once. No scan within the test: what the API puts
      // back runs because the worker is told at once.
      env: {
        WEBHOOK_MAX_ATTEMPTS: '1',
        WEBHOOK_REORDER_WINDOW_MS: '0',
        WEBHOOK_POLL_INTERVAL_MS: '600000',
        LOGIN_RATE_LIMIT: '1000',
      },
    });
    groupA = await addBotToGroup(t, fake, [owner, admin, member]);
    groupB = await addBotToGroup(t, fake, [owner]);
    for (const u of [owner, admin, member])
      tok[u.displayName] = await signIn(t, fake, u.userId, u.displayName);
    await makeMember(t, fake, { groupId: groupA, user: owner, role: 'owner' });
    await makeMember(t, fake, { groupId: groupA, user: admin, role: 'admin', actorToken: tok.Owner });
    await makeMember(t, fake, { groupId: groupA, user: member, role: 'member' });
    await makeMember(t, fake, { groupId: groupB, user: owner, role: 'owner' });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  const rowOf = async (webhookEventId: string) =>
    (await inboxRows(t)).find((r) => r.webhookEventId === webhookEventId)!;
  const list = (groupId: string, token: string) =>
    t.http().get(`/api/channels/${groupId}/failed-events`).set(bearer(token));
  const retry = (groupId: string, token: string, body: object) =>
    t.http().post(`/api/channels/${groupId}/failed-events/retry`).set(bearer(token)).send(body);

  /** Messages the archive refuses, so that their events fail for good. */
  async function failMessages(...sent: Array<{ groupId: string; userId: string }>): Promise<string[]> {
    const allow = await refusePoisonArchiving(t);
    try {
      const events = sent.map((s, i) => makeTextEvent({ ...s, text: `poison ${i}` }));
      await postWebhook(t, events).expect(200);
      await waitForInboxDrained(t);
      return events.map((e) => e.webhookEventId);
    } finally {
      await allow();
    }
  }

  it("lists a chat's failed events for its owner and admins only, and puts them back", async () => {
    const [a1, b1] = await failMessages(
      { groupId: groupA, userId: member.userId },
      { groupId: groupB, userId: owner.userId },
    );
    expect((await rowOf(a1)).state).toBe('failed');

    expect((await list(groupA, tok.Member).expect(403)).body).toEqual({ error: 'Permission denied' });
    const listed = (await list(groupA, tok.Admin).expect(200)).body as { events: Record<string, unknown>[] };
    const failed = await rowOf(a1);
    expect(listed.events).toEqual([
      {
        webhookEventId: a1,
        type: 'message',
        receivedAt: failed.receivedAt.toISOString(),
        failedAt: failed.processedAt!.toISOString(),
        attempts: 1,
        lastError: expect.stringContaining('refused'),
      },
    ]);

    // Another chat's failed event and an unknown id are not this chat's to put back.
    const res = await retry(groupA, tok.Admin, { webhookEventIds: [a1, b1, 'NOSUCHEVENT'] }).expect(200);
    expect(res.body).toEqual({ retried: [a1], notFound: [b1, 'NOSUCHEVENT'] });
    await waitFor(async () => (await rowOf(a1)).state === 'done', { what: 'the retried event' });
    expect(await rowOf(a1)).toMatchObject({ state: 'done', attempts: 0 });
    expect((await rowOf(b1)).state).toBe('failed');
    expect((await list(groupA, tok.Admin).expect(200)).body).toEqual({ events: [] });

    const audit = await t.http().get(`/api/channels/${groupA}/audit`).set(bearer(tok.Owner)).expect(200);
    expect(audit.body.entries[0]).toMatchObject({
      actor: admin.userId,
      action: 'events.retry',
      after: { webhookEventIds: [a1] },
    });

    // Without ids: every failed event of the chat, here group B's, by its owner.
    expect((await retry(groupB, tok.Owner, {}).expect(200)).body).toEqual({ retried: [b1], notFound: [] });
    await waitFor(async () => (await rowOf(b1)).state === 'done', { what: 'the retried event' });
  });

  it('refuses bad input with a clear error', async () => {
    const bad = async (body: object, error: string) =>
      expect((await retry(groupA, tok.Owner, body).expect(400)).body).toEqual({ error });
    await bad({ webhookEventIds: [] }, 'webhookEventIds must contain at least 1 elements');
    await bad({ webhookEventIds: 'x' }, 'webhookEventIds must be an array');
    await bad({ webhookEventIds: ['has space'] }, 'webhookEventIds must hold webhookEventIds');
    await bad({ all: true }, 'property all should not exist');
    const text = await t
      .http()
      .post(`/api/channels/${groupA}/failed-events/retry`)
      .set(bearer(tok.Owner))
      .set('Content-Type', 'text/plain')
      .send('x');
    expect([text.status, text.body]).toEqual([415, { error: 'Content-Type must be application/json' }]);
    expect((await list(groupA, tok.Owner).query({ limit: 0 }).expect(400)).body).toEqual({
      error: 'limit must not be less than 1',
    });
  });

  it('documents both routes with their error answers in OpenAPI', async () => {
    const doc = (await t.http().get('/api/docs/openapi.json').expect(200)).body;
    const routes: Array<[string, string, string[]]> = [
      ['/api/channels/{channelId}/failed-events', 'get', ['200', '400', '401', '403', '404']],
      ['/api/channels/{channelId}/failed-events/retry', 'post', ['200', '400', '401', '403', '404', '415']],
    ];
    for (const [path, method, statuses] of routes) {
      const op = doc.paths[path]?.[method];
      expect(Object.keys(op?.responses ?? {}).sort()).toEqual([...statuses].sort());
      expect(op.security).toEqual([{ bearer: [] }]);
    }
  });
});
