import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { Connection, createConnection, RowDataPacket } from 'mysql2/promise';
import { api, AssistantWorld, newGroup, startWorld } from './assistant-support';
import { makeTextEvent, randomUserId, redeliver, TextEvent } from './fake-line/events';
import { FakeLine } from './fake-line/fake-line';
import { postWebhook } from './fake-line/webhook';
import { DatabaseOutage } from '../src/webhook/database-outage';
import { EventDispatcher } from '../src/webhook/event-dispatcher';
import { startTcpProxy, TcpProxy } from './support/tcp-proxy';
import { createTestApp, TestApp } from './support/test-app';
import { createTestDatabase, TestDatabase, testDbKind } from './support/test-database';
import { waitFor } from './support/wait-for';

/** How long a webhook may take to be refused while the database is away (LINE itself waits 2 s). */
const REFUSED_WITHIN_MS = 5000;
/** WEBHOOK_STORE_TIMEOUT_MS, its default: a webhook not stored by then is answered 503. */
const STORE_TIMEOUT_MS = 1500;
/**
 * What a 503 at the deadline may take past it (the deadline's timer, the answer on loopback), with
 * room for a loaded 2-core CI machine: it still tells a 503 at the deadline from a webhook held.
 */
const DEADLINE_MARGIN_MS = 1000;
/** "At once": a webhook refused while the store is stalled is not queued behind it (half the deadline). */
const AT_ONCE_MS = 750;
const STORAGE_UNAVAILABLE = { error: 'Storage unavailable; redeliver the webhook later' };

interface ProxiedDatabase {
  db: TestDatabase;
  proxy: TcpProxy;
  /** The app's DATABASE_URL: through the proxy. */
  proxied: string;
  /** Straight to the server, past the proxy: reads while the app's connection is cut. */
  direct: Connection;
  /** Closes `app`, then drops all of it; the proxy lets the app through first, or its pool could not close. */
  closeAfter(app: { close(): Promise<void> } | undefined): Promise<void>;
}

/** A fresh MySQL database, the app's URL to it through a TCP proxy, and a connection straight to it. */
async function proxiedDatabase(): Promise<ProxiedDatabase> {
  const db = await createTestDatabase();
  const server = new URL(process.env.TEST_MYSQL_URL!);
  const proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port || 3306) });
  const proxied = new URL(db.url!);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  const direct = await createConnection({ uri: db.url!, timezone: 'Z' });
  return {
    db,
    proxy,
    proxied: proxied.toString(),
    direct,
    async closeAfter(app) {
      proxy.restore();
      await app?.close();
      await direct.end();
      await proxy.close();
      await db.drop();
    },
  };
}

if (testDbKind() === 'sqlite') {
  describe('database outage (MySQL/MariaDB only: SQLite is a file in the process, there is no connection to lose)', () => {
    it('has no database server to lose on SQLite', () => {
      expect(testDbKind()).toBe('sqlite');
    });
  });
}

