import { Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { makeTextEvent, randomGroupId, randomUserId } from './fake-line/events';
import { FakeLine } from './fake-line/fake-line';
import { webhookBody } from './fake-line/webhook';
import { postOnAgent } from './support/keep-alive-post';
import { inboxRows } from './support/inbox';
import { createTestApp } from './support/test-app';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { waitFor } from './support/wait-for';

const SENDERS = 8;
const GRACE_MS = 2000;
/** How long the senders keep going after the app began to close, if nothing stops them first. */
const GIVE_UP_MS = 15_000;

interface Sent {
  ids: string[];
  /** The HTTP status, or the error code of a request that got no answer (refused, reset). */
  outcome: number | string;
  at: number;
}

describe('POST /webhook while the app shuts down', () => {
  let fake: FakeLine;
  let db: TestDatabase;

  beforeAll(async () => {
    fake = await FakeLine.start();
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
    await fake?.stop();
  });

  it('closes while LINE keeps sending on open connections, answers 200 only what it stored, never an error', async () => {
    const env = { WEBHOOK_SHUTDOWN_GRACE_MS: String(GRACE_MS), WEBHOOK_REORDER_WINDOW_MS: '0' };
    const t = await createTestApp({ db, lineBaseUrl: fake.url, env });
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const agent = new Agent({ keepAlive: true, maxSockets: SENDERS });
    const groupId = randomGroupId();
    const sent: Sent[] = [];
    let giveUp = false;
    // Each sender posts back to back until the app no longer answers.
    const sender = async () => {
      while (!giveUp) {
        const events = [1, 2].map(() => makeTextEvent({ groupId, userId: randomUserId(), text: 'hello' }));
        const outcome = await postOnAgent(port, agent, webhookBody(events));
        sent.push({ ids: events.map((e) => e.webhookEventId), outcome, at: Date.now() });
        if (typeof outcome === 'string') return;
      }
    };
    const senders = Array.from({ length: SENDERS }, sender);
    await waitFor(() => sent.length >= 50, { what: 'webhooks answered before the close' });

    const closing = Date.now();
    const stopSenders = setTimeout(() => (giveUp = true), GIVE_UP_MS);
    await t.close();
    const closeMs = Date.now() - closing;
    await Promise.all(senders);
    clearTimeout(stopSenders);
    agent.destroy();

    // Shutdown waited for no sender to stop (twice the grace: the worker's, then the requests').
    expect(closeMs).toBeLessThan(2 * GRACE_MS + 1000);
    const answered = sent.filter((s) => typeof s.outcome === 'number');
    expect(answered.filter((s) => s.outcome !== 200)).toEqual([]);
    // Webhooks under way when the close began were answered, not cut off.
    expect(answered.filter((s) => s.at >= closing).length).toBeGreaterThan(0);
    // Every sender stopped because the server was gone, not because it gave up.
    expect(sent.filter((s) => typeof s.outcome === 'string')).toHaveLength(SENDERS);

    const again = await createTestApp({ db, lineBaseUrl: fake.url, env: { WEBHOOK_WORKER: 'off' } });
    try {
      const stored = new Set((await inboxRows(again)).map((r) => r.webhookEventId));
      const lost = answered.flatMap((s) => s.ids).filter((id) => !stored.has(id));
      expect(lost).toEqual([]);
    } finally {
      await again.close();
    }
  });
});
