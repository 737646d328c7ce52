import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent } from 'node:http';
import { AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { loadSettings } from '../src/config/settings';
import { dataSourceOptions } from '../src/database/data-source-options';
import { api, newGroup, patchConfig, startWorld } from './assistant-support';
import { makeJoinEvent, makeTextEvent, randomGroupId, randomUserId } from './fake-line/events';
import { FakeLine, FakeUser } from './fake-line/fake-line';
import { webhookBody } from './fake-line/webhook';
import { postOnAgent } from './support/keep-alive-post';
import { TEST_ACCESS_TOKEN, TEST_CHANNEL_SECRET, TEST_JWT_SECRET } from './support/test-app';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { waitFor } from './support/wait-for';

const SENDERS = 8;
const GROUPS = 20;
/** Answers to collect before the kill: enough that the worker is behind when it comes. */
const ANSWERS_BEFORE_KILL = 150;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** The service as `npm start` runs it, in a process of its own that can be killed. */
async function startService(
  db: TestDatabase,
  lineUrl: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: join(__dirname, '..'),
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: db.dataDir,
      ...(db.url ? { DATABASE_URL: db.url } : {}),
      LINE_CHANNEL_SECRET: TEST_CHANNEL_SECRET,
      LINE_CHANNEL_ACCESS_TOKEN: TEST_ACCESS_TOKEN,
      LINE_API_BASE_URL: lineUrl,
      LINE_DATA_API_BASE_URL: lineUrl,
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'error',
      LINE_TIMEOUT_MS: '20000',
      WEBHOOK_REORDER_WINDOW_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
      return (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: 'the service to answer /health' },
  );
  return { child, port };
}

async function withDatabase<T>(db: TestDatabase, fn: (ds: DataSource) => Promise<T>): Promise<T> {
  const settings = loadSettings({ DATA_DIR: db.dataDir, DATABASE_URL: db.url, JWT_SECRET: TEST_JWT_SECRET });
  const ds = await new DataSource(dataSourceOptions(settings.database)).initialize();
  try {
    return await fn(ds);
  } finally {
    await ds.destroy();
  }
}