if (testDbKind() === 'mysql') {
  describe('database outage on MySQL: the connection goes away and comes back while the service runs', () => {
    let fake: FakeLine;
    let pd: ProxiedDatabase;
    let db: TestDatabase;
    let proxy: TcpProxy;
    let w: AssistantWorld;
    /** Straight to the server, past the proxy: reads while the app's connection is cut. */
    let direct: Connection;
    let groupId: string;
    /** Handlers that wait, per stage and webhookEventId, and how often each stage ran per event. */
    const gates = new Map<string, Promise<void>>();
    const reached = new Set<string>();
    const runs = new Map<string, number>();

    const gate = (stage: string, event: { webhookEventId: string }): (() => void) => {
      let open!: () => void;
      gates.set(`${stage}:${event.webhookEventId}`, new Promise<void>((resolve) => (open = resolve)));
      return open;
    };

    beforeAll(async () => {
      fake = await FakeLine.start();
      pd = await proxiedDatabase();
      ({ db, proxy, direct } = pd);
      w = await startWorld(
        {
          db,
          env: {
            DATABASE_URL: pd.proxied,
            WEBHOOK_RETRY_BASE_MS: '200',
            WEBHOOK_RETRY_MAX_MS: '1000',
            WEBHOOK_POLL_INTERVAL_MS: '500',
            WEBHOOK_STORE_TIMEOUT_MS: String(STORE_TIMEOUT_MS),
          },
        },
        fake,
      );
      const dispatcher = w.t.app.get(EventDispatcher);
      // Before the state handlers (10), between commands (50) and the features (100), after all.
      for (const [stage, order] of [
        ['early', 5],
        ['middle', 95],
        ['late', 150],
      ] as const) {
        dispatcher.on(
          'message',
          `test.gate.${stage}`,
          async (_event, ctx) => {
            const key = `${stage}:${ctx.webhookEventId}`;
            runs.set(key, (runs.get(key) ?? 0) + 1);
            reached.add(key);
            await gates.get(key);
          },
          order,
        );
      }
      groupId = await newGroup(w);
      await api(w, w.tokens.owner)
        .post(`/api/channels/${groupId}/qa`, { triggers: ['ping'], answer: 'pong', cooldownSeconds: 0 })
        .expect(201);
    });
    afterAll(async () => {
      await pd?.closeAfter(w);
      await fake?.stop();
    });

    const ping = (text: string, timestamp?: number) =>
      makeTextEvent({ text, groupId, userId: w.member.userId, timestamp });

    /** Read past the proxy: the server's truth, also while the app's connections are cut. */
    const select = async <T>(sql: string, params: unknown[]): Promise<T[]> =>
      (await direct.query<RowDataPacket[]>(sql, params))[0] as T[];
    const inList = (n: number) => `(${Array.from({ length: n }, () => '?').join(', ')})`;

    /** The inbox rows of these events (none for an event that was not stored). */
    const rowsOf = (events: TextEvent[]) =>
      select<{ id: string; state: string }>(
        `SELECT webhook_event_id AS id, state FROM webhook_events WHERE webhook_event_id IN ${inList(events.length)}`,
        events.map((e) => e.webhookEventId),
      );

    /** How often each event's message is in the archive. */
    const archivedCopies = async (events: TextEvent[]) => {
      const rows = await select<{ id: string; n: unknown }>(
        `SELECT message_id AS id, COUNT(*) AS n FROM backup_messages WHERE message_id IN ${inList(events.length)} GROUP BY message_id`,
        events.map((e) => e.message.id),
      );
      const copies = new Map(rows.map((r) => [r.id, Number(r.n)]));
      return events.map((e) => copies.get(e.message.id) ?? 0);
    };

    /** Replies LINE took (answered 200) for the event's token. */
    const acceptedReplies = (event: TextEvent) =>
      fake
        .requestsTo('POST', '/v2/bot/message/reply')
        .filter(
          (r) => (r.body as { replyToken?: string }).replyToken === event.replyToken && r.status === 200,
        );

    const waitForDone = async (events: TextEvent[], timeoutMs = 20_000) =>
      waitFor(
        async () => {
          const rows = await rowsOf(events);
          return rows.length === events.length && rows.every((r) => r.state === 'done');
        },
        { timeoutMs, what: 'the events to be processed' },
      );

    it('refuses webhooks with a 503 while the database is away, and processes what it had answered 200 once it is back, without a restart', async () => {
      // A chat held by its first event: the ones after it are answered 200 and wait behind it.
      const hold = ping('hold');
      const release = gate('early', hold);
      await postWebhook(w.t, [hold]).expect(200);
      await waitFor(() => reached.has(`early:${hold.webhookEventId}`), { what: 'the held event to start' });
      const waiting = [1, 2, 3, 4, 5].map((i) => ping(`ping ${i}`));
      for (const e of waiting) await postWebhook(w.t, [e]).expect(200);

      proxy.cut();
      release();
      const refused = Array.from({ length: 6 }, (_, i) => ping(`ping refused ${i}`));
      const took: number[] = [];
      const answers = await Promise.all(
        refused.map(async (e) => {
          const start = Date.now();
          const res = await postWebhook(w.t, [e]).timeout(30_000);
          took.push(Date.now() - start);
          return res;
        }),
      );
      for (const res of answers) {
        // The outage is confirmed (one SELECT 1 fails) and reported once; each webhook gets a 503.
        expect(res.status).toBe(503);
        expect(res.body).toEqual({ error: 'Storage unavailable; redeliver the webhook later' });
        expect(res.text).not.toMatch(/\bat .+:\d+:\d+|Error:|ECONN|PROTOCOL_/);
      }
      expect(Math.max(...took)).toBeLessThan(REFUSED_WITHIN_MS);
      const health = await w.t.http().get('/health').timeout(30_000);
      expect(health.status).toBe(503);
      // The worker meets the outage several times over (its retry is 200 ms here).
      await sleep(3000);
      expect(waiting.filter((e) => acceptedReplies(e).length > 0)).toEqual([]);

      proxy.restore();
      await waitForDone([hold, ...waiting]);
      expect(waiting.map((e) => acceptedReplies(e).length)).toEqual([1, 1, 1, 1, 1]);
      expect(await archivedCopies([hold, ...waiting])).toEqual([1, 1, 1, 1, 1, 1]);
      expect(runs.get(`early:${hold.webhookEventId}`)).toBe(1);
      // Nothing of a refused webhook was kept: LINE sends it again.
      expect(await rowsOf(refused)).toEqual([]);

      // And the service takes and processes new webhooks as before.
      await w.t.http().get('/health').expect(200);
      const after = ping('ping after');
      await postWebhook(w.t, [after]).expect(200);
      await waitForDone([after]);
      expect(acceptedReplies(after)).toHaveLength(1);
    }, 90_000);

    it('loses nothing it answered 200 and does nothing twice when the connection goes in the middle of a burst', async () => {
      const groups = Array.from({ length: 8 }, () => {
        const members = [1, 2].map((i) => ({ userId: randomUserId(), displayName: `B${i}` }));
        return { groupId: fake.addGroup({ members }).id, members };
      });
      const answered: TextEvent[] = [];
      const refused: Array<{ events: TextEvent[]; status: number; body: unknown; ms: number }> = [];
      let stop = false;
      let seq = 0;
      const sender = async () => {
        while (!stop) {
          const events = [1, 2].map(() => {
            const g = groups[seq++ % groups.length];
            const { userId } = g.members[seq % 2];
            return makeTextEvent({ groupId: g.groupId, userId, text: `burst ${seq}` });
          });
          const start = Date.now();
          const res = await postWebhook(w.t, events).timeout(30_000);
          if (res.status === 200) answered.push(...events);
          else refused.push({ events, status: res.status, body: res.body, ms: Date.now() - start });
        }
      };
      const senders = Array.from({ length: 6 }, sender);
      await waitFor(() => answered.length >= 100, { what: 'webhooks answered before the cut' });
      proxy.cut();
      await sleep(1500);
      const answeredDuringCut = answered.length;
      proxy.restore();
      await waitFor(() => answered.length >= answeredDuringCut + 100, { what: 'webhooks answered after it' });
      stop = true;
      await Promise.all(senders);

      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) {
        expect([500, 503]).toContain(r.status);
        expect(r.body).toEqual({ error: expect.any(String) });
        expect(r.ms).toBeLessThan(REFUSED_WITHIN_MS);
      }
      await waitForDone(answered, 30_000);
      expect((await archivedCopies(answered)).filter((n) => n !== 1)).toEqual([]);
      // A refused webhook may have been stored all the same (its commit's answer lost in the cut):
      // LINE's redelivery is then a repeat. Whatever of it was stored is processed once too.
      const maybe = refused.flatMap((r) => r.events);
      expect((await archivedCopies(maybe)).filter((n) => n > 1)).toEqual([]);
      expect((await rowsOf(maybe)).filter((r) => r.state !== 'done')).toEqual([]);
    }, 90_000);

    it('finishes events that were being processed when the connection went, each effect once', async () => {
      // Now, not earlier: a Q&A rule fires for events after its last answer only.
      const base = Date.now();
      // Two events of the chat, one after the other: the first is held after every handler (its
      // reply and archive done, its outcome not yet written) when the connection goes; the second
      // is held after the state handlers and commands, and meets the outage at the reply.
      const late = ping('ping late', base);
      const middle = ping('ping middle', base + 1);
      const openLate = gate('late', late);
      const openMiddle = gate('middle', middle);
      await postWebhook(w.t, [late, middle]).expect(200);
      await waitFor(() => reached.has(`late:${late.webhookEventId}`), { what: 'the first event to be held' });
      expect(acceptedReplies(late)).toHaveLength(1);
      proxy.cut();
      openLate();
      await waitFor(() => reached.has(`middle:${middle.webhookEventId}`), {
        what: 'the second event to be held',
      });
      openMiddle();
      await sleep(2000);
      expect(acceptedReplies(middle)).toHaveLength(0);
      proxy.restore();
      await waitForDone([late, middle]);
      expect(acceptedReplies(late)).toHaveLength(1);
      expect(acceptedReplies(middle)).toHaveLength(1);
      expect(await archivedCopies([late, middle])).toEqual([1, 1]);
      expect(runs.get(`late:${late.webhookEventId}`)).toBe(1);
      expect(runs.get(`middle:${middle.webhookEventId}`)).toBe(1);
    }, 90_000);

    it('shows LINE one reply when the connection goes while LINE takes it and never answers', async () => {
      const event = ping('ping unanswered');
      // LINE takes the reply and the answer never comes: the bot's client gives up and asks again.
      fake.failNext('POST', '/v2/bot/message/reply', 'timeout-after-accept');
      await postWebhook(w.t, [event]).expect(200);
      await waitFor(
        () =>
          fake
            .requestsTo('POST', '/v2/bot/message/reply')
            .some((r) => (r.body as { replyToken?: string }).replyToken === event.replyToken),
        { what: 'the reply to reach LINE' },
      );
      proxy.cut();
      await sleep(4000);
      proxy.restore();
      await waitForDone([event]);
      const replies = fake
        .requestsTo('POST', '/v2/bot/message/reply')
        .filter((r) => (r.body as { replyToken?: string }).replyToken === event.replyToken);
      // Asked again during the outage and after it (the answer's record failed): the token was spent.
      expect(replies.length).toBeGreaterThanOrEqual(2);
      expect(replies.map((r) => r.status ?? r.failure)).toEqual([
        'timeout-after-accept',
        ...replies.slice(1).map(() => 400),
      ]);
      expect(fake.pushesTo(groupId)).toEqual([]);
      expect(await archivedCopies([event])).toEqual([1]);
    }, 90_000);

    /** Posts each webhook (one event each) at once; its status, body and how long its answer took. */
    const postTimed = (events: TextEvent[]) =>
      Promise.all(
        events.map(async (e) => {
          const start = Date.now();
          // Well past the deadline, well short of the test's: a webhook left waiting fails here.
          const res = await postWebhook(w.t, [e]).timeout(10_000);
          return { status: res.status, body: res.body as unknown, ms: Date.now() - start };
        }),
      );
    /** How often the event's handlers ran (the first stage counts every run). */
    const runsOf = (events: TextEvent[]) => events.map((e) => runs.get(`early:${e.webhookEventId}`) ?? 0);

    it('answers 503 at the deadline when the network to the database stalls, refuses what comes after at once, and processes the stalled webhooks once when it is back', async () => {
      const base = Date.now();
      // The network drops everything silently: the insert waits for an answer that never comes.
      proxy.stall();
      const first = ping('ping stalled first', base);
      const answeredFirst = postTimed([first]);
      // Half a deadline later two more, queued behind the stuck insert: each has a deadline of its own.
      await sleep(500);
      const queued = [ping('ping stalled queued 1', base + 1), ping('ping stalled queued 2', base + 2)];
      const answeredQueued = postTimed(queued);
      const [a] = await answeredFirst;
      expect(a).toEqual({ status: 503, body: STORAGE_UNAVAILABLE, ms: expect.any(Number) });
      expect(a.ms).toBeGreaterThanOrEqual(STORE_TIMEOUT_MS - 20);
      expect(a.ms).toBeLessThan(STORE_TIMEOUT_MS + DEADLINE_MARGIN_MS);

      // The store is stalled: the next webhooks are not queued behind it, they are refused at once.
      const refused = Array.from({ length: 6 }, (_, i) => ping(`ping refused ${i}`, base + 10 + i));
      const refusedAnswers = await postTimed(refused);
      for (const r of refusedAnswers) {
        expect(r).toEqual({ status: 503, body: STORAGE_UNAVAILABLE, ms: expect.any(Number) });
        expect(r.ms).toBeLessThan(AT_ONCE_MS);
      }
      for (const q of await answeredQueued) {
        expect(q).toEqual({ status: 503, body: STORAGE_UNAVAILABLE, ms: expect.any(Number) });
        expect(q.ms).toBeGreaterThanOrEqual(STORE_TIMEOUT_MS - 20);
        expect(q.ms).toBeLessThan(STORE_TIMEOUT_MS + DEADLINE_MARGIN_MS);
      }
      // Nothing reached the server yet: the insert is held in the network.
      expect(await rowsOf([first, ...queued, ...refused])).toEqual([]);

      proxy.restore();
      // The held insert goes through, and the one queued behind it: stored late, processed, once.
      await waitForDone([first, ...queued]);
      expect(await rowsOf(refused)).toEqual([]);
      // Taken again as soon as the stuck insert has ended.
      const after = ping('ping after the stall');
      await postWebhook(w.t, [after]).expect(200);
      await waitForDone([after]);
      await sleep(1000); // a second run would show by now
      expect(runsOf([first, ...queued, after])).toEqual([1, 1, 1, 1]);
      expect([first, ...queued, after].map((e) => acceptedReplies(e).length)).toEqual([1, 1, 1, 1]);
      expect(await archivedCopies([first, ...queued, after])).toEqual([1, 1, 1, 1]);
    }, 90_000);

    it("processes once, in all, a webhook answered 503 during a stall and LINE's redelivery of it", async () => {
      const base = Date.now();
      proxy.stall();
      // One answered 503 at its deadline (stored late), one refused at once (never stored).
      const late = ping('ping stored late', base);
      const [a] = await postTimed([late]);
      const never = ping('ping never stored', base + 1);
      const [b] = await postTimed([never]);
      expect([a.status, b.status]).toEqual([503, 503]);
      expect(a.ms).toBeLessThan(STORE_TIMEOUT_MS + DEADLINE_MARGIN_MS);
      expect(b.ms).toBeLessThan(AT_ONCE_MS);

      proxy.restore();
      await waitFor(async () => (await rowsOf([late])).length === 1, { what: 'the late insert to end' });
      // LINE sends both again, as redeliveries: one is a repeat, the other new.
      await postWebhook(w.t, [redeliver(late)]).expect(200);
      await postWebhook(w.t, [redeliver(never)]).expect(200);
      await waitForDone([late, never]);
      await sleep(1000);
      expect(runsOf([late, never])).toEqual([1, 1]);
      expect([late, never].map((e) => acceptedReplies(e).length)).toEqual([1, 1]);
      expect(await archivedCopies([late, never])).toEqual([1, 1]);
    }, 90_000);
  });
}

