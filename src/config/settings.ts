import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export const LANGUAGES = ['zh-TW', 'ja', 'th', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type DatabaseSettings =
  | { type: 'sqlite'; path: string }
  | {
      type: 'mysql';
      url: string;
      host: string;
      port: number;
      username: string;
      password: string;
      database: string;
    };

export interface LineSettings {
  channelSecret?: string;
  channelAccessToken?: string;
  apiBaseUrl: string;
  dataApiBaseUrl: string;
  /** How long one LINE API call may take before it counts as a timeout and is retried. */
  timeoutMs: number;
  maxRetries: number;
}

export interface AuthSettings {
  jwtSecret: string;
  jwtSecretGenerated: boolean;
  jwtTtlSeconds: number;
  operatorUserIds: string[];
  /** POST /api/auth/login tries per IP per minute (LOGIN_RATE_LIMIT). */
  loginRateLimit: number;
  /**
   * Express `trust proxy` (TRUST_PROXY): behind a reverse proxy the client's address comes from
   * X-Forwarded-For, otherwise every caller would share the proxy's address and its login limit.
   */
  trustProxy: boolean | number | string;
}

/**
 * Chats processed at once, by database (see the README's benchmark). SQLite work is synchronous on
 * this process's one thread, and the archive commits behind the worker there, so each running chat
 * does an event per turn of the event loop: every chat more is time taken from answering webhooks
 * (5 answered a third more webhooks than 10, and drained as fast). MySQL waits on round trips and
 * commits: more chats keep it busy.
 */
const DEFAULT_CONCURRENCY = { sqlite: 5, mysql: 32 } as const;
/**
 * Pending events past which webhooks wait for room: about 1.5 s of processing on each database here
 * (SQLite 6,000 to 7,500 events/s, MySQL 3,100 to 4,300), which is how late a bot's reply may come
 * at saturation. At 10,000 on MySQL, 3 s: and in the benchmark's 10 s of saturation the backlog alone
 * added 1,000 events/s to what was stored, so that the inbox filled as fast as the worker drained it.
 */
const DEFAULT_MAX_BACKLOG = { sqlite: 10_000, mysql: 5_000 } as const;

/**
 * WEBHOOK_STORE_TIMEOUT_MS by default. LINE counts a webhook failed when it has no answer within 2 s;
 * a 503 sent at 1.5 s still reaches it in time (an error LINE redelivers where redelivery is on, not a
 * timeout), leaving 0.5 s for what comes before the insert (reading the body, the backlog's wait of
 * 15 ms at its limit) and the way back. A working MySQL stores a webhook in milliseconds (a p99 of
 * 55 ms at saturation in the benchmark): an insert still running at 1.5 s means an unreachable or
 * stalled server, not a slow one.
 */
const DEFAULT_STORE_TIMEOUT_MS = 1500;

/** The webhook inbox worker (src/webhook/). */
export interface WebhookSettings {
  /** Off: events are stored and answered 200 but not processed until a process with it on starts. */
  workerEnabled: boolean;
  /** On SQLite, a webhook's commit is on the disk before its 200 (see wal-sync.ts); off: NORMAL. */
  fsync: boolean;
  /**
   * How many chats are processed at the same time (events of one chat are always one at a time); on
   * SQLite, chats waiting on LINE do not count (see inbox-worker.service.ts).
   */
  concurrency: number;
  /** Attempts of one event before it is marked failed and its chat goes on. */
  maxAttempts: number;
  /** First retry delay; doubles per attempt up to retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /**
   * How long a new event waits before it is processed, so that events of one chat that LINE sends
   * in separate requests a moment apart are still processed in timestamp order.
   */
  reorderWindowMs: number;
  /** How often the inbox is scanned for work not signalled in-process (retries, other writers). */
  pollIntervalMs: number;
  /**
   * How long one attempt of an event's handlers may take before it counts as failed (and is
   * retried): a handler that never finishes must not hold its chat for good.
   */
  eventTimeoutMs: number;
  /** On shutdown, how long events being processed may take to finish; the rest resume on start-up. */
  shutdownGraceMs: number;
  /** Pending events above which webhooks wait for processing to make room (0: never wait). */
  maxBacklog: number;
  /**
   * The longest a webhook waits for room, with the backlog at its limit, before it is stored anyway;
   * the wait grows with the backlog, to 1 s at twice the limit (LINE times out at 2 s).
   */
  backlogWaitMs: number;
  /**
   * MySQL/MariaDB only: a webhook whose insert has not committed this long after it was handed to
   * the inbox is answered 503 (the insert goes on, and what it stores is processed), and while such an
   * insert has not ended, new webhooks are refused with 503 at once (see store-deadline.ts).
   */
  storeTimeoutMs: number;
  /** Processed events are deleted after this many days (their ids still deduplicate until then); 0 keeps them. */
  retentionDays: number;
}

/** The archive (src/backup/): where media goes and how its download is retried. */
export interface BackupSettings {
  /** Local media store root: content-addressed files `ab/cd/<sha256>` (default DATA_DIR/media). */
  mediaDir: string;
  /** First retry delay of a media download (202, 404, 5xx, timeout); doubles per attempt up to mediaRetryMaxMs. */
  mediaRetryBaseMs: number;
  mediaRetryMaxMs: number;
  /** Downloads tried per media item before it is marked failed (the message row is always kept). */
  mediaMaxAttempts: number;
}

/** The whole validated configuration; the only place that reads the environment is `loadSettings`. */
export interface Settings {
  port: number;
  dataDir: string;
  database: DatabaseSettings;
  line: LineSettings;
  auth: AuthSettings;
  publicUrl?: string;
  defaultLanguage: Language;
  logLevel: LogLevel;
  profileMaxAgeMs: number;
  /** After a read of a chat from LINE cut short by a timeout, 429 or 5xx: the first wait before reading it again. */
  chatReadRetryMs: number;
  webhook: WebhookSettings;
  backup: BackupSettings;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function value(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return Number(raw);
}

function httpUrl(env: Env, name: string, fallback?: string): string | undefined {
  const raw = value(env, name) ?? fallback;
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL (got "${raw}")`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must be an http(s) URL (got "${raw}")`);
  }
  return raw.replace(/\/+$/, '');
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
  }
  return raw as T;
}

