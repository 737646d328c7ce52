import { ChannelsService } from '../src/channels/channels.service';
import { MembersService } from '../src/members/members.service';
import { DataSource } from 'typeorm';
import { EventDispatcher } from '../src/webhook/event-dispatcher';
import { InboxEvent } from '../src/webhook/inbox-event.entity';
import { InboxStore } from '../src/webhook/inbox.store';
import { InboxWorker } from '../src/webhook/inbox-worker.service';
import { parseWebhookBody } from '../src/webhook/webhook-body';
import { makeJoinEvent, makeTextEvent, randomGroupId, randomUserId, textOf } from './fake-line/events';
import { FakeLine, FakeUser } from './fake-line/fake-line';
import { postWebhook } from './fake-line/webhook';
import { inboxRows, waitForInboxDrained } from './support/inbox';
import { dropIndexEntries, indexEntries, messagePk } from './support/search-index';
import { createTestApp, TestApp } from './support/test-app';
import { createTestDatabase, TestDatabase, testDbKind } from './support/test-database';
import { waitFor } from './support/wait-for';

/** Handlers of this suite and of the state module (other modules register theirs too). */
const mine = (name: string) => name.startsWith('test.') || name.startsWith('channels.');

/** Fisher-Yates with a fixed seed: a shuffle that is the same on every run. */
function shuffled<T>(items: T[], seed = 7): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('inbox worker: order, retries, concurrency', () => {
  let fake: FakeLine;
  let t: TestApp;
  /** Texts of message events as a handler after the state handlers saw them, per chat. */
  const observed = new Map<string, string[]>();
  /** How often a text must still fail before it succeeds (per text). */
  const failuresLeft = new Map<string, number>();
  /** Texts whose handler waits for this promise. */
  const gates = new Map<string, Promise<void>>();
  const beforeRuns = new Map<string, number>();

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({
      lineBaseUrl: fake.url,
      env: {
        WEBHOOK_REORDER_WINDOW_MS: '0',
        WEBHOOK_RETRY_BASE_MS: '20',
        WEBHOOK_RETRY_MAX_MS: '100',
        WEBHOOK_MAX_ATTEMPTS: '3',
      },
    });
    const d = t.app.get(EventDispatcher);
    d.on(
      'message',
      'test.before',
      async (event) => {
        beforeRuns.set(textOf(event), (beforeRuns.get(textOf(event)) ?? 0) + 1);
      },
      55,
    );
    d.on(
      'message',
      'test.observe',
      async (event, ctx) => {
        const text = textOf(event);
        await gates.get(text);
        const left = failuresLeft.get(text) ?? 0;
        if (left > 0) {
          failuresLeft.set(text, left - 1);
          const list = observed.get(ctx.channelId!) ?? [];
          list.push(`${text}!`);
          observed.set(ctx.channelId!, list);
          throw new Error(`boom ${text}`);
        }
        const list = observed.get(ctx.channelId!) ?? [];
        list.push(text);
        observed.set(ctx.channelId!, list);
      },
      60,
    );
  });
  afterEach(() => fake.reset());
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  it('processes 20 events of one group sent in shuffled order in timestamp order', async () => {
    const groupId = randomGroupId();
    const userId = randomUserId();
    const base = Date.now() - 60_000;
    const events = Array.from({ length: 20 }, (_, i) =>
      makeTextEvent({ text: `m${String(i).padStart(2, '0')}`, groupId, userId, timestamp: base + i * 10 }),
    );
    const sent = shuffled(events);
    expect(sent.map((e) => e.message.text)).not.toEqual(events.map((e) => e.message.text));
    await postWebhook(t, sent).expect(200);
    await waitForInboxDrained(t);
    expect(observed.get(groupId)).toEqual(events.map((e) => e.message.text));
  });

  it('orders events with the same timestamp by arrival', async () => {
    const groupId = randomGroupId();
    const at = Date.now() - 1000;
    const events = ['first', 'second', 'third'].map((text) =>
      makeTextEvent({ text, groupId, timestamp: at }),
    );
    await postWebhook(t, events).expect(200);
    await waitForInboxDrained(t);
    expect(observed.get(groupId)).toEqual(['first', 'second', 'third']);
  });

  it('retries a failing handler with backoff, resuming after the handlers that finished', async () => {
    const groupId = randomGroupId();
    const event = makeTextEvent({ text: 'flaky', groupId });
    failuresLeft.set('flaky', 2);
    await postWebhook(t, [event]).expect(200);
    await waitForInboxDrained(t);
    expect(observed.get(groupId)).toEqual(['flaky!', 'flaky!', 'flaky']);
    expect(beforeRuns.get('flaky')).toBe(1);
    const [row] = (await inboxRows(t)).filter((r) => r.webhookEventId === event.webhookEventId);
    expect(row).toMatchObject({ state: 'done', attempts: 2, lastError: 'Error: boom flaky' });
    // Other modules' handlers run too; ours finished once each, in order.
    expect(row.completedHandlers.filter(mine)).toEqual(['channels.message', 'test.before', 'test.observe']);
    expect(row.processedAt).not.toBeNull();
  });

  it('marks an event failed after the last attempt, and its chat goes on in order', async () => {
    const groupId = randomGroupId();
    const base = Date.now() - 1000;
    const doomed = makeTextEvent({ text: 'doomed', groupId, timestamp: base });
    const next = makeTextEvent({ text: 'next', groupId, timestamp: base + 1 });
    failuresLeft.set('doomed', 99);
    await postWebhook(t, [next, doomed]).expect(200);
    await waitForInboxDrained(t);
    expect(observed.get(groupId)).toEqual(['doomed!', 'doomed!', 'doomed!', 'next']);
    const rows = (await inboxRows(t)).filter((r) => r.channelId === groupId);
    expect(rows.map((r) => [r.webhookEventId, r.state, r.attempts])).toEqual([
      [next.webhookEventId, 'done', 0],
      [doomed.webhookEventId, 'failed', 3],
    ]);
    expect(rows[1].lastError).toBe('Error: boom doomed');
    // A failed event keeps what LINE sent, for whoever looks into it; a processed one does not.
    expect((rows[1].payload as { message: { text: string } }).message.text).toBe('doomed');
    expect(rows[0].payload).toEqual({});
    expect(rows[1].completedHandlers.filter(mine)).toEqual(['channels.message', 'test.before']);
  });

  it('lets other chats proceed while one chat waits', async () => {
    const slowGroup = randomGroupId();
    const fastGroup = randomGroupId();
    let release!: () => void;
    gates.set('slow', new Promise<void>((r) => (release = r)));
    await postWebhook(t, [
      makeTextEvent({ text: 'slow', groupId: slowGroup }),
      makeTextEvent({ text: 'after slow', groupId: slowGroup, timestamp: Date.now() + 1 }),
    ]).expect(200);
    await postWebhook(t, [makeTextEvent({ text: 'fast', groupId: fastGroup })]).expect(200);
    await waitFor(() => observed.get(fastGroup)?.includes('fast'));
    expect(observed.get(slowGroup)).toBeUndefined();
    release();
    await waitForInboxDrained(t);
    expect(observed.get(slowGroup)).toEqual(['slow', 'after slow']);
  });
});