if (testDbKind() === 'mysql') {
  describe('database outage on MySQL: the worker backs off as a whole, not chat by chat', () => {
    const CHATS = 50;
    const CUT_MS = 4000;
    const RETRY_BASE_MS = 200;
    const RETRY_MAX_MS = 1000;
    let fake: FakeLine;
    let pd: ProxiedDatabase;
    let db: TestDatabase;
    let proxy: TcpProxy;
    let t: TestApp;
    let direct: Connection;
    /** What the app logged, from warnings up, and its info lines. */
    const logged: Array<{ level: string; context: string; message: string }> = [];
    /** The first event of each chat that runs waits here, so that the cut finds chats in every state. */
    const held = new Set<string>();
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    /** How often the last handler ran for each event: processed once means once. */
    const runs = new Map<string, number>();

    /**
     * Database checks the worker makes within `ms` of the outage: the one that finds it, then one
     * after each pause, doubling from WEBHOOK_RETRY_BASE_MS up to WEBHOOK_RETRY_MAX_MS.
     */
    const checksWithin = (ms: number) => {
      let checks = 1;
      for (let at = 0, pause = RETRY_BASE_MS; (at += pause) <= ms; pause = Math.min(RETRY_MAX_MS, pause * 2))
        checks++;
      return checks;
    };

    beforeAll(async () => {
      for (const level of ['log', 'warn', 'error', 'fatal'] as const) {
        jest.spyOn(Logger.prototype, level).mockImplementation(function (this: Logger, ...args: unknown[]) {
          const message = args.find((a): a is string => typeof a === 'string') ?? '';
          logged.push({ level, context: String((this as unknown as { context?: string }).context), message });
        });
      }
      fake = await FakeLine.start();
      pd = await proxiedDatabase();
      ({ db, proxy, direct } = pd);
      t = await createTestApp({
        db,
        lineBaseUrl: fake.url,
        env: {
          DATABASE_URL: pd.proxied,
          WEBHOOK_REORDER_WINDOW_MS: '0',
          WEBHOOK_RETRY_BASE_MS: String(RETRY_BASE_MS),
          WEBHOOK_RETRY_MAX_MS: String(RETRY_MAX_MS),
          WEBHOOK_POLL_INTERVAL_MS: '500',
          // One attempt counted against an event for the outage would fail it for good.
          WEBHOOK_MAX_ATTEMPTS: '1',
        },
      });
      const dispatcher = t.app.get(EventDispatcher);
      // Before the state handlers (10): held with its chat's database work still to do.
      dispatcher.on(
        'message',
        'test.backoff.hold',
        async (_event, ctx) => {
          held.add(ctx.webhookEventId);
          await hold;
        },
        5,
      );
      dispatcher.on(
        'message',
        'test.backoff.count',
        async (_event, ctx) => {
          runs.set(ctx.webhookEventId, (runs.get(ctx.webhookEventId) ?? 0) + 1);
        },
        150,
      );
    });
    afterAll(async () => {
      await pd?.closeAfter(t);
      await fake?.stop();
      jest.restoreAllMocks();
    });

    it('makes a bounded number of connection attempts during the outage, says so once and once again when it is back, and then processes every event once, none failed or counted', async () => {
      const concurrency = t.settings.webhook.concurrency;
      const events: TextEvent[] = [];
      for (let i = 0; i < CHATS; i++) {
        const userId = randomUserId();
        const { id: groupId } = fake.addGroup({ members: [{ userId, displayName: `C${i}` }] });
        const base = Date.now();
        const chat = [0, 1].map((n) =>
          makeTextEvent({ groupId, userId, text: `chat ${i} #${n}`, timestamp: base + n }),
        );
        await postWebhook(t, chat).expect(200);
        events.push(...chat);
      }
      // Every slot holds a chat's first event; the other chats wait for a slot.
      await waitFor(() => held.size === Math.min(concurrency, CHATS), { what: 'every slot to hold a chat' });

      proxy.cut();
      const resetAtCut = proxy.reset;
      logged.length = 0;
      // The held events go on to their database work and meet the outage.
      release();
      await sleep(CUT_MS);
      const attempts = proxy.reset - resetAtCut;
      proxy.restore();
      const restoredAt = Date.now();

      // Chat by chat, every WEBHOOK_RETRY_BASE_MS, it was ~880 here (CHATS * CUT_MS / RETRY_BASE_MS
      // is 1,000). Now: the events under way at the cut, each failing once, the checks of the backoff,
      // and the write-behind's flushes of what those events had finished (4 measured; a loaded machine
      // spreads the failures over more of its 50 ms windows, hence the room).
      expect(attempts).toBeLessThanOrEqual(concurrency + checksWithin(CUT_MS) + 16);

      await waitFor(
        async () => {
          const [rows] = await direct.query<RowDataPacket[]>(
            "SELECT COUNT(*) AS n FROM webhook_events WHERE state = 'pending'",
          );
          return Number(rows[0].n) === 0;
        },
        { timeoutMs: 30_000, what: 'every event to be processed' },
      );
      const resumedMs = Date.now() - restoredAt;
      // The next check after the restore comes within one pause, at most WEBHOOK_RETRY_MAX_MS.
      expect(resumedMs).toBeLessThan(RETRY_MAX_MS + 5000);

      const [rows] = await direct.query<RowDataPacket[]>(
        `SELECT webhook_event_id AS id, state, attempts FROM webhook_events WHERE webhook_event_id IN (${events.map(() => '?').join(', ')})`,
        events.map((e) => e.webhookEventId),
      );
      expect(rows).toHaveLength(events.length);
      expect(rows.filter((r) => r.state !== 'done' || Number(r.attempts) !== 0)).toEqual([]);
      expect(events.filter((e) => runs.get(e.webhookEventId) !== 1)).toEqual([]);
      const [archived] = await direct.query<RowDataPacket[]>(
        `SELECT message_id AS id, COUNT(*) AS n FROM backup_messages WHERE message_id IN (${events.map(() => '?').join(', ')}) GROUP BY message_id`,
        events.map((e) => e.message.id),
      );
      expect(archived).toHaveLength(events.length);
      expect(archived.filter((r) => Number(r.n) !== 1)).toEqual([]);

      // One warning that the database is unreachable, one line that it is back, nothing else.
      expect(logged.filter((l) => l.level !== 'log')).toEqual([
        { level: 'warn', context: 'InboxWorker', message: expect.stringMatching(/^Database unreachable/) },
      ]);
      expect(logged.filter((l) => /^Database/.test(l.message)).map((l) => l.level)).toEqual(['warn', 'log']);
      expect(logged.find((l) => l.level === 'log')?.message).toMatch(/^Database reachable again/);
    }, 90_000);
  });
}