/** `true`/`false`, a hop count, or addresses and subnets as Express takes them (`loopback, 10.0.0.0/8`). */
function trustProxy(raw: string | undefined): boolean | number | string {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  if (!/^[\w.:/,\s-]+$/.test(raw))
    throw new ConfigError(`TRUST_PROXY must be true, false, a hop count or addresses (got "${raw}")`);
  return raw;
}

/** Accepts seconds ("3600") or a number with a unit: 30m, 12h, 7d. */
export function parseDuration(name: string, raw: string): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(raw);
  if (!m || Number(m[1]) <= 0)
    throw new ConfigError(`${name} must be a duration like 3600, 30m, 12h or 7d (got "${raw}")`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

function database(env: Env, dataDir: string): DatabaseSettings {
  const raw = value(env, 'DATABASE_URL');
  if (raw === undefined) return { type: 'sqlite', path: join(dataDir, 'line-group-manager.sqlite') };
  if (raw.startsWith('sqlite:')) {
    const file = raw.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!file) throw new ConfigError('DATABASE_URL sqlite:<path> needs a file path');
    return { type: 'sqlite', path: file === ':memory:' ? file : resolve(file) };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL must be mysql://user:pass@host:3306/db or sqlite:<path>');
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new ConfigError(`DATABASE_URL scheme must be mysql:, mariadb: or sqlite: (got "${url.protocol}")`);
  }
  const dbName = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!dbName)
    throw new ConfigError('DATABASE_URL must name a database, as in mysql://user:pass@host:3306/db');
  return {
    type: 'mysql',
    url: raw,
    host: url.hostname,
    port: url.port ? Number(url.port) : 3306,
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: dbName,
  };
}

/** Without JWT_SECRET a random one is made once and kept in DATA_DIR, so tokens survive restarts. */
function jwtSecret(env: Env, dataDir: string): { secret: string; generated: boolean } {
  const raw = value(env, 'JWT_SECRET');
  if (raw !== undefined) {
    if (raw.length < 16) throw new ConfigError('JWT_SECRET must be at least 16 characters');
    return { secret: raw, generated: false };
  }
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return { secret: readFileSync(file, 'utf8').trim(), generated: true };
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return { secret, generated: true };
}

