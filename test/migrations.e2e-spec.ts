import { DataSource } from 'typeorm';
import { loadSettings } from '../src/config/settings';
import { dataSourceOptions } from '../src/database/data-source-options';
import { migrations } from '../src/database/migrations';
import { SqliteFtsIndex1732300000000 } from '../src/database/migrations/1732300000000-sqlite-fts-index';
import { ChannelLineRead1732320000000 } from '../src/database/migrations/1732320000000-channel-line-read';
import { createTestDatabase, TestDatabase } from './support/test-database';

describe('migrations', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    const settings = loadSettings({ DATA_DIR: db.dataDir, DATABASE_URL: db.url, JWT_SECRET: 'x'.repeat(32) });
    ds = new DataSource(dataSourceOptions(settings.database));
    await ds.initialize();
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  /** Undoes `migration` and every one after it. */
  async function undoThrough(migration: (typeof migrations)[number]): Promise<void> {
    const count = migrations.length - migrations.indexOf(migration);
    for (let i = 0; i < count; i++) await ds.undoLastMigration({ transaction: 'each' });
  }

  it('build the whole schema from an empty database, and undo it', async () => {
    const ran = await ds.runMigrations({ transaction: 'each' });
    expect(ran.map((m) => m.name)).toEqual(migrations.map((m) => new m().name));
    for (const table of ['channels', 'channel_configs', 'members', 'webhook_events', 'audit_logs']) {
      expect(await ds.createQueryRunner().hasTable(table)).toBe(true);
    }
    expect(await ds.showMigrations()).toBe(false);
    for (let i = 0; i < migrations.length; i++) await ds.undoLastMigration({ transaction: 'each' });
    expect(await ds.createQueryRunner().hasTable('channels')).toBe(false);
    await ds.runMigrations({ transaction: 'each' });
    expect(await ds.showMigrations()).toBe(false);
  });

  it('queues every archived message again for the search index when SQLite moves it to FTS5', async () => {
    const has = (table: string) => ds.createQueryRunner().hasTable(table);
    if (ds.options.type !== 'better-sqlite3') {
      // MySQL keeps its term table.
      expect([await has('backup_message_terms'), await has('backup_message_fts')]).toEqual([true, false]);
      return;
    }
    await undoThrough(SqliteFtsIndex1732300000000);
    expect(await has('backup_message_terms')).toBe(true);
    await ds.query(
      `INSERT INTO backup_messages (channel_id, entry_key, event_id, msg_type, ts, search_text, archived_at)
       VALUES ('Cmig', 'mig-1', 'e1', 'text', 1, '搬家 moved', '2026-01-01 00:00:00'),
              ('Cmig', 'mig-2', 'e2', 'image', 2, NULL, '2026-01-01 00:00:00')`,
    );
    await ds.query('DELETE FROM backup_index_queue');
    await ds.runMigrations({ transaction: 'each' });
    const queued = await ds.query(
      'SELECT m.entry_key AS k FROM backup_index_queue q JOIN backup_messages m ON m.id = q.message_pk',
    );
    expect(queued).toEqual([{ k: 'mig-1' }]);
    expect([await has('backup_message_terms'), await has('backup_message_fts')]).toEqual([false, true]);
    await ds.query("DELETE FROM backup_messages WHERE channel_id = 'Cmig'");
    await ds.query('DELETE FROM backup_index_queue');
  });

  it('counts the chats stored before it as read from LINE, so an upgrade does not read them all again', async () => {
    await undoThrough(ChannelLineRead1732320000000);
    await ds.query(
      `INSERT INTO channels (channel_id, type, status, created_at, created_by, enabled_at, updated_at)
       VALUES ('Cold', 'group', 'active', '2026-01-01 00:00:00', 'system', '2026-01-01 00:00:00', '2026-01-02 00:00:00')`,
    );
    await ds.runMigrations({ transaction: 'each' });
    const [row] = await ds.query("SELECT line_read_at AS r FROM channels WHERE channel_id = 'Cold'");
    expect(row.r).not.toBeNull();
    await ds.query("DELETE FROM channels WHERE channel_id = 'Cold'");
  });

  it('stores emoji and CJK text intact and times in UTC, whatever the process time zone', async () => {
    const when = new Date('2025-01-15T08:00:00.123Z');
    const name = '購物討論群 😀🎉 ไทย';
    const { Channel } = await import('../src/channels/channel.entity');
    const entityDs = new DataSource({ ...ds.options, entities: [Channel] } as typeof ds.options);
    await entityDs.initialize();
    try {
      const repo = entityDs.getRepository(Channel);
      await repo.insert({
        channelId: 'C0123',
        type: 'group',
        name,
        status: 'active',
        createdAt: when,
        createdBy: 'system',
        enabledAt: when,
        updatedAt: when,
      });
      const row = await repo.findOneByOrFail({ channelId: 'C0123' });
      expect(row.name).toBe(name);
      expect(row.createdAt.toISOString()).toBe('2025-01-15T08:00:00.123Z');
      const [raw] = await entityDs.query(
        "SELECT CAST(created_at AS CHAR) AS t FROM channels WHERE channel_id = 'C0123'",
      );
      expect(String(raw.t)).toMatch(/^2025-01-15[ T]08:00:00\.123/);
    } finally {
      await entityDs.destroy();
    }
  });
});
