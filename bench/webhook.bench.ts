/**
 * `npm run bench:webhook`: how fast the service accepts signed webhooks, compared with a baseline
 * that does only what @line/bot-sdk's middleware does, and how fast its worker drains the inbox.
 *
 * Everything runs on 127.0.0.1: the app (`node dist/main.js`, a child process so its RSS is its
 * own), the baseline (bench/baseline-server.js, also a child), the fake LINE platform the app's
 * worker talks to, and the load generator (autocannon) in this process.
 *
 * Per database (SQLite; MySQL too when TEST_MYSQL_URL is set):
 *  1. the app joins BENCH_GROUPS groups of 5 members (as in steady state: chats and members known);
 *  2. paced load at BENCH_PACED_RATE events/s (2,000), spread evenly, for BENCH_DURATION seconds:
 *     the backlog is watched, to see whether the worker keeps up at the target rate;
 *  3. saturation: BENCH_DURATION seconds of requests at BENCH_CONNECTIONS (32), each with 1 to 5
 *     text message events from random groups and members; the worker drains at the same time;
 *     then the backlog left at the end and the time to clear it;
 *  4. drain capacity alone: the app restarted with its worker off takes a backlog (the saturation
 *     load for half as long: how fast receiving alone is, reported as `worker off`), then is started
 *     with the worker on, and the rate it processes that backlog is measured; then how many of
 *     those messages were still queued for the search index, and how long until they were not;
 *  5. with BENCH_SPLIT=on, the work split: the saturation load on a process with its worker off
 *     while a second process on the same database only processes (no backlog limit holds the first
 *     back): what splitting receiving and processing across the two cores gives. On SQLite the two
 *     processes' writes can meet (SQLITE_BUSY, retried), which one process never sees.
 *  With BENCH_COUNT_PROMISES=on, the promises the app's main thread creates per event are counted in
 *  phase 4 (per event received with the worker off, per event drained): the price of every promise
 *  hook, such as AsyncLocalStorage's. The count is a promise hook itself: read counts from such a run,
 *  not rates.
 * The baseline gets the same saturation load, then the same paced load (what the machine and the
 * load generator add to every answer). Environment: BENCH_CONNECTIONS, BENCH_DURATION,
 * BENCH_GROUPS, BENCH_PACED_RATE, BENCH_NODE_OPTIONS (node options for the children; default
 * --max-old-space-size=256, as `npm start`), BENCH_NODE_ARGS (flags such as --cpu-prof), WEBHOOK_*
 * (passed to the app).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { createConnection } from 'mysql2/promise';
import { FakeLine, FakeUser } from '../test/fake-line/fake-line';
import { lineSignature } from '../test/fake-line/signature';

const ROOT = resolve(__dirname, '..');
const SECRET = 'bench-channel-secret-0123456789';
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 32);
const DURATION_S = envInt('BENCH_DURATION', 10);
const GROUPS = envInt('BENCH_GROUPS', 200);
const MEMBERS_PER_GROUP = 5;
const DRAIN_TIMEOUT_MS = 180_000;
const PACED_EVENTS_PER_SEC = envInt('BENCH_PACED_RATE', 2000);
/**
 * How often the processing process of the split looks for rows the other one stored (it hears of
 * none in-process): the reorder window's 200 ms, since a row is not due before it anyway.
 */
const SPLIT_ENV = { WEBHOOK_POLL_INTERVAL_MS: '200' };
/** BENCH_SPLIT=on adds phase 5 (see above). */
const SPLIT = process.env.BENCH_SPLIT === 'on';
/** Extra node flags for the children, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (not allowed in NODE_OPTIONS). */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** Where bench/count-promises.js leaves each child's count, when BENCH_COUNT_PROMISES=on. */
const PROMISE_DIR =
  process.env.BENCH_COUNT_PROMISES === 'on' ? mkdtempSync(join(tmpdir(), 'lgm-promises-')) : undefined;

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  return raw && /^\d+$/.test(raw) ? Number(raw) : fallback;
}