export function loadSettings(env: Env): Settings {
  const dataDirRaw = value(env, 'DATA_DIR') ?? './data';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(dataDirRaw);
  const jwt = jwtSecret(env, dataDir);
  const operators = (value(env, 'OPERATOR_USER_IDS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const id of operators) {
    if (!/^U[0-9a-f]{32}$/.test(id))
      throw new ConfigError(`OPERATOR_USER_IDS has "${id}", which is not a LINE user id (U + 32 hex)`);
  }
  const ttlRaw = value(env, 'JWT_TTL');
  const db = database(env, dataDir);
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    dataDir,
    database: db,
    line: {
      channelSecret: value(env, 'LINE_CHANNEL_SECRET'),
      channelAccessToken: value(env, 'LINE_CHANNEL_ACCESS_TOKEN'),
      apiBaseUrl: httpUrl(env, 'LINE_API_BASE_URL', 'https://api.line.me')!,
      dataApiBaseUrl: httpUrl(env, 'LINE_DATA_API_BASE_URL', 'https://api-data.line.me')!,
      timeoutMs: integer(env, 'LINE_TIMEOUT_MS', 10_000, 100, 600_000),
      maxRetries: integer(env, 'LINE_MAX_RETRIES', 4, 0, 10),
    },
    auth: {
      jwtSecret: jwt.secret,
      jwtSecretGenerated: jwt.generated,
      jwtTtlSeconds: ttlRaw === undefined ? 12 * 3600 : parseDuration('JWT_TTL', ttlRaw),
      operatorUserIds: operators,
      loginRateLimit: integer(env, 'LOGIN_RATE_LIMIT', 10, 1, 100_000),
      trustProxy: trustProxy(value(env, 'TRUST_PROXY')),
    },
    publicUrl: httpUrl(env, 'PUBLIC_URL'),
    defaultLanguage: oneOf(env, 'DEFAULT_LANGUAGE', LANGUAGES, 'zh-TW'),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    profileMaxAgeMs: integer(env, 'PROFILE_MAX_AGE_HOURS', 24, 1, 24 * 365) * 3600_000,
    chatReadRetryMs: integer(env, 'CHAT_READ_RETRY_SECONDS', 60, 1, 3600) * 1000,
    webhook: {
      workerEnabled: oneOf(env, 'WEBHOOK_WORKER', ['on', 'off'], 'on') === 'on',
      fsync: oneOf(env, 'WEBHOOK_FSYNC', ['on', 'off'], 'off') === 'on',
      concurrency: integer(env, 'WEBHOOK_CONCURRENCY', DEFAULT_CONCURRENCY[db.type], 1, 64),
      maxAttempts: integer(env, 'WEBHOOK_MAX_ATTEMPTS', 5, 1, 100),
      retryBaseMs: integer(env, 'WEBHOOK_RETRY_BASE_MS', 1000, 1, 3600_000),
      retryMaxMs: integer(env, 'WEBHOOK_RETRY_MAX_MS', 60_000, 1, 24 * 3600_000),
      reorderWindowMs: integer(env, 'WEBHOOK_REORDER_WINDOW_MS', 200, 0, 10_000),
      pollIntervalMs: integer(env, 'WEBHOOK_POLL_INTERVAL_MS', 2000, 10, 600_000),
      eventTimeoutMs: integer(env, 'WEBHOOK_EVENT_TIMEOUT_MS', 600_000, 100, 24 * 3600_000),
      shutdownGraceMs: integer(env, 'WEBHOOK_SHUTDOWN_GRACE_MS', 5000, 0, 600_000),
      maxBacklog: integer(env, 'WEBHOOK_MAX_BACKLOG', DEFAULT_MAX_BACKLOG[db.type], 0, 10_000_000),
      backlogWaitMs: integer(env, 'WEBHOOK_BACKLOG_WAIT_MS', 15, 1, 1000),
      storeTimeoutMs: integer(env, 'WEBHOOK_STORE_TIMEOUT_MS', DEFAULT_STORE_TIMEOUT_MS, 100, 60_000),
      retentionDays: integer(env, 'WEBHOOK_RETENTION_DAYS', 30, 0, 36500),
    },
    backup: {
      mediaDir: resolve(dataDir, value(env, 'BACKUP_MEDIA_DIR') ?? 'media'),
      mediaRetryBaseMs: integer(env, 'BACKUP_MEDIA_RETRY_BASE_MS', 5000, 1, 3600_000),
      mediaRetryMaxMs: integer(env, 'BACKUP_MEDIA_RETRY_MAX_MS', 600_000, 1, 24 * 3600_000),
      mediaMaxAttempts: integer(env, 'BACKUP_MEDIA_MAX_ATTEMPTS', 12, 1, 100),
    },
  };
}