describe('inbox worker: retry backoff', () => {
  const BASE_MS = 300;
  let fake: FakeLine;
  let t: TestApp;
  /** Every run of the test handler, in order: the text, whether it succeeded, when it began and ended. */
  const runs: { text: string; ok: boolean; start: number; end: number }[] = [];
  /** How often a text must still fail before it succeeds. */
  const failuresLeft = new Map<string, number>();

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({
      lineBaseUrl: fake.url,
      env: {
        WEBHOOK_REORDER_WINDOW_MS: '0',
        WEBHOOK_RETRY_BASE_MS: String(BASE_MS),
        WEBHOOK_RETRY_MAX_MS: '60000',
        WEBHOOK_MAX_ATTEMPTS: '5',
        // A scan every 50 ms: each finds the chat's later events due and sets the chat going, and
        // the chat must still wait for its head.
        WEBHOOK_POLL_INTERVAL_MS: '50',
      },
    });
    t.app.get(EventDispatcher).on(
      'message',
      'test.flaky',
      async (event) => {
        const start = Date.now();
        const text = textOf(event);
        const left = failuresLeft.get(text) ?? 0;
        failuresLeft.set(text, Math.max(0, left - 1));
        runs.push({ text, ok: left === 0, start, end: Date.now() });
        if (left > 0) throw new Error(`boom ${text}`);
      },
      60,
    );
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  it('retries a failed event only once its backoff is due, and runs the later events of its chat after it', async () => {
    const groupId = randomGroupId();
    const base = Date.now() - 1000;
    const head = makeTextEvent({ text: 'head', groupId, timestamp: base });
    const next = makeTextEvent({ text: 'next', groupId, timestamp: base + 1 });
    failuresLeft.set('head', 2);
    await postWebhook(t, [head, next]).expect(200);
    await waitFor(() => runs.some((r) => r.text === 'head'), { what: 'the first attempt' });
    // Sent during the first backoff (but for a very slow run): its arrival sets the chat going too.
    const late = makeTextEvent({ text: 'late', groupId });
    await postWebhook(t, [late]).expect(200);
    await waitForInboxDrained(t);

    expect(runs.map((r) => (r.ok ? r.text : `${r.text}!`))).toEqual([
      'head!',
      'head!',
      'head',
      'next',
      'late',
    ]);
    const [first, second, third, nextRun, lateRun] = runs;
    // The backoff before attempt n + 1 is BASE_MS × 2^(n − 1), less 20 % at the most (jitter). Only
    // lower bounds: the worker checks the clock before it runs a row, so no early timer runs it
    // sooner, while a busy machine may run it later.
    expect(second.start - first.end).toBeGreaterThanOrEqual(Math.floor(0.8 * BASE_MS));
    expect(third.start - second.end).toBeGreaterThanOrEqual(Math.floor(0.8 * 2 * BASE_MS));
    // The chat waited for its head: nothing after it ran before it succeeded.
    expect(nextRun.start).toBeGreaterThanOrEqual(third.end);
    expect(lateRun.start).toBeGreaterThanOrEqual(nextRun.end);

    const rows = (await inboxRows(t)).filter((r) => r.channelId === groupId);
    expect(rows.map((r) => [r.webhookEventId, r.state, r.attempts, r.lastError])).toEqual([
      [head.webhookEventId, 'done', 2, 'Error: boom head'],
      [next.webhookEventId, 'done', 0, null],
      [late.webhookEventId, 'done', 0, null],
    ]);
  });
});