if (testDbKind() === 'mysql') {
  describe('database outage on MySQL: a process with its worker off', () => {
    let fake: FakeLine;
    let pd: ProxiedDatabase;
    let db: TestDatabase;
    let proxy: TcpProxy;
    let t: TestApp;
    let direct: Connection;

    beforeAll(async () => {
      fake = await FakeLine.start();
      pd = await proxiedDatabase();
      ({ db, proxy, direct } = pd);
      t = await createTestApp({
        db,
        lineBaseUrl: fake.url,
        env: {
          DATABASE_URL: pd.proxied,
          // Another instance processes; this one only receives (README, several instances).
          WEBHOOK_WORKER: 'off',
          WEBHOOK_RETRY_BASE_MS: '200',
          WEBHOOK_RETRY_MAX_MS: '1000',
        },
      });
    });
    afterAll(async () => {
      await pd?.closeAfter(t);
      await fake?.stop();
    });

    it('still processes nothing once the database is back (the other instance would act on the same rows)', async () => {
      const { id: groupId } = fake.addGroup({ members: [{ userId: randomUserId(), displayName: 'A' }] });
      const before = makeTextEvent({ groupId, userId: randomUserId(), text: 'before' });
      await postWebhook(t, [before]).expect(200);

      proxy.cut();
      await postWebhook(t, [makeTextEvent({ groupId, userId: randomUserId(), text: 'during' })]).expect(503);
      const outage = t.app.get(DatabaseOutage);
      await waitFor(() => outage.down, { what: 'the outage to be confirmed' });
      proxy.restore();
      await waitFor(() => !outage.down, {
        timeoutMs: 10_000,
        what: 'the database to answer its check again',
      });
      const after = makeTextEvent({ groupId, userId: randomUserId(), text: 'after' });
      await postWebhook(t, [after]).expect(200);

      // Time for a worker to have read and processed them (its poll would be 1 s; it runs in ms).
      await sleep(2000);
      const [rows] = await direct.query<RowDataPacket[]>(
        'SELECT webhook_event_id AS id, state, attempts FROM webhook_events WHERE webhook_event_id IN (?, ?)',
        [before.webhookEventId, after.webhookEventId],
      );
      expect(rows.map((r) => [r.state, Number(r.attempts)])).toEqual([
        ['pending', 0],
        ['pending', 0],
      ]);
      // Processing would have read the new group and its senders from LINE.
      expect(fake.requests).toEqual([]);
    }, 60_000);
  });
}
