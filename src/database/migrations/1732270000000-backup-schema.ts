import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { col, dialectOf } from '../columns';

/**
 * The archive: one timeline row per message or system entry, its search index, and one row per media
 * download (status, retries, and the SHA-256 of the stored content).
 */
export class BackupSchema1732270000000 implements MigrationInterface {
  name = 'BackupSchema1732270000000';

  async up(q: QueryRunner): Promise<void> {
    const d = dialectOf(q.connection.options.type);
    await q.createTable(
      new Table({
        name: 'backup_messages',
        columns: [
          col.id(),
          col.lineId('channel_id'),
          /** LINE's message id, or `<type>:<webhookEventId>` for a system entry: the idempotency key. */
          col.string('entry_key', 96),
          col.lineId('message_id', true),
          col.string('event_id', 64),
          col.string('msg_type', 32),
          col.lineId('user_id', true),
          /** LINE's timestamp in ms: the timeline's order. */
          col.bigint('ts'),
          col.text(d, 'text_content'),
          // NFKC, lower-cased text the search verifies against; binary collation so that MySQL compares
          // exactly what the application normalized (utf8mb4_unicode_ci would equate ハ and パ).
          {
            ...col.text(d, 'search_text'),
            ...(d === 'mysql' ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {}),
          },
          col.text(d, 'details'),
          col.bigint('unsent_at', true),
          col.datetime(d, 'content_deleted_at', true),
          col.datetime(d, 'archived_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_backup_messages_entry', columnNames: ['entry_key'], isUnique: true }),
          new TableIndex({ name: 'ix_backup_messages_channel_ts', columnNames: ['channel_id', 'ts', 'id'] }),
          new TableIndex({
            name: 'ix_backup_messages_channel_user_ts',
            columnNames: ['channel_id', 'user_id', 'ts', 'id'],
          }),
        ],
      }),
    );

    // The search index: posting lists in timeline order, so a search reads only as far as it needs.
    if (d === 'sqlite') {
      // WITHOUT ROWID: the primary key is the table, instead of a table plus an index of the same size.
      await q.query(
        `CREATE TABLE backup_message_terms (
           channel_key INTEGER NOT NULL, term BIGINT NOT NULL, ts BIGINT NOT NULL, message_pk INTEGER NOT NULL,
           PRIMARY KEY (channel_key, term, ts, message_pk)
         ) WITHOUT ROWID`,
      );
    } else {
      await q.createTable(
        new Table({
          name: 'backup_message_terms',
          columns: [
            { ...col.int('channel_key'), isPrimary: true },
            { ...col.bigint('term'), isPrimary: true },
            { ...col.bigint('ts'), isPrimary: true },
            { ...col.int('message_pk'), isPrimary: true },
          ],
        }),
      );
    }

    await q.createTable(
      new Table({
        name: 'backup_media',
        columns: [
          col.id(),
          col.int('message_pk'),
          col.lineId('line_message_id'),
          col.string('provider', 16),
          col.string('status', 16),
          col.int('attempts', false, 0),
          col.datetime(d, 'next_attempt_at', true),
          col.string('last_error', 500, true),
          col.string('sha256', 64, true),
          col.bigint('size', true),
          col.string('content_type', 255, true),
          col.text(d, 'original_url'),
          col.text(d, 'preview_url'),
          col.datetime(d, 'created_at'),
          col.datetime(d, 'updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_backup_media_message', columnNames: ['message_pk'], isUnique: true }),
          new TableIndex({ name: 'ix_backup_media_status_next', columnNames: ['status', 'next_attempt_at'] }),
          new TableIndex({ name: 'ix_backup_media_sha256', columnNames: ['sha256'] }),
        ],
        foreignKeys: [
          {
            columnNames: ['message_pk'],
            referencedTableName: 'backup_messages',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['backup_media', 'backup_message_terms', 'backup_messages']) {
      await q.dropTable(table);
    }
  }
}
