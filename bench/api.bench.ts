/**
 * `npm run bench:api`: the REST API under load, measured through HTTP on 127.0.0.1.
 *
 * The service runs as built (`node dist/main.js`, a child process, so the RSS measured is its own)
 * on a database seeded beforehand through a DataSource: one channel of 10,000 members, and one user
 * who is an active member of 500 channels. That user's token comes from the operators' CLI
 * (`node dist/cli.js token <userId>`). This process drives the service with autocannon at
 * concurrency 16 and prints requests/s, p50/p99 latency and the server's peak RSS, on SQLite (and
 * MySQL/MariaDB when TEST_MYSQL_URL is set).
 *
 * Targets (issue 5), for the two routes marked *: p99 under 100 ms on SQLite at concurrency 16,
 * server RSS under 300 MB. The other routes are shown for information.
 */
import 'reflect-metadata';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { DataSource } from 'typeorm';
import { Channel } from '../src/channels/channel.entity';
import { loadSettings } from '../src/config/settings';
import { dataSourceOptions } from '../src/database/data-source-options';
import { Member } from '../src/members/member.entity';
import { createTestDatabase, TestDatabase } from '../test/support/test-database';

const ROOT = resolve(__dirname, '..');
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 16);
const DURATION_S = envInt('BENCH_DURATION', 10);
const BIG_CHANNEL_MEMBERS = 10_000;
const USER_CHANNELS = 500;
const P99_TARGET_MS = 100;
const RSS_TARGET_MB = 300;
const JWT_SECRET = 'bench-jwt-secret-0123456789abcdef';

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  return raw && /^\d+$/.test(raw) ? Number(raw) : fallback;
}

interface Seeded {
  userId: string;
  bigChannelId: string;
  lastPageCursor: string;
}

interface Figures {
  route: string;
  target: boolean;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  bytes: number;
  failed: number;
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist/main.js')))
    throw new Error('dist/main.js is missing: run `npm run build` first');
  console.log(
    `bench:api: ${CONNECTIONS} connections, ${DURATION_S} s per route after a 2 s warm-up, loopback; ` +
      `node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GB`,
  );
  let ok = true;
  for (const kind of process.env.TEST_MYSQL_URL ? (['sqlite', 'mysql'] as const) : (['sqlite'] as const)) {
    ok = (await runOn(kind)) && ok;
  }
  process.exit(ok ? 0 : 1);
}

async function runOn(kind: 'sqlite' | 'mysql'): Promise<boolean> {
  const db = await createTestDatabase(kind);
  const env = {
    PATH: process.env.PATH,
    DATA_DIR: db.dataDir,
    ...(db.url ? { DATABASE_URL: db.url } : {}),
    JWT_SECRET,
    LOG_LEVEL: 'warn',
    WEBHOOK_WORKER: 'off',
    LINE_API_BASE_URL: 'http://127.0.0.1:9',
    LINE_DATA_API_BASE_URL: 'http://127.0.0.1:9',
  };
  let server: ChildProcess | undefined;
  try {
    const started = Date.now();
    const seeded = await seed(db);
    console.log(
      `\n[${kind}] seeded ${BIG_CHANNEL_MEMBERS} members in one channel and a user in ${USER_CHANNELS} channels in ${Date.now() - started} ms`,
    );
    const token = await cliToken(env, seeded.userId);
    const port = await freePort();
    // BENCH_NODE_ARGS: node flags for the service (default: the heap cap `npm start` uses; add `--cpu-prof` to profile).
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '--max-old-space-size=256').split(' ').filter(Boolean);
    server = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist/main.js')], {
      cwd: ROOT,
      env: { ...env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const base = `http://127.0.0.1:${port}`;
    await waitForHealth(base, server);
    const idle = memory(server).rss;
    const headers = { authorization: `Bearer ${token}` };
    const c = seeded.bigChannelId;
    const routes: Array<[string, string, boolean]> = [
      [
        '* GET /api/channels/:id/members (10,000 members; first page, 100)',
        `/api/channels/${c}/members`,
        true,
      ],
      [`* GET /api/channels (a user in ${USER_CHANNELS} channels)`, '/api/channels', true],
      [
        '  GET /api/channels/:id/members?cursor=<last page>',
        `/api/channels/${c}/members?cursor=${seeded.lastPageCursor}`,
        false,
      ],
      ['  GET /api/channels/:id/members?limit=1000', `/api/channels/${c}/members?limit=1000`, false],
      ['  GET /api/channels/:id', `/api/channels/${c}`, false],
    ];
    // The service's code is compiled by V8 on first use: warm every route before measuring any.
    for (const [, path] of routes) await load(base + path, headers, 1);
    const figures: Figures[] = [];
    for (const [route, path, target] of routes) {
      await load(base + path, headers, 2);
      const r = await load(base + path, headers, DURATION_S);
      figures.push({
        route,
        target,
        rps: Math.round(r.requests.average),
        p50: r.latency.p50,
        p99: r.latency.p99,
        max: r.latency.max,
        bytes: Math.round(r.throughput.total / Math.max(1, r.requests.total)),
        failed: r.non2xx + r.errors + r.timeouts,
      });
    }
    const peak = memory(server).hwm;
    console.table(
      figures.map((f) => ({
        route: f.route,
        'req/s': f.rps,
        'p50 ms': f.p50,
        'p99 ms': f.p99,
        'max ms': f.max,
        'bytes/answer': f.bytes,
        failed: f.failed,
      })),
    );
    const targets = figures.filter((f) => f.target);
    const worstP99 = Math.max(...targets.map((f) => f.p99));
    const p99ok = kind !== 'sqlite' || worstP99 < P99_TARGET_MS;
    const rssOk = peak < RSS_TARGET_MB;
    const clean = figures.every((f) => f.failed === 0);
    console.log(
      `[${kind}] server RSS ${idle} MB idle, ${peak} MB peak (target < ${RSS_TARGET_MB}: ${rssOk ? 'met' : 'MISSED'}); ` +
        `worst p99 of * routes ${worstP99} ms` +
        (kind === 'sqlite' ? ` (target < ${P99_TARGET_MS}: ${p99ok ? 'met' : 'MISSED'})` : '') +
        `; ${clean ? 'every answer 200' : 'SOME REQUESTS FAILED'}`,
    );
    return p99ok && rssOk && clean;
  } finally {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
    await db.drop();
  }
}