describe('kill -9 of the service while webhooks arrive', () => {
  let fake: FakeLine;
  let db: TestDatabase;
  let running: ChildProcess | undefined;

  beforeAll(async () => {
    fake = await FakeLine.start();
    db = await createTestDatabase();
  });
  afterAll(async () => {
    running?.kill('SIGKILL');
    await db?.drop();
    await fake?.stop();
  });

  it('loses no event answered 200, and archives each message once after the restart', async () => {
    const groups = Array.from({ length: GROUPS }, () => {
      const members: FakeUser[] = [1, 2, 3].map((i) => ({ userId: randomUserId(), displayName: `M${i}` }));
      const groupId = randomGroupId();
      fake.addGroup({ groupId, groupName: `Group ${groupId.slice(-4)}`, members });
      return { groupId, members };
    });
    // One group's first read from LINE hangs: its events are sure to be pending when the kill comes.
    fake.failNext('GET', `/v2/bot/group/${groups[0].groupId}/summary`, 'timeout');
    const first = await startService(db, fake.url);
    running = first.child;
    const agent = new Agent({ keepAlive: true, maxSockets: SENDERS });
    const answered = new Map<string, string>();
    let stopped = false;
    let seq = 0;
    const sender = async () => {
      while (!stopped) {
        const events = [1, 2].map(() => {
          const g = groups[seq++ % GROUPS];
          const userId = g.members[seq % g.members.length].userId;
          return makeTextEvent({ groupId: g.groupId, userId, text: `message ${seq}` });
        });
        const outcome = await postOnAgent(first.port, agent, webhookBody(events));
        if (outcome === 200) for (const e of events) answered.set(e.webhookEventId, e.message.id);
        else if (typeof outcome === 'string') return;
        else throw new Error(`webhook answered ${outcome}`);
      }
    };
    const senders = Array.from({ length: SENDERS }, sender);
    await waitFor(() => answered.size >= 2 * ANSWERS_BEFORE_KILL, { what: 'webhooks answered' });
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    stopped = true;
    await Promise.all(senders);
    agent.destroy();

    const ids = [...answered.keys()];
    const pendingAtKill = await withDatabase(db, async (ds) => {
      const rows: { id: string; state: string }[] = await ds.query(
        'SELECT webhook_event_id AS id, state FROM webhook_events',
      );
      const stored = new Map(rows.map((r) => [r.id, r.state]));
      expect(ids.filter((id) => !stored.has(id))).toEqual([]);
      return ids.filter((id) => stored.get(id) === 'pending').length;
    });
    // The kill came between answering and processing, which is what this test is about.
    expect(pendingAtKill).toBeGreaterThan(0);

    const second = await startService(db, fake.url);
    running = second.child;
    await withDatabase(db, async (ds) => {
      await waitFor(
        async () => {
          const [{ n }] = await ds.query("SELECT COUNT(*) AS n FROM webhook_events WHERE state = 'pending'");
          return Number(n) === 0;
        },
        { timeoutMs: 30_000, what: 'the restarted service to finish the inbox' },
      );
      const rows: { state: string; n: unknown }[] = await ds.query(
        'SELECT state, COUNT(*) AS n FROM webhook_events GROUP BY state',
      );
      expect(rows.map((r) => r.state)).toEqual(['done']);
      const archived: { id: string; n: unknown }[] = await ds.query(
        'SELECT message_id AS id, COUNT(*) AS n FROM backup_messages GROUP BY message_id',
      );
      const copies = new Map(archived.map((r) => [r.id, Number(r.n)]));
      const messages = [...answered.values()];
      expect(messages.filter((m) => copies.get(m) !== 1)).toEqual([]);
    });
    second.child.kill('SIGTERM');
    await once(second.child, 'exit');
    running = undefined;
  }, 120_000);
  it('fails an event that the process keeps exiting on, once its attempts are used up, and goes on', async () => {
    const groupId = randomGroupId();
    fake.addGroup({ groupId, groupName: 'Poison', members: [{ userId: randomUserId(), displayName: 'P' }] });
    const summary = `/v2/bot/group/${groupId}/summary`;
    const env = { WEBHOOK_MAX_ATTEMPTS: '2' };
    // Its join hangs on LINE while it runs: the process is killed there, as if the event killed it.
    fake.failNext('GET', summary, 'timeout', 3);
    const at = Date.now() - 5000;
    const join = makeJoinEvent({ groupId, timestamp: at });
    const after = makeTextEvent({ groupId, userId: randomUserId(), text: 'still here?', timestamp: at + 1 });
    for (let run = 1; run <= 3; run++) {
      const { child, port } = await startService(db, fake.url, env);
      running = child;
      if (run === 1) {
        const outcome = await postOnAgent(port, new Agent(), webhookBody([join, after]));
        expect(outcome).toBe(200);
      }
      await waitFor(() => fake.requestsTo('GET', summary).length === run, { what: `run ${run} of the join` });
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    const last = await startService(db, fake.url, env);
    running = last.child;
    await withDatabase(db, async (ds) => {
      const states = async () =>
        (await ds.query(
          'SELECT webhook_event_id AS id, state, attempts, last_error AS error FROM webhook_events WHERE webhook_event_id IN (?, ?)',
          [join.webhookEventId, after.webhookEventId],
        )) as { id: string; state: string; attempts: unknown; error: string | null }[];
      await waitFor(async () => (await states()).every((r) => r.state !== 'pending'), {
        timeoutMs: 30_000,
        what: 'both events to end',
      });
      const byId = new Map((await states()).map((r) => [r.id, r]));
      expect(byId.get(join.webhookEventId)).toMatchObject({ state: 'failed' });
      expect(Number(byId.get(join.webhookEventId)!.attempts)).toBe(2);
      expect(byId.get(join.webhookEventId)!.error).toMatch(/Interrupted 2 times/);
      expect(byId.get(after.webhookEventId)).toMatchObject({ state: 'done' });
    });
    last.child.kill('SIGTERM');
    await once(last.child, 'exit');
    running = undefined;
  }, 120_000);

  it('pushes no second copy of an answer that LINE showed just before the kill', async () => {
    const setup = await startWorld({ db }, fake);
    const groupId = await newGroup(setup);
    await api(setup, setup.tokens.owner)
      .post(`/api/channels/${groupId}/qa`, { triggers: ['ping'], answer: 'pong', cooldownSeconds: 0 })
      .expect(201);
    await patchConfig(setup, groupId, { assistant: { pushFallback: true } });
    await setup.close();
    // LINE shows the reply and never answers: the kill comes while the service waits for it.
    fake.failNext('POST', '/v2/bot/message/reply', 'timeout-after-accept');
    const first = await startService(db, fake.url);
    running = first.child;
    const event = makeTextEvent({ text: 'ping', groupId, userId: setup.member.userId });
    expect(await postOnAgent(first.port, new Agent(), webhookBody([event]))).toBe(200);
    await waitFor(() => fake.replyFor(event), { what: 'the reply to reach LINE' });
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');

    const second = await startService(db, fake.url);
    running = second.child;
    const outcome = await withDatabase(db, async (ds) => {
      await waitFor(
        async () => {
          const rows = await ds.query('SELECT state FROM webhook_events WHERE webhook_event_id = ?', [
            event.webhookEventId,
          ]);
          return rows[0]?.state === 'done';
        },
        { timeoutMs: 30_000, what: 'the restarted service to finish the event' },
      );
      const rows = await ds.query('SELECT outcome FROM assistant_replies WHERE webhook_event_id = ?', [
        event.webhookEventId,
      ]);
      return rows[0]?.outcome as string | undefined;
    });
    // The restarted service ran the event again and found the token spent.
    const replies = fake
      .requestsTo('POST', '/v2/bot/message/reply')
      .filter((r) => (r.body as { replyToken?: string }).replyToken === event.replyToken);
    expect(replies.map((r) => r.status ?? r.failure)).toEqual(['timeout-after-accept', 400]);
    expect(outcome).toBe('unconfirmed');
    expect(fake.pushesTo(groupId)).toEqual([]);
    second.child.kill('SIGTERM');
    await once(second.child, 'exit');
    running = undefined;
  }, 120_000);
});
