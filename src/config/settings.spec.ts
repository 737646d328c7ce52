import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadSettings, parseDuration } from './settings';

const dataDir = () => mkdtempSync(join(tmpdir(), 'lgm-settings-'));
const load = (env: Record<string, string>) => loadSettings({ DATA_DIR: dataDir(), ...env });

describe('loadSettings', () => {
  it('has working defaults: SQLite in DATA_DIR, LINE hosts, port 3000', () => {
    const dir = dataDir();
    const s = loadSettings({ DATA_DIR: dir });
    expect(s.port).toBe(3000);
    expect(s.database).toEqual({ type: 'sqlite', path: join(dir, 'line-group-manager.sqlite') });
    expect(s.line.apiBaseUrl).toBe('https://api.line.me');
    expect(s.line.dataApiBaseUrl).toBe('https://api-data.line.me');
    expect(s.auth.jwtTtlSeconds).toBe(12 * 3600);
    expect(s.defaultLanguage).toBe('zh-TW');
  });

  it('parses a MySQL URL', () => {
    const s = load({ DATABASE_URL: 'mysql://app:p%40ss@db.local:3307/lgm' });
    expect(s.database).toMatchObject({
      type: 'mysql',
      host: 'db.local',
      port: 3307,
      username: 'app',
      password: 'p@ss',
      database: 'lgm',
    });
  });

  it("sizes the worker's defaults to the database, and lets WEBHOOK_* override them", () => {
    const mysql = 'mysql://root@127.0.0.1:3306/lgm';
    const pick = (env: Record<string, string>) => {
      const { concurrency, maxBacklog } = load(env).webhook;
      return { concurrency, maxBacklog };
    };
    expect(pick({})).toEqual({ concurrency: 5, maxBacklog: 10_000 });
    expect(pick({ DATABASE_URL: mysql })).toEqual({ concurrency: 32, maxBacklog: 5_000 });
    expect(pick({ DATABASE_URL: mysql, WEBHOOK_MAX_BACKLOG: '0', WEBHOOK_CONCURRENCY: '8' })).toEqual({
      concurrency: 8,
      maxBacklog: 0,
    });
  });

  it('flushes answered webhooks only when WEBHOOK_FSYNC=on', () => {
    expect(load({}).webhook.fsync).toBe(false);
    expect(load({ WEBHOOK_FSYNC: 'on' }).webhook.fsync).toBe(true);
    expect(() => load({ WEBHOOK_FSYNC: 'yes' })).toThrow(ConfigError);
  });

  it('gives storing a webhook 1.5 s by default (LINE waits 2 s), and checks WEBHOOK_STORE_TIMEOUT_MS', () => {
    expect(load({}).webhook.storeTimeoutMs).toBe(1500);
    expect(load({ WEBHOOK_STORE_TIMEOUT_MS: '800' }).webhook.storeTimeoutMs).toBe(800);
    for (const bad of ['0', '99', '60001', '1.5s', '-1']) {
      expect(() => load({ WEBHOOK_STORE_TIMEOUT_MS: bad })).toThrow(ConfigError);
    }
  });

  it('generates a JWT secret once and keeps it in DATA_DIR', () => {
    const dir = dataDir();
    const first = loadSettings({ DATA_DIR: dir });
    const second = loadSettings({ DATA_DIR: dir });
    expect(first.auth.jwtSecretGenerated).toBe(true);
    expect(second.auth.jwtSecret).toBe(first.auth.jwtSecret);
    expect(readFileSync(join(dir, 'jwt-secret'), 'utf8').trim()).toBe(first.auth.jwtSecret);
  });

  it('strips trailing slashes from base URLs', () => {
    expect(load({ LINE_API_BASE_URL: 'http://127.0.0.1:9999/' }).line.apiBaseUrl).toBe(
      'http://127.0.0.1:9999',
    );
  });

  it.each([
    [{ PORT: 'abc' }, /^PORT must be a whole number/],
    [{ PORT: '70000' }, /^PORT must be a whole number from 0 to 65535/],
    [{ DATABASE_URL: 'postgres://x@y/z' }, /^DATABASE_URL scheme must be/],
    [{ DATABASE_URL: 'mysql://root@127.0.0.1:3306' }, /^DATABASE_URL must name a database/],
    [{ LINE_API_BASE_URL: 'ftp://x' }, /^LINE_API_BASE_URL must be an http\(s\) URL/],
    [{ LINE_DATA_API_BASE_URL: 'not a url' }, /^LINE_DATA_API_BASE_URL must be an http\(s\) URL/],
    [{ JWT_SECRET: 'short' }, /^JWT_SECRET must be at least 16 characters/],
    [{ JWT_TTL: '12 hours' }, /^JWT_TTL must be a duration/],
    [{ DEFAULT_LANGUAGE: 'fr' }, /^DEFAULT_LANGUAGE must be one of zh-TW, ja, th, en/],
    [{ LOG_LEVEL: 'loud' }, /^LOG_LEVEL must be one of/],
    [{ OPERATOR_USER_IDS: 'Uabc' }, /^OPERATOR_USER_IDS has "Uabc"/],
  ])('refuses %p with one line naming the variable', (env, message) => {
    let error: unknown;
    try {
      load(env as Record<string, string>);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('reads TRUST_PROXY as Express takes it', () => {
    expect(load({}).auth.trustProxy).toBe(false);
    expect(load({ TRUST_PROXY: 'true' }).auth.trustProxy).toBe(true);
    expect(load({ TRUST_PROXY: '1' }).auth.trustProxy).toBe(1);
    expect(load({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).auth.trustProxy).toBe('loopback, 10.0.0.0/8');
    expect(() => load({ TRUST_PROXY: 'a;b' })).toThrow(/^TRUST_PROXY must be/);
  });

  it('reads durations with units', () => {
    expect(parseDuration('JWT_TTL', '30m')).toBe(1800);
    expect(parseDuration('JWT_TTL', '7d')).toBe(7 * 86400);
    expect(parseDuration('JWT_TTL', '3600')).toBe(3600);
  });

  it('accepts operators as a comma list', () => {
    const a = 'U' + 'a'.repeat(32);
    const b = 'U' + 'b'.repeat(32);
    expect(load({ OPERATOR_USER_IDS: ` ${a}, ${b} ` }).auth.operatorUserIds).toEqual([a, b]);
  });
});