describe('inbox worker: a chat waiting on LINE and WEBHOOK_CONCURRENCY=1', () => {
  let fake: FakeLine;
  let t: TestApp;
  const observed: string[] = [];
  let release!: () => void;
  const slow = new Promise<void>((r) => (release = r));

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({
      lineBaseUrl: fake.url,
      env: { WEBHOOK_REORDER_WINDOW_MS: '0', WEBHOOK_CONCURRENCY: '1' },
    });
    t.app.get(EventDispatcher).on('message', 'test.wait', async (event) => {
      // Stands for a LINE call that hangs: the event neither finishes nor uses the thread.
      if (textOf(event) === 'slow') await slow;
      observed.push(textOf(event));
    });
  });
  afterAll(async () => {
    release();
    await t?.close();
    await fake?.stop();
  });

  it('lets another chat run beside it on SQLite, where it no longer counts against the limit; not on MySQL', async () => {
    await postWebhook(t, [makeTextEvent({ text: 'slow', groupId: randomGroupId() })]).expect(200);
    await waitFor(async () => (await inboxRows(t)).length === 1);
    await postWebhook(t, [makeTextEvent({ text: 'fast', groupId: randomGroupId() })]).expect(200);
    if (testDbKind() === 'sqlite') {
      await waitFor(() => observed.includes('fast'));
      expect(observed).toEqual(['fast']);
    } else {
      // The database work of a MySQL event waits too: a long event may be queued for a connection.
      await new Promise((r) => setTimeout(r, 500));
      expect(observed).toEqual([]);
    }
    release();
    await waitForInboxDrained(t);
    expect(observed.sort()).toEqual(['fast', 'slow']);
  });
});