/** Straight through a DataSource (migrations included): the API is what is measured. */
async function seed(db: TestDatabase): Promise<Seeded> {
  const settings = loadSettings({ DATA_DIR: db.dataDir, DATABASE_URL: db.url, JWT_SECRET });
  const ds = new DataSource(dataSourceOptions(settings.database, [Channel, Member]));
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
    const hex = (n: number) => n.toString(16).padStart(32, '0');
    const userId = `U${'b'.repeat(24)}${hex(1).slice(-8)}`;
    const now = new Date();
    const channelIds = Array.from({ length: USER_CHANNELS }, (_, i) => `C${hex(i + 1)}`);
    const bigChannelId = channelIds[0];
    await ds.getRepository(Channel).insert(
      channelIds.map((channelId, i) => ({
        channelId,
        type: 'group' as const,
        name: `群組 ${i + 1} 😀`,
        pictureUrl: `https://profile.line-scdn.net/g${i}`,
        memberCount: i === 0 ? BIG_CHANNEL_MEMBERS : 20,
        status: 'active' as const,
        createdAt: now,
        createdBy: 'system',
        enabledAt: new Date(now.getTime() - i * 1000),
        disabledAt: null,
        updatedAt: now,
      })),
    );
    const member = (channelId: string, uid: string, i: number): Partial<Member> => ({
      channelId,
      userId: uid,
      displayName: `成員 ${i} ✨`,
      pictureUrl: `https://profile.line-scdn.net/u${i}`,
      role: i % 50 === 1 ? 'admin' : 'member',
      status: i % 10 === 9 ? 'left' : 'active',
      joinedAt: now,
      leftAt: i % 10 === 9 ? now : null,
      updatedAt: now,
      profileFetchedAt: now,
    });
    const rows = [
      ...channelIds.map((c) => ({ ...member(c, userId, 0), status: 'active' as const, leftAt: null })),
      ...Array.from({ length: BIG_CHANNEL_MEMBERS - 1 }, (_, i) =>
        member(bigChannelId, `U${hex(i + 2)}`, i + 1),
      ),
    ];
    for (let i = 0; i < rows.length; i += 500) await ds.getRepository(Member).insert(rows.slice(i, i + 500));
    const [{ id }] = await ds.query(
      `SELECT id FROM members WHERE channel_id = ? ORDER BY id DESC LIMIT 1 OFFSET 100`,
      [bigChannelId],
    );
    return { userId, bigChannelId, lastPageCursor: String(id) };
  } finally {
    await ds.destroy();
  }
}

/** The token an operator would make: `node dist/cli.js token <userId>`. */
function cliToken(env: Record<string, string | undefined>, userId: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      [join(ROOT, 'dist/cli.js'), 'token', userId],
      { cwd: ROOT, env },
      (err, stdout, stderr) =>
        err ? reject(new Error(`cli token failed: ${stderr}`)) : resolvePromise(stdout.trim()),
    );
  });
}

function load(url: string, headers: Record<string, string>, duration: number): Promise<autocannon.Result> {
  return autocannon({ url, headers, connections: CONNECTIONS, duration });
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

async function waitForHealth(base: string, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the service exited with ${server.exitCode}`);
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error('the service did not answer /health within 60 s');
}

/** Current and peak (high-water mark) RSS of the server, from /proc, in MB. */
function memory(child: ChildProcess): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const mb = (field: string) =>
    Math.round(Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) / 1024);
  return { rss: mb('VmRSS'), hwm: mb('VmHWM') };
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