interface Group {
  groupId: string;
  members: FakeUser[];
}

interface LoadResult {
  eventsPerSec: number;
  requestsPerSec: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

interface Target {
  label: string;
  url: string;
  process: ChildProcess;
}

const hex = (n: number) => randomBytes(n).toString('hex');
const groups: Group[] = Array.from({ length: GROUPS }, (_, g) => ({
  groupId: `C${hex(16)}`,
  members: Array.from({ length: MEMBERS_PER_GROUP }, (_, m) => ({
    userId: `U${hex(16)}`,
    displayName: `Member ${g}-${m}`,
  })),
}));

let counter = 0;
const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)];

/** A text message event as LINE sends it; `prefix` marks the phase in webhookEventId. */
function messageEvent(prefix: string): object {
  const group = pick(groups);
  const now = Date.now();
  return {
    type: 'message',
    message: {
      type: 'text',
      // LINE's ids are 18 digits: built as text (1e17 + n as a number is rounded to a multiple of 16).
      id: `1${String(counter).padStart(17, '0')}`,
      quoteToken: hex(16),
      text: `hello ${counter}`,
    },
    webhookEventId: `${prefix}${String(++counter).padStart(12, '0')}${hex(6)}`,
    deliveryContext: { isRedelivery: false },
    timestamp: now,
    source: { type: 'group', groupId: group.groupId, userId: pick(group.members).userId },
    replyToken: hex(16),
    mode: 'active',
  };
}

function signedBody(events: object[]): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ destination: `U${'0'.repeat(32)}`, events });
  return {
    body,
    headers: { 'content-type': 'application/json', 'x-line-signature': lineSignature(body, SECRET) },
  };
}

