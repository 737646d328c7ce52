import { setTimeout as pause } from 'node:timers/promises';
import { EventDispatcher } from '../src/webhook/event-dispatcher';
import { makeTextEvent, randomGroupId, randomUserId, textOf } from './fake-line/events';
import { FakeLine } from './fake-line/fake-line';
import { postWebhook } from './fake-line/webhook';
import { inboxRows, waitForInboxDrained } from './support/inbox';
import { createTestApp, TestApp } from './support/test-app';
import { createTestDatabase, TestDatabase } from './support/test-database';

const TIMEOUT_MS = 300;

describe('inbox worker: a handler that does not finish (WEBHOOK_EVENT_TIMEOUT_MS)', () => {
  let fake: FakeLine;
  let t: TestApp;
  /** How often the slow handler was called, per text. */
  const calls = new Map<string, number>();
  /** Texts the handler after it saw, in order. */
  const seen: string[] = [];

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({
      lineBaseUrl: fake.url,
      env: {
        WEBHOOK_REORDER_WINDOW_MS: '0',
        WEBHOOK_EVENT_TIMEOUT_MS: String(TIMEOUT_MS),
        WEBHOOK_RETRY_BASE_MS: '20',
        WEBHOOK_RETRY_MAX_MS: '50',
        WEBHOOK_MAX_ATTEMPTS: '3',
      },
    });
    const d = t.app.get(EventDispatcher);
    d.on(
      'message',
      'test.slow',
      (event) => {
        const text = textOf(event);
        const n = (calls.get(text) ?? 0) + 1;
        calls.set(text, n);
        if (text.startsWith('hang')) return new Promise<void>(() => undefined);
        // Its first attempt finishes, but only after the deadline.
        if (text.startsWith('late') && n === 1) return pause(TIMEOUT_MS * 2);
        return Promise.resolve();
      },
      60,
    );
    d.on('message', 'test.seen', async (event) => void seen.push(textOf(event)), 61);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  const send = async (groupId: string, ...texts: string[]) => {
    const start = Date.now();
    const userId = randomUserId();
    const events = texts.map((text, i) => makeTextEvent({ text, groupId, userId, timestamp: start + i }));
    await postWebhook(t, events).expect(200);
    await waitForInboxDrained(t);
    const ids = new Set(events.map((e) => e.webhookEventId));
    return (await inboxRows(t)).filter((r) => ids.has(r.webhookEventId));
  };

  it('fails a handler that never finishes after its attempts, and its chat goes on in order', async () => {
    const [hung, next] = await send(randomGroupId(), 'hang forever', 'after it');
    expect(hung).toMatchObject({ state: 'failed', attempts: 3 });
    expect(hung.lastError).toContain(`did not finish within ${TIMEOUT_MS} ms`);
    expect(calls.get('hang forever')).toBe(3);
    expect(next.state).toBe('done');
    expect(seen.slice(-1)).toEqual(['after it']);
  });

  it('retries an attempt past the deadline; its late finish does not make the row pending again', async () => {
    const [row] = await send(randomGroupId(), 'late once');
    expect(row).toMatchObject({ state: 'done', attempts: 1 });
    expect(row.lastError).toContain('did not finish');
    // The first attempt's handler finishes now, after the retry's: nothing runs a third time.
    await pause(TIMEOUT_MS * 3);
    await waitForInboxDrained(t);
    const [again] = (await inboxRows(t)).filter((r) => r.id === row.id);
    expect(again).toMatchObject({ state: 'done', attempts: 1 });
    expect(calls.get('late once')).toBe(2);
    expect(seen.filter((s) => s === 'late once')).toHaveLength(1);
  });
});

describe('inbox worker: shutdown with a handler still running after the grace period', () => {
  let fake: FakeLine;
  let db: TestDatabase;
  const apps: TestApp[] = [];
  const start = async () => {
    const app = await createTestApp({
      db,
      lineBaseUrl: fake.url,
      env: { WEBHOOK_REORDER_WINDOW_MS: '0', WEBHOOK_SHUTDOWN_GRACE_MS: '100' },
    });
    apps.push(app);
    return app;
  };
  beforeAll(async () => {
    fake = await FakeLine.start();
    db = await createTestDatabase();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await fake?.stop();
    await db?.drop();
  });

  it('counts that attempt (as a crash would), and only that event: the next start runs both', async () => {
    const first = await start();
    let stuck!: () => void;
    const called = new Promise<void>((resolve) => (stuck = resolve));
    first.app.get(EventDispatcher).on(
      'message',
      'test.stuck',
      (event) => {
        if (textOf(event) !== 'stuck') return Promise.resolve();
        stuck();
        return new Promise<void>(() => undefined);
      },
      60,
    );
    const groupId = randomGroupId();
    const userId = randomUserId();
    const now = Date.now();
    const events = [
      makeTextEvent({ text: 'stuck', groupId, userId, timestamp: now }),
      makeTextEvent({ text: 'behind it', groupId, userId, timestamp: now + 1 }),
    ];
    await postWebhook(first, events).expect(200);
    await called;
    await first.close();

    const second = await start();
    await waitForInboxDrained(second);
    const ids = events.map((e) => e.webhookEventId);
    const rows = (await inboxRows(second)).filter((r) => ids.includes(r.webhookEventId));
    expect(rows.map((r) => [r.state, r.attempts])).toEqual([
      ['done', 1],
      ['done', 0],
    ]);
  });
});
