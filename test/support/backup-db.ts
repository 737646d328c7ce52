import { DataSource, DataSourceOptions } from 'typeorm';
import { createTestDatabase, TestDatabase } from './test-database';
import { loadSettings } from '../../src/config/settings';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { ArchiveEntry } from '../../src/backup/archive-entry';

/** The databases the archive's integration specs run on: SQLite, and MySQL/MariaDB when configured. */
export const DB_KINDS: Array<'sqlite' | 'mysql'> = process.env.TEST_MYSQL_URL
  ? ['sqlite', 'mysql']
  : ['sqlite'];

export interface ArchiveDb {
  ds: DataSource;
  db: TestDatabase;
  close(): Promise<void>;
}

/** A migrated database of its own, without the Nest app, for specs of the archive's storage logic. */
export async function openArchiveDb(
  kind: 'sqlite' | 'mysql',
  entities: DataSourceOptions['entities'] = [],
): Promise<ArchiveDb> {
  const db = await createTestDatabase(kind);
  const settings = loadSettings({ DATA_DIR: db.dataDir, DATABASE_URL: db.url, JWT_SECRET: 'x'.repeat(32) });
  const ds = new DataSource(dataSourceOptions(settings.database, entities));
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  return {
    ds,
    db,
    close: async () => {
      await ds.destroy();
      await db.drop();
    },
  };
}

let seq = 0;

/** A text entry as the webhook handler would make it. */
export function textEntry(
  channelId: string,
  text: string,
  overrides: Partial<ArchiveEntry> = {},
): ArchiveEntry {
  seq++;
  const id = String(600_000_000_000_000 + seq * 7 + Math.floor(Math.random() * 7));
  return {
    channelId,
    entryKey: id,
    messageId: id,
    eventId: `01TESTEVENT${String(seq).padStart(15, '0')}`,
    type: 'text',
    userId: 'U' + '0'.repeat(31) + '1',
    timestamp: 1_735_000_000_000 + seq * 1000,
    text,
    searchable: null,
    details: null,
    media: null,
    ...overrides,
  };
}