/** Closed-loop load at CONNECTIONS. */
async function load(url: string, prefix: string, seconds: number): Promise<LoadResult> {
  let accepted = 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    timeout: 10,
    // 1 to 5 events per request: 3 on average.
    requests: [
      {
        method: 'POST',
        path: '/webhook',
        setupRequest: (req, context) => {
          const n = 1 + Math.floor(Math.random() * 5);
          context.events = n;
          const { body, headers } = signedBody(Array.from({ length: n }, () => messageEvent(prefix)));
          return { ...req, body, headers };
        },
        onResponse: (status, _body, context) => {
          if (status === 200) accepted += Number(context.events);
        },
      },
    ],
  });
  return {
    eventsPerSec: accepted / seconds,
    requestsPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

/**
 * Open-loop load at `eventsPerSec`, spread evenly: a request every few milliseconds, as LINE sends
 * them, whatever the answers' latency. (autocannon's overallRate sends each second's requests in a
 * burst at its start, which measures the burst, not the rate.)
 */
async function pacedLoad(
  url: string,
  prefix: string,
  seconds: number,
  eventsPerSec: number,
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const target = new URL('/webhook', url);
  const latencies: number[] = [];
  let accepted = 0;
  let non2xx = 0;
  let errors = 0;
  const inFlight = new Set<Promise<void>>();
  const send = (): void => {
    const n = 1 + Math.floor(Math.random() * 5);
    const { body, headers } = signedBody(Array.from({ length: n }, () => messageEvent(prefix)));
    const started = performance.now();
    const done = new Promise<void>((resolve) => {
      const req = request(target, { method: 'POST', agent, headers, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - started);
          if (res.statusCode === 200) accepted += n;
          else non2xx++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
  };
  const TICK_MS = 5;
  const start = performance.now();
  let sent = 0;
  while (performance.now() - start < seconds * 1000) {
    // Requests average 3 events: send what the rate owes by now.
    const owed = Math.floor((((performance.now() - start) / 1000) * eventsPerSec) / 3);
    for (; sent < owed; sent++) send();
    await sleep(TICK_MS);
  }
  await Promise.all([...inFlight]);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return {
    eventsPerSec: accepted / seconds,
    requestsPerSec: sent / seconds,
    p50: pct(0.5),
    p99: pct(0.99),
    non2xx,
    errors,
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function startChild(label: string, script: string, env: Record<string, string>): Promise<Target> {
  const port = await freePort();
  const counting = env.BENCH_PROMISE_DIR ? ['-r', join(ROOT, 'bench/count-promises.js')] : [];
  const child = spawn(process.execPath, [...NODE_ARGS, ...counting, script], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      // Node options for the children; by default the heap cap `npm start` and the Dockerfile use.
      NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? '--max-old-space-size=256',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${label} exited with ${child.exitCode} during start-up`);
    try {
      await fetch(`${url}/health`);
      return { label, url, process: child };
    } catch {
      if (Date.now() > deadline) throw new Error(`${label} did not start within 60 s`);
      await sleep(100);
    }
  }
}

async function stopChild(target: Target): Promise<void> {
  // Nest re-raises SIGTERM after closing, so a stopped app ends with a signal, not an exit code.
  if (target.process.exitCode !== null || target.process.signalCode !== null) return;
  const exited = new Promise<void>((r) => target.process.once('exit', () => r()));
  target.process.kill('SIGTERM');
  const timer = setTimeout(() => target.process.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/** The promises a stopped child's main thread created (BENCH_COUNT_PROMISES=on). */
function promisesOf(dir: string, target: Target): number {
  return Number(readFileSync(join(dir, String(target.process.pid)), 'utf8'));
}

/** Peak resident memory of a process (Linux VmHWM), in MB. */
function peakRssMb(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** Reads the app's inbox directly (SQLite file or MySQL schema). */
interface InboxReader {
  pending(): Promise<number>;
  /**
   * Whether any event is pending: what the waits poll. A COUNT every 50 ms read the whole backlog
   * each time, and on MySQL took a fifth of the server's time while the drain was being measured.
   */
  anyPending(): Promise<boolean>;
  /** Messages archived but not yet in the search index (written behind by SearchIndexer). */
  unindexed(): Promise<number>;
  phase(prefix: string): Promise<{
    n: number;
    failed: number;
    firstReceived: Date;
    lastReceived: Date;
    firstProcessed: Date;
    lastProcessed: Date;
  }>;
  close(): Promise<void>;
}

const asDate = (v: unknown) => (v instanceof Date ? v : new Date(String(v).replace(' ', 'T') + 'Z'));
const PHASE_SQL =
  'SELECT COUNT(*) AS n, SUM(CASE WHEN state = ? THEN 1 ELSE 0 END) AS failed, MIN(received_at) AS r0, ' +
  'MAX(received_at) AS r1, MIN(processed_at) AS p0, MAX(processed_at) AS p1 FROM webhook_events WHERE webhook_event_id LIKE ?';

const UNINDEXED_SQL = 'SELECT COUNT(*) AS n FROM backup_index_queue';
const ANY_PENDING_SQL = "SELECT 1 AS found FROM webhook_events WHERE state = 'pending' LIMIT 1";

function phaseOf(row: Record<string, unknown>) {
  return {
    n: Number(row.n),
    failed: Number(row.failed ?? 0),
    firstReceived: asDate(row.r0),
    lastReceived: asDate(row.r1),
    firstProcessed: asDate(row.p0),
    lastProcessed: asDate(row.p1),
  };
}

function sqliteReader(file: string): InboxReader {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  return {
    pending: async () =>
      Number(
        (
          db.prepare("SELECT COUNT(*) AS n FROM webhook_events WHERE state = 'pending'").get() as {
            n: number;
          }
        ).n,
      ),
    anyPending: async () => db.prepare(ANY_PENDING_SQL).get() !== undefined,
    unindexed: async () => Number((db.prepare(UNINDEXED_SQL).get() as { n: number }).n),
    phase: async (prefix) =>
      phaseOf(db.prepare(PHASE_SQL).get('failed', `${prefix}%`) as Record<string, unknown>),
    close: async () => void db.close(),
  };
}

async function mysqlReader(url: string): Promise<InboxReader> {
  const conn = await createConnection({ uri: url, timezone: 'Z' });
  return {
    pending: async () => {
      const [rows] = await conn.query("SELECT COUNT(*) AS n FROM webhook_events WHERE state = 'pending'");
      return Number((rows as { n: number }[])[0].n);
    },
    anyPending: async () => {
      const [rows] = await conn.query(ANY_PENDING_SQL);
      return (rows as unknown[]).length > 0;
    },
    unindexed: async () => {
      const [rows] = await conn.query(UNINDEXED_SQL);
      return Number((rows as { n: number }[])[0].n);
    },
    phase: async (prefix) => {
      const [rows] = await conn.query(PHASE_SQL, ['failed', `${prefix}%`]);
      return phaseOf((rows as Record<string, unknown>[])[0]);
    },
    close: () => conn.end(),
  };
}

interface PacedResult {
  load: LoadResult;
  /** Largest number of pending events seen while the load ran (sampled every 100 ms). */
  maxBacklog: number;
  backlogAtEnd: number;
}

async function paceAndWatch(
  url: string,
  reader: InboxReader,
  eventsPerSec: number,
  seconds: number,
): Promise<PacedResult> {
  let maxBacklog = 0;
  let running = true;
  const watcher = (async () => {
    while (running) {
      maxBacklog = Math.max(maxBacklog, await reader.pending());
      await sleep(100);
    }
  })();
  const result = await pacedLoad(url, 'P', seconds, eventsPerSec);
  running = false;
  await watcher;
  return { load: result, maxBacklog, backlogAtEnd: await reader.pending() };
}

async function waitDrained(reader: InboxReader): Promise<number> {
  const started = Date.now();
  while (await reader.anyPending()) {
    if (Date.now() - started > DRAIN_TIMEOUT_MS) throw new Error('The inbox did not drain within 3 minutes');
    await sleep(50);
  }
  return Date.now() - started;
}

interface AppReport {
  db: string;
  paced: PacedResult;
  load: LoadResult;
  peakRssMb: number;
  /** The same load on the app with its worker off: receiving (signature, parse, inbox write) alone. */
  receiveOnly: LoadResult;
  receiveOnlyRssMb: number;
  backlogAtEnd: number;
  drainAfterMs: number;
  keptUpRate: number;
  drainRate: number;
  /** When the worker-alone drain ended: messages not yet in the search index, and how long until they were. */
  unindexedAtDrain: number;
  indexCaughtUpMs: number;
  /** The saturation load on a process that only receives, beside one that only processes. */
  split?: SplitResult;
  failed: number;
  /** Promises per event on the main thread in phase 4 (BENCH_COUNT_PROMISES=on). */
  promisesPerEvent?: { received: number; drained: number };
}

interface SplitResult {
  load: LoadResult;
  /** Events of that load processed while it ran, per second. */
  processedPerSec: number;
  backlogAtEnd: number;
  drainAfterMs: number;
}

async function benchApp(kind: 'sqlite' | 'mysql', fake: FakeLine): Promise<AppReport> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lgm-bench-'));
  let dbUrl = `sqlite:${join(dataDir, 'bench.sqlite')}`;
  let dropSchema = async () => undefined as void;
  if (kind === 'mysql') {
    const base = new URL(process.env.TEST_MYSQL_URL!);
    const name = `lgm_bench_${hex(4)}`;
    const admin = await createConnection({
      uri: `${base.protocol}//${base.username}${base.password ? ':' + base.password : ''}@${base.host}/`,
    });
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    base.pathname = `/${name}`;
    dbUrl = base.toString();
    dropSchema = async () => {
      await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await admin.end();
    };
  }
  const passThrough = Object.fromEntries(
    Object.entries(process.env).filter(([k, v]) => k.startsWith('WEBHOOK_') && v !== undefined),
  ) as Record<string, string>;
  const env = (extra: Record<string, string> = {}) => ({
    DATA_DIR: dataDir,
    DATABASE_URL: dbUrl,
    LINE_CHANNEL_SECRET: SECRET,
    LINE_CHANNEL_ACCESS_TOKEN: 'bench-access-token',
    LINE_API_BASE_URL: fake.url,
    LINE_DATA_API_BASE_URL: fake.url,
    JWT_SECRET: 'bench-jwt-secret-0123456789abcdef',
    LOG_LEVEL: 'warn',
    // The app's promises are counted; the baseline's rate stays its own.
    ...(PROMISE_DIR ? { BENCH_PROMISE_DIR: PROMISE_DIR } : {}),
    ...passThrough,
    ...extra,
  });
  const main = join(ROOT, 'dist/main.js');
  let app = await startChild(`app (${kind})`, main, env());
  const reader = kind === 'sqlite' ? sqliteReader(join(dataDir, 'bench.sqlite')) : await mysqlReader(dbUrl);
  try {
    // 1. The bot is in every group; members and profiles are known (steady state).
    for (let i = 0; i < groups.length; i += 20) {
      const joins = groups.slice(i, i + 20).map((g) => ({
        type: 'join',
        mode: 'active',
        timestamp: Date.now(),
        source: { type: 'group', groupId: g.groupId },
        webhookEventId: `J${String(++counter).padStart(12, '0')}${hex(6)}`,
        deliveryContext: { isRedelivery: false },
        replyToken: hex(16),
      }));
      const { body, headers } = signedBody(joins);
      const res = await fetch(`${app.url}/webhook`, { method: 'POST', body, headers });
      if (res.status !== 200) throw new Error(`join webhook answered ${res.status}`);
    }
    await waitDrained(reader);
    // 2. Warm-up, then the measured load; the worker drains meanwhile.
    await load(app.url, 'W', 3);
    await waitDrained(reader);
    // At the target rate: does the worker keep up while webhooks arrive?
    const paced = await paceAndWatch(app.url, reader, PACED_EVENTS_PER_SEC, DURATION_S);
    await waitDrained(reader);
    const result = await load(app.url, 'M', DURATION_S);
    // 3. What was left when the load stopped, and how long it took to clear.
    const backlogAtEnd = await reader.pending();
    const drainAfterMs = await waitDrained(reader);
    const measured = await reader.phase('M');
    const rss = peakRssMb(app.process.pid);
    const keptUpRate =
      measured.n / ((measured.lastProcessed.getTime() - measured.firstReceived.getTime()) / 1000);

    // 4. Drain capacity alone: a backlog taken with the worker off, processed after a restart.
    await stopChild(app);
    app = await startChild(`app (${kind}, worker off)`, main, env({ WEBHOOK_WORKER: 'off' }));
    const receiveOnly = await load(app.url, 'D', Math.max(3, Math.round(DURATION_S / 2)));
    const receiveOnlyRssMb = peakRssMb(app.process.pid);
    await stopChild(app);
    const receivingPromises = PROMISE_DIR ? promisesOf(PROMISE_DIR, app) : 0;
    app = await startChild(`app (${kind}, draining)`, main, env());
    await waitDrained(reader);
    const drainedAt = Date.now();
    const unindexedAtDrain = await reader.unindexed();
    while ((await reader.unindexed()) > 0) {
      if (Date.now() - drainedAt > DRAIN_TIMEOUT_MS) throw new Error('The search index did not catch up');
      await sleep(50);
    }
    const indexCaughtUpMs = Date.now() - drainedAt;
    const drained = await reader.phase('D');
    const drainRate =
      drained.n / ((drained.lastProcessed.getTime() - drained.firstProcessed.getTime()) / 1000);
    let promisesPerEvent: AppReport['promisesPerEvent'];
    if (PROMISE_DIR) {
      // Start-up's share of its count is under 1 % at these backlogs.
      await stopChild(app);
      promisesPerEvent = {
        received: receivingPromises / drained.n,
        drained: promisesOf(PROMISE_DIR, app) / drained.n,
      };
    }

    // 5. Receiving and processing in two processes on the same database, each with a core of its own
    // if the load generator leaves it one: what splitting the work across the cores would give.
    let split: SplitResult | undefined;
    if (SPLIT) {
      await stopChild(app);
      app = await startChild(`app (${kind}, receiving)`, main, env({ WEBHOOK_WORKER: 'off' }));
      split = await splitLoad(
        app,
        await startChild(`app (${kind}, processing)`, main, env(SPLIT_ENV)),
        reader,
      );
    }
    return {
      db: kind,
      paced,
      load: result,
      peakRssMb: rss,
      receiveOnly,
      receiveOnlyRssMb,
      backlogAtEnd,
      drainAfterMs,
      keptUpRate,
      drainRate,
      unindexedAtDrain,
      indexCaughtUpMs,
      split,
      failed: measured.failed + drained.failed,
      promisesPerEvent,
    };
  } finally {
    await reader.close();
    await stopChild(app);
    await dropSchema();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The saturation load on `receiver` (worker off) while `processor` (worker on) drains beside it. */
async function splitLoad(receiver: Target, processor: Target, reader: InboxReader): Promise<SplitResult> {
  try {
    const started = Date.now();
    const result = await load(receiver.url, 'X', DURATION_S);
    const seconds = (Date.now() - started) / 1000;
    const backlogAtEnd = await reader.pending();
    const drainAfterMs = await waitDrained(reader);
    const { n } = await reader.phase('X');
    return { load: result, processedPerSec: (n - backlogAtEnd) / seconds, backlogAtEnd, drainAfterMs };
  } finally {
    await stopChild(processor);
  }
}

async function benchBaseline(): Promise<{ load: LoadResult; paced: LoadResult; peakRssMb: number }> {
  const base = await startChild('baseline', join(ROOT, 'bench/baseline-server.js'), {
    LINE_CHANNEL_SECRET: SECRET,
  });
  try {
    await load(base.url, 'W', 3);
    const result = await load(base.url, 'M', DURATION_S);
    // The same paced load as the app's: the latency this machine and the load generator add anyway.
    const paced = await pacedLoad(base.url, 'Q', DURATION_S, PACED_EVENTS_PER_SEC);
    return { load: result, paced, peakRssMb: peakRssMb(base.process.pid) };
  } finally {
    await stopChild(base);
  }
}

const f0 = (n: number) => n.toFixed(0);
const f1 = (n: number) => n.toFixed(1);

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist/main.js')))
    throw new Error('dist/main.js is missing: run `npm run build` first');
  console.log(
    `webhook benchmark: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${f0(totalmem() / 2 ** 30)} GB, node ${process.version}; ` +
      `${CONNECTIONS} connections, ${DURATION_S} s, 1-5 text events per request, ${GROUPS} groups × ${MEMBERS_PER_GROUP} members`,
  );
  const fake = await FakeLine.start();
  for (const g of groups)
    fake.addGroup({ groupId: g.groupId, groupName: `Group ${g.groupId.slice(1, 7)}`, members: g.members });
  try {
    const baseline = await benchBaseline();
    const apps: AppReport[] = [await benchApp('sqlite', fake)];
    if (process.env.TEST_MYSQL_URL) apps.push(await benchApp('mysql', fake));
    else console.log('(TEST_MYSQL_URL not set: MySQL skipped)');

    const rows = [
      ['target', 'events/s', 'req/s', 'p50 ms', 'p99 ms', 'vs baseline', 'peak RSS MB', 'non-2xx', 'errors'],
      row('baseline (@line/bot-sdk middleware)', baseline.load, baseline.peakRssMb, 1),
      ...apps.map((a) =>
        row(`app, ${a.db}`, a.load, a.peakRssMb, a.load.eventsPerSec / baseline.load.eventsPerSec),
      ),
      ...apps.map((a) =>
        row(
          `app, ${a.db}, worker off (receive only)`,
          a.receiveOnly,
          a.receiveOnlyRssMb,
          a.receiveOnly.eventsPerSec / baseline.load.eventsPerSec,
        ),
      ),
    ];
    printTable(rows);
    console.log('');
    const splits = apps.flatMap(({ db, split }) => (split ? [{ db, split }] : []));
    if (splits.length > 0) {
      printTable([
        [
          'split: receiving | processing processes',
          'accepted events/s',
          'p50 ms',
          'p99 ms',
          'vs baseline',
          'processed meanwhile',
          'backlog at end',
          'drained after',
        ],
        ...splits.map(({ db, split }) => [
          db,
          f0(split.load.eventsPerSec),
          f1(split.load.p50),
          f1(split.load.p99),
          f1((split.load.eventsPerSec / baseline.load.eventsPerSec) * 100) + ' %',
          `${f0(split.processedPerSec)} ev/s`,
          String(split.backlogAtEnd),
          `${f1(split.drainAfterMs / 1000)} s`,
        ]),
      ]);
      console.log('');
    }
    printTable([
      [
        'inbox',
        'filled events/s',
        'backlog at end',
        'drained after',
        'kept-up rate',
        'drain rate (worker alone)',
        'drain/fill',
        'unindexed at drain end',
        'failed',
      ],
      ...apps.map((a) => [
        a.db,
        f0(a.load.eventsPerSec),
        String(a.backlogAtEnd),
        `${f1(a.drainAfterMs / 1000)} s`,
        `${f0(a.keptUpRate)} ev/s`,
        `${f0(a.drainRate)} ev/s`,
        f1(a.drainRate / a.load.eventsPerSec),
        `${a.unindexedAtDrain} (${f1(a.indexCaughtUpMs / 1000)} s)`,
        String(a.failed),
      ]),
    ]);
    console.log('');
    printTable([
      [
        `paced at ${PACED_EVENTS_PER_SEC} events/s`,
        'events/s',
        'p50 ms',
        'p99 ms',
        'max backlog',
        'backlog at end',
      ],
      ['baseline', f0(baseline.paced.eventsPerSec), f1(baseline.paced.p50), f1(baseline.paced.p99), '-', '-'],
      ...apps.map((a) => [
        a.db,
        f0(a.paced.load.eventsPerSec),
        f1(a.paced.load.p50),
        f1(a.paced.load.p99),
        String(a.paced.maxBacklog),
        String(a.paced.backlogAtEnd),
      ]),
    ]);
    for (const { db, promisesPerEvent: p } of apps)
      if (p)
        console.log(
          `\npromises per event on the app's main thread, ${db}: ${f1(p.received)} received (worker off), ` +
            `${f1(p.drained)} drained (counted by a promise hook: this run's rates are not comparable)`,
        );
    const sqlite = apps[0];
    const targets = [
      ['≥ 2,000 events/s on SQLite', sqlite.load.eventsPerSec >= 2000],
      ['p99 < 50 ms on SQLite', sqlite.load.p99 < 50],
      ['≥ half the baseline', sqlite.load.eventsPerSec >= baseline.load.eventsPerSec / 2],
      ['peak RSS < 300 MB', apps.every((a) => a.peakRssMb < 300)],
      ['drain ≥ fill at saturation', apps.every((a) => a.drainRate >= a.load.eventsPerSec)],
      [
        `worker keeps up at ${PACED_EVENTS_PER_SEC} events/s (backlog under 1 s of events)`,
        apps.every((a) => a.paced.maxBacklog < PACED_EVENTS_PER_SEC),
      ],
    ] as const;
    console.log('');
    for (const [what, ok] of targets) console.log(`${ok ? 'met   ' : 'MISSED'}  ${what}`);
  } finally {
    await fake.stop();
    if (PROMISE_DIR) rmSync(PROMISE_DIR, { recursive: true, force: true });
  }
}

function row(label: string, r: LoadResult, rss: number, ratio: number): string[] {
  return [
    label,
    f0(r.eventsPerSec),
    f0(r.requestsPerSec),
    f1(r.p50),
    f1(r.p99),
    f1(ratio * 100) + ' %',
    f0(rss),
    String(r.non2xx),
    String(r.errors),
  ];
}

function printTable(rows: string[][]): void {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows)
    console.log(r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
