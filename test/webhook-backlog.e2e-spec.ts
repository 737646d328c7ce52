import type { webhook } from '@line/bot-sdk';
import { EventDispatcher } from '../src/webhook/event-dispatcher';
import { InboxBacklog } from '../src/webhook/inbox-backlog';
import { makeTextEvent, randomGroupId } from './fake-line/events';
import { FakeLine } from './fake-line/fake-line';
import { postWebhook } from './fake-line/webhook';
import { inboxRows, waitForInboxDrained } from './support/inbox';
import { createTestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const textOf = (event: webhook.Event) =>
  event.type === 'message' && event.message.type === 'text' ? event.message.text : '';

/** An app whose handler holds every event whose text starts with "hold" until `release()`. */
async function appHolding(fake: FakeLine, env: Record<string, string>) {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const started: string[] = [];
  const t = await createTestApp({
    lineBaseUrl: fake.url,
    env: { WEBHOOK_REORDER_WINDOW_MS: '0', ...env },
  });
  t.app.get(EventDispatcher).on(
    'message',
    'test.hold',
    async (event) => {
      started.push(textOf(event));
      if (textOf(event).startsWith('hold')) await held;
    },
    100,
  );
  const close = async () => {
    release();
    await t.close();
  };
  return { t, release, started, close };
}

describe('webhooks wait while the inbox backlog is over its limit', () => {
  let fake: FakeLine;
  beforeAll(async () => (fake = await FakeLine.start()));
  afterAll(() => fake.stop());

  it('holds a webhook until processing makes room, then stores and answers it: nothing is lost', async () => {
    const { t, release, started, close } = await appHolding(fake, {
      WEBHOOK_MAX_BACKLOG: '2',
      WEBHOOK_BACKLOG_WAIT_MS: '1000',
    });
    try {
      const group = randomGroupId();
      await postWebhook(t, [
        makeTextEvent({ text: 'hold 1', groupId: group }),
        makeTextEvent({ text: 'hold 2', groupId: group, timestamp: Date.now() + 1 }),
      ]).expect(200);
      await waitFor(() => started.includes('hold 1'));
      let done = false;
      const late = postWebhook(t, [makeTextEvent({ text: 'late', groupId: randomGroupId() })]).then((res) => {
        done = true;
        return res;
      });
      await new Promise((r) => setTimeout(r, 150));
      // Two events pending (one running, one behind it): the third waits, and is not stored yet.
      expect(done).toBe(false);
      expect(await inboxRows(t)).toHaveLength(2);
      const releasedAt = Date.now();
      release();
      expect((await late).status).toBe(200);
      // Let through by the room processing made, not by the longest wait (1 s from its sending).
      expect(Date.now() - releasedAt).toBeLessThan(500);
      await waitForInboxDrained(t);
      const rows = await inboxRows(t);
      expect(rows.map((r) => r.state)).toEqual(['done', 'done', 'done']);
      expect(started).toEqual(['hold 1', 'hold 2', 'late']);
    } finally {
      await close();
    }
  });

  it('stores and answers a webhook anyway after the longest wait', async () => {
    const { t, release, close } = await appHolding(fake, {
      WEBHOOK_MAX_BACKLOG: '1',
      WEBHOOK_BACKLOG_WAIT_MS: '200',
    });
    try {
      await postWebhook(t, [makeTextEvent({ text: 'hold', groupId: randomGroupId() })]).expect(200);
      const sentAt = Date.now();
      await postWebhook(t, [makeTextEvent({ text: 'waited', groupId: randomGroupId() })]).expect(200);
      const ms = Date.now() - sentAt;
      expect(ms).toBeGreaterThanOrEqual(190);
      expect(ms).toBeLessThan(1500);
      // Stored while the first still runs: the answer did not wait for processing.
      const rows = await inboxRows(t);
      expect(rows).toHaveLength(2);
      expect(rows[0].state).toBe('pending');
      release();
      await waitForInboxDrained(t);
    } finally {
      await close();
    }
  });

  it('holds nothing where this process does not drain the inbox (WEBHOOK_WORKER=off)', async () => {
    const { t, close } = await appHolding(fake, {
      WEBHOOK_WORKER: 'off',
      WEBHOOK_MAX_BACKLOG: '1',
      WEBHOOK_BACKLOG_WAIT_MS: '1000',
    });
    try {
      const sentAt = Date.now();
      for (let i = 0; i < 3; i++) {
        await postWebhook(t, [makeTextEvent({ text: `stored ${i}`, groupId: randomGroupId() })]).expect(200);
      }
      expect(Date.now() - sentAt).toBeLessThan(1000);
      expect(await inboxRows(t)).toHaveLength(3);
    } finally {
      await close();
    }
  });

  it('counts the rows another process stored or put back, so that their outcomes do not take its count below the truth', async () => {
    const { t, started, close } = await appHolding(fake, { WEBHOOK_POLL_INTERVAL_MS: '100' });
    // Another process on the same database (as the CLI's retry is): this one hears of its rows only by a scan.
    const other = await createTestApp({
      db: t.db,
      lineBaseUrl: fake.url,
      env: { WEBHOOK_WORKER: 'off', WEBHOOK_REORDER_WINDOW_MS: '0' },
    });
    try {
      const backlog = t.app.get(InboxBacklog);
      const held = randomGroupId();
      await postWebhook(t, [
        makeTextEvent({ text: 'hold 1', groupId: held }),
        makeTextEvent({ text: 'hold 2', groupId: held, timestamp: Date.now() + 1 }),
      ]).expect(200);
      await waitFor(() => started.includes('hold 1'));
      // A scan that overlapped the insert counts its rows twice until the next scan (see InboxBacklog).
      await waitFor(() => backlog.size === 2, { timeoutMs: 2000, what: 'a scan to count the two held rows' });

      const elsewhere = [1, 2, 3].map((i) =>
        makeTextEvent({ text: `elsewhere ${i}`, groupId: randomGroupId() }),
      );
      await postWebhook(other, elsewhere).expect(200);
      const ids = new Set(elsewhere.map((e) => e.webhookEventId));
      await waitFor(
        async () =>
          (await inboxRows(t)).filter((r) => ids.has(r.webhookEventId) && r.state === 'done').length === 3,
        { what: "this process to process the other's events" },
      );
      // Scans since: the two held rows are what is pending, not 2 - 3.
      await new Promise((r) => setTimeout(r, 300));
      expect(backlog.size).toBe(2);
    } finally {
      await other.close();
      await close();
    }
  });
});