/**
 * For the describe block that calls it: an app (with the fake LINE platform) whose `test.observe`
 * handler records the text of each message it runs, in the order it runs them.
 */
function observingApp(env: Record<string, string>): { app: () => TestApp; observed: string[] } {
  let fake: FakeLine;
  let t: TestApp;
  const observed: string[] = [];
  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({ lineBaseUrl: fake.url, env });
    t.app
      .get(EventDispatcher)
      .on('message', 'test.observe', async (event) => void observed.push(textOf(event)));
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });
  return { app: () => t, observed };
}

describe('inbox worker: reorder window', () => {
  const { app, observed } = observingApp({ WEBHOOK_REORDER_WINDOW_MS: '1000' });

  it('processes events of one chat from separate requests, out of order, in timestamp order', async () => {
    const t = app();
    const groupId = randomGroupId();
    const base = Date.now() - 5000;
    const at = (ms: number, text: string) => makeTextEvent({ text, groupId, timestamp: base + ms });
    await postWebhook(t, [at(10, 'b'), at(30, 'd')]).expect(200);
    await postWebhook(t, [at(20, 'c')]).expect(200);
    await postWebhook(t, [at(0, 'a')]).expect(200);
    await waitForInboxDrained(t);
    expect(observed).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('inbox worker: shutdown and crashes', () => {
  let fake: FakeLine;
  let db: TestDatabase;
  const apps: TestApp[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const app = await createTestApp({
      db,
      lineBaseUrl: fake.url,
      env: { WEBHOOK_REORDER_WINDOW_MS: '0', ...env },
    });
    apps.push(app);
    return app;
  };

  beforeAll(async () => {
    fake = await FakeLine.start();
    db = await createTestDatabase();
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    fake.reset();
  });
  afterAll(async () => {
    await fake?.stop();
    await db?.drop();
  });

  it('finishes, after a restart, what was answered 200 but never processed', async () => {
    const groupId = randomGroupId();
    const alice: FakeUser = { userId: randomUserId(), displayName: 'Alice' };
    const bob: FakeUser = { userId: randomUserId(), displayName: 'Bob' };
    fake.addGroup({ groupId, groupName: 'Survivors', members: [alice, bob] });

    // The process dies after answering: here the worker never runs in the first app.
    const first = await start({ WEBHOOK_WORKER: 'off' });
    const join = makeJoinEvent({ groupId, timestamp: Date.now() - 2000 });
    const hello = makeTextEvent({
      text: 'hello',
      groupId,
      userId: alice.userId,
      timestamp: Date.now() - 1000,
    });
    await postWebhook(first, [hello, join]).expect(200);
    expect((await inboxRows(first)).map((r) => r.state)).toEqual(['pending', 'pending']);
    await first.close();
    expect(fake.requests).toEqual([]);

    const second = await start();
    await waitForInboxDrained(second);
    expect((await inboxRows(second)).map((r) => r.state)).toEqual(['done', 'done']);
    expect(await second.app.get(ChannelsService).get(groupId)).toMatchObject({
      name: 'Survivors',
      status: 'active',
    });
    expect(await second.app.get(MembersService).find(groupId, alice.userId)).toMatchObject({
      displayName: 'Alice',
    });
  });

  it('resumes an event interrupted between handlers without redoing the finished ones', async () => {
    const groupId = randomGroupId();
    const carol: FakeUser = { userId: randomUserId(), displayName: 'Carol' };
    fake.addGroup({ groupId, members: [carol], memberIdsForbidden: true });

    const first = await start({ WEBHOOK_SHUTDOWN_GRACE_MS: '0' });
    // A later handler that never ends: the process is killed while it runs.
    first.app.get(EventDispatcher).on('message', 'test.stuck', () => new Promise<void>(() => undefined), 60);
    const event = makeTextEvent({ text: 'stuck', groupId, userId: carol.userId });
    await postWebhook(first, [event]).expect(200);
    const row = await waitFor(async () =>
      (await inboxRows(first)).find(
        (r) => r.webhookEventId === event.webhookEventId && r.completedHandlers.includes('channels.message'),
      ),
    );
    expect(row.state).toBe('pending');
    const profileCalls = fake.requestsTo('GET', new RegExp(`/member/${carol.userId}$`)).length;
    expect(profileCalls).toBe(1);
    await first.close();

    const second = await start();
    await waitForInboxDrained(second);
    const [after] = (await inboxRows(second)).filter((r) => r.webhookEventId === event.webhookEventId);
    expect(after.state).toBe('done');
    expect(after.completedHandlers).toContain('channels.message');
    expect(after.completedHandlers).not.toContain('test.stuck');
    expect(fake.requestsTo('GET', new RegExp(`/member/${carol.userId}$`))).toHaveLength(profileCalls);
  });

  it('deletes processed events past WEBHOOK_RETENTION_DAYS, keeping failed ones', async () => {
    const first = await start();
    const old = makeTextEvent({ text: 'old', userId: randomUserId() });
    const failed = makeTextEvent({ text: 'old failure', userId: randomUserId() });
    const recent = makeTextEvent({ text: 'recent', userId: randomUserId() });
    await postWebhook(first, [old, failed, recent]).expect(200);
    await waitForInboxDrained(first);
    const rows = first.app.get(DataSource).getRepository(InboxEvent);
    const longAgo = new Date(Date.now() - 31 * 86400_000);
    await rows.update(
      { webhookEventId: old.webhookEventId },
      { nextAttemptAt: longAgo, processedAt: longAgo },
    );
    await rows.update(
      { webhookEventId: failed.webhookEventId },
      { state: 'failed', nextAttemptAt: longAgo, processedAt: longAgo },
    );
    await first.close();

    // Pruning runs with the first inbox scan after start-up.
    const second = await start();
    const remaining = second.app.get(DataSource).getRepository(InboxEvent);
    await waitFor(async () => (await remaining.countBy({ webhookEventId: old.webhookEventId })) === 0);
    expect(await remaining.countBy({ webhookEventId: failed.webhookEventId })).toBe(1);
    expect(await remaining.countBy({ webhookEventId: recent.webhookEventId })).toBe(1);
  });

  it('lets an event being processed finish when the app closes', async () => {
    const first = await start();
    let started = false;
    first.app.get(EventDispatcher).on(
      'message',
      'test.slow',
      async () => {
        started = true;
        await new Promise((r) => setTimeout(r, 300));
      },
      60,
    );
    const event = makeTextEvent({ text: 'slow', userId: randomUserId() });
    await postWebhook(first, [event]).expect(200);
    await waitFor(() => started);
    await first.close();

    const reader = await start({ WEBHOOK_WORKER: 'off' });
    const [row] = (await inboxRows(reader)).filter((r) => r.webhookEventId === event.webhookEventId);
    expect(row.state).toBe('done');
  });

  it('indexes archived messages for search behind the archive, and resumes the queue after a restart', async () => {
    const groupId = randomGroupId();
    const alice: FakeUser = { userId: randomUserId(), displayName: 'Alice' };
    fake.addGroup({ groupId, groupName: 'Index', members: [alice] });
    const first = await start();
    const hello = makeTextEvent({ text: '索引 queued', groupId, userId: alice.userId });
    await postWebhook(first, [makeJoinEvent({ groupId, timestamp: Date.now() - 1000 }), hello]).expect(200);
    await waitForInboxDrained(first);
    const ds = () => first.app.get(DataSource);
    const termsOf = async (d: DataSource) => indexEntries(d, await messagePk(d, hello.message.id));
    const queued = async (d: DataSource) =>
      Number((await d.query('SELECT COUNT(*) AS n FROM backup_index_queue'))[0].n);
    // Written behind the archive, shortly after.
    await waitFor(async () => (await termsOf(ds())) > 0 && (await queued(ds())) === 0, { what: 'indexing' });
    const indexed = await termsOf(ds());

    // A crash before the indexer ran: the message is archived and queued, its terms not written.
    // (Nothing wakes this app's indexer again: only new archive writes and start-up do.)
    const id = await messagePk(ds(), hello.message.id);
    await dropIndexEntries(ds(), id);
    await ds().query('INSERT INTO backup_index_queue (message_pk) VALUES (?)', [id]);
    expect(await termsOf(ds())).toBe(0);
    await first.close();

    const second = await start();
    const d2 = second.app.get(DataSource);
    await waitFor(async () => (await queued(d2)) === 0, { what: 'the queue to be resumed' });
    expect(await termsOf(d2)).toBe(indexed);
  });
});

describe('inbox worker: handlers whose writes commit behind', () => {
  let fake: FakeLine;
  let t: TestApp;
  const runs = new Map<string, number>();
  const commits = new Map<string, { resolve: () => void; reject: (err: Error) => void }>();
  let commitNowCalls = 0;
  const count = (key: string) => runs.set(key, (runs.get(key) ?? 0) + 1);
  const stateOf = async (eventId: string) => (await inboxRows(t)).find((r) => r.webhookEventId === eventId)!;

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({
      lineBaseUrl: fake.url,
      env: {
        WEBHOOK_REORDER_WINDOW_MS: '0',
        WEBHOOK_RETRY_BASE_MS: '20',
        WEBHOOK_RETRY_MAX_MS: '100',
        // No scan during a test: what the worker finds, it finds by itself.
        WEBHOOK_POLL_INTERVAL_MS: '600000',
      },
    });
    const d = t.app.get(EventDispatcher);
    d.on(
      'message',
      'test.queued',
      async (event) => {
        const text = textOf(event);
        count(`queued ${text}`);
        const durable = new Promise<void>((resolve, reject) => commits.set(text, { resolve, reject }));
        return { durable, commitNow: () => commitNowCalls++ };
      },
      55,
    );
    d.on('message', 'test.after', async (event) => void count(`after ${textOf(event)}`), 60);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  it('records the event done only once its write commits, while the chat goes on meanwhile', async () => {
    const groupId = randomGroupId();
    const base = Date.now() - 1000;
    const first = makeTextEvent({ text: 'w1', groupId, timestamp: base });
    const second = makeTextEvent({ text: 'w2', groupId, timestamp: base + 1 });
    await postWebhook(t, [first, second]).expect(200);
    // Both ran before either write committed, in order.
    await waitFor(() => runs.get('after w2') === 1);
    expect(runs.get('after w1')).toBe(1);
    await t.app.get(InboxStore).flush();
    expect((await stateOf(first.webhookEventId)).state).toBe('pending');

    commits.get('w1')!.resolve();
    await waitFor(async () => {
      await t.app.get(InboxStore).flush();
      return (await stateOf(first.webhookEventId)).state === 'done';
    });
    // In the order they finished: the queued write last.
    expect((await stateOf(first.webhookEventId)).completedHandlers.filter(mine)).toEqual([
      'channels.message',
      'test.after',
      'test.queued',
    ]);
    expect((await stateOf(second.webhookEventId)).state).toBe('pending');

    commits.get('w2')!.resolve();
    await waitForInboxDrained(t);
    // Nothing ran twice while the writes were pending.
    for (const key of ['queued w1', 'after w1', 'queued w2', 'after w2']) expect(runs.get(key)).toBe(1);
  });

  it('retries only the handler whose write failed to commit', async () => {
    const groupId = randomGroupId();
    const event = makeTextEvent({ text: 'w3', groupId });
    await postWebhook(t, [event]).expect(200);
    await waitFor(() => runs.get('after w3') === 1);
    commits.get('w3')!.reject(new Error('disk full'));
    await waitFor(() => runs.get('queued w3') === 2);
    commits.get('w3')!.resolve();
    await waitForInboxDrained(t);
    const row = await stateOf(event.webhookEventId);
    expect(row).toMatchObject({ state: 'done', attempts: 1, lastError: 'Error: disk full' });
    expect(runs.get('after w3')).toBe(1);
  });

  it('goes back for an event whose write failed after its chat had moved on', async () => {
    const groupId = randomGroupId();
    const base = Date.now() - 1000;
    const events = ['m1', 'm2', 'm3'].map((text, i) => makeTextEvent({ text, groupId, timestamp: base + i }));
    await postWebhook(t, events).expect(200);
    await waitFor(() => runs.get('after m3') === 1);
    commits.get('m2')!.resolve();
    commits.get('m3')!.resolve();
    commits.get('m1')!.reject(new Error('disk full'));
    await waitFor(() => runs.get('queued m1') === 2);
    commits.get('m1')!.resolve();
    await waitForInboxDrained(t);
    expect((await stateOf(events[0].webhookEventId)).attempts).toBe(1);
    for (const key of ['after m1', 'queued m2', 'after m2', 'queued m3', 'after m3'])
      expect(runs.get(key)).toBe(1);
  });

  it('stops a chat and asks for its writes once a turn of 100 of them is waiting to commit', async () => {
    const groupId = randomGroupId();
    const base = Date.now() - 1000;
    const texts = Array.from({ length: 101 }, (_, i) => `p${i}`);
    const asked = commitNowCalls;
    await postWebhook(
      t,
      texts.map((text, i) => makeTextEvent({ text, groupId, timestamp: base + i })),
    ).expect(200);
    await waitFor(() => runs.get('after p99') === 1);
    await waitFor(() => commitNowCalls > asked);
    expect(runs.get('after p100')).toBeUndefined();
    for (const text of texts.slice(0, 100)) commits.get(text)!.resolve();
    await waitFor(() => runs.get('after p100') === 1);
    commits.get('p100')!.resolve();
    await waitForInboxDrained(t);
    for (const text of texts) expect(runs.get(`queued ${text}`)).toBe(1);
  });
});

describe('inbox worker: where each chat has got to', () => {
  // No scan during a test: a row the worker skipped would stay pending.
  const { app, observed } = observingApp({
    WEBHOOK_REORDER_WINDOW_MS: '0',
    WEBHOOK_POLL_INTERVAL_MS: '600000',
  });

  it('runs an event that arrives after later ones of its chat have run, then the chat goes on', async () => {
    const t = app();
    const groupId = randomGroupId();
    const base = Date.now() - 5000;
    const at = (ms: number, text: string) => makeTextEvent({ text, groupId, timestamp: base + ms });
    await postWebhook(t, [at(10, 'x10'), at(11, 'x11'), at(12, 'x12')]).expect(200);
    await waitForInboxDrained(t);
    // Same time as one that ran: it sorts after it (by arrival), and runs too.
    await postWebhook(t, [at(5, 'x5'), at(12, 'x12b')]).expect(200);
    await waitForInboxDrained(t);
    await postWebhook(t, [at(20, 'x20')]).expect(200);
    await waitForInboxDrained(t);
    expect(observed).toEqual(['x10', 'x11', 'x12', 'x5', 'x12b', 'x20']);
  });

  it('finds a stored event that was never signalled at the next scan', async () => {
    const t = app();
    const groupId = randomGroupId();
    const base = Date.now() - 5000;
    await postWebhook(t, [makeTextEvent({ text: 'y10', groupId, timestamp: base + 10 })]).expect(200);
    await waitForInboxDrained(t);
    // Committed without a notify (as when a webhook fails after its insert): only a scan finds it.
    const lost = makeTextEvent({ text: 'y5', groupId, timestamp: base + 5 });
    const now = new Date();
    await t.app
      .get(InboxStore)
      .insert(parseWebhookBody(Buffer.from(JSON.stringify({ events: [lost] }))), now, now);
    await (t.app.get(InboxWorker) as unknown as { scan(): Promise<void> }).scan();
    await waitForInboxDrained(t);
    expect(observed.filter((text) => text.startsWith('y'))).toEqual(['y10', 'y5']);
  });
});
