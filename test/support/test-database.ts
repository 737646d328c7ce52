import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';

/** A database of its own for one suite: a SQLite file in a temporary folder, or a fresh MariaDB schema. */
export interface TestDatabase {
  kind: 'sqlite' | 'mysql';
  dataDir: string;
  /** Value for DATABASE_URL; undefined means the SQLite default inside dataDir. */
  url?: string;
  drop(): Promise<void>;
}

export function testDbKind(): 'sqlite' | 'mysql' {
  return process.env.TEST_DB === 'mysql' ? 'mysql' : 'sqlite';
}

export async function createTestDatabase(kind = testDbKind()): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lgm-test-'));
  const removeDir = () => rmSync(dataDir, { recursive: true, force: true });
  if (kind === 'sqlite') return { kind, dataDir, drop: async () => removeDir() };

  const base = process.env.TEST_MYSQL_URL;
  if (!base) throw new Error('TEST_DB=mysql needs TEST_MYSQL_URL (mysql://root@127.0.0.1:3306/test)');
  const name = `lgm_t_${randomBytes(6).toString('hex')}`;
  const server = new URL(base);
  const admin = () =>
    createConnection({
      host: server.hostname,
      port: Number(server.port || 3306),
      user: decodeURIComponent(server.username),
      password: decodeURIComponent(server.password),
    });
  const conn = await admin();
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    kind,
    dataDir,
    url: url.toString(),
    drop: async () => {
      const c = await admin();
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
      removeDir();
    },
  };
}
