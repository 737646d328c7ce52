import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { col, dialectOf } from '../columns';

/** Channels, their config, members, the webhook inbox and the audit log. */
export class CoreSchema1732240000000 implements MigrationInterface {
  name = 'CoreSchema1732240000000';

  async up(q: QueryRunner): Promise<void> {
    const d = dialectOf(q.connection.options.type);
    if (d === 'mysql') {
      // LINE text is full of emoji: every table of this database must be utf8mb4.
      await q.query('ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
    }
    await q.createTable(
      new Table({
        name: 'channels',
        columns: [
          { ...col.lineId('channel_id'), isPrimary: true },
          col.string('type', 8),
          col.string('name', 255, true),
          col.string('picture_url', 1024, true),
          col.int('member_count', true),
          col.string('status', 16),
          col.datetime(d, 'created_at'),
          col.string('created_by', 64),
          col.datetime(d, 'enabled_at'),
          col.datetime(d, 'disabled_at', true),
          col.datetime(d, 'updated_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'channel_configs',
        columns: [
          { ...col.lineId('channel_id'), isPrimary: true },
          col.text(d, 'data', false),
          col.datetime(d, 'updated_at'),
        ],
        foreignKeys: [
          {
            columnNames: ['channel_id'],
            referencedTableName: 'channels',
            referencedColumnNames: ['channel_id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'members',
        columns: [
          col.id(),
          col.lineId('channel_id'),
          col.lineId('user_id'),
          col.string('display_name', 255, true),
          col.string('picture_url', 1024, true),
          col.string('role', 8),
          col.string('status', 8),
          col.datetime(d, 'joined_at', true),
          col.datetime(d, 'left_at', true),
          col.datetime(d, 'updated_at'),
          col.datetime(d, 'profile_fetched_at', true),
        ],
        indices: [
          new TableIndex({
            name: 'uq_members_channel_user',
            columnNames: ['channel_id', 'user_id'],
            isUnique: true,
          }),
          new TableIndex({ name: 'ix_members_user', columnNames: ['user_id', 'status'] }),
        ],
        foreignKeys: [
          {
            columnNames: ['channel_id'],
            referencedTableName: 'channels',
            referencedColumnNames: ['channel_id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'webhook_events',
        columns: [
          col.id(),
          col.string('webhook_event_id', 64),
          col.string('event_type', 64),
          col.lineId('channel_id', true),
          col.bigint('event_timestamp'),
          col.text(d, 'payload', false),
          col.string('state', 16),
          col.int('attempts', false, 0),
          col.text(d, 'completed_handlers', false),
          col.text(d, 'last_error', true),
          col.datetime(d, 'received_at'),
          col.datetime(d, 'next_attempt_at'),
          col.datetime(d, 'processed_at', true),
        ],
        indices: [
          new TableIndex({
            name: 'uq_webhook_events_event_id',
            columnNames: ['webhook_event_id'],
            isUnique: true,
          }),
          new TableIndex({ name: 'ix_webhook_events_state_next', columnNames: ['state', 'next_attempt_at'] }),
          new TableIndex({
            name: 'ix_webhook_events_channel_order',
            columnNames: ['channel_id', 'state', 'event_timestamp'],
          }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'audit_logs',
        columns: [
          col.id(),
          col.lineId('channel_id', true),
          col.string('actor_user_id', 64),
          col.string('action', 64),
          col.text(d, 'before', true),
          col.text(d, 'after', true),
          col.datetime(d, 'created_at'),
        ],
        indices: [
          new TableIndex({ name: 'ix_audit_logs_channel_time', columnNames: ['channel_id', 'created_at'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['audit_logs', 'webhook_events', 'members', 'channel_configs', 'channels']) {
      await q.dropTable(table);
    }
  }
}
