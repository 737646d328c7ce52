import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { col, dialectOf } from '../columns';

/**
 * Sign-in and roles: one-time login codes (hashed), a token version per user (logout-all), and on
 * `members` an `owner_lock` column that only a channel's owner fills (with the channel id). Its
 * unique index is what makes "at most one owner" hold under concurrent /claim, on both databases.
 */
export class AuthAndRoles1732250000000 implements MigrationInterface {
  name = 'AuthAndRoles1732250000000';

  async up(q: QueryRunner): Promise<void> {
    const d = dialectOf(q.connection.options.type);
    await q.createTable(
      new Table({
        name: 'login_codes',
        columns: [
          col.id(),
          col.string('code_hash', 64),
          col.lineId('user_id'),
          col.datetime(d, 'created_at'),
          col.datetime(d, 'expires_at'),
          col.datetime(d, 'used_at', true),
        ],
        indices: [
          new TableIndex({ name: 'uq_login_codes_hash', columnNames: ['code_hash'], isUnique: true }),
          new TableIndex({ name: 'ix_login_codes_user', columnNames: ['user_id'] }),
          new TableIndex({ name: 'ix_login_codes_expires', columnNames: ['expires_at'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'user_token_versions',
        columns: [
          { ...col.lineId('user_id'), isPrimary: true },
          col.int('token_version', false, 0),
          col.datetime(d, 'updated_at'),
        ],
      }),
    );
    await q.addColumn('members', new TableColumn(col.lineId('owner_lock', true)));
    await q.createIndex(
      'members',
      new TableIndex({ name: 'uq_members_owner_lock', columnNames: ['owner_lock'], isUnique: true }),
    );
    // Member pages are read in id order per channel (cursor = last id).
    await q.createIndex(
      'members',
      new TableIndex({ name: 'ix_members_channel_id', columnNames: ['channel_id', 'id'] }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('members', 'ix_members_channel_id');
    await q.dropIndex('members', 'uq_members_owner_lock');
    await q.dropColumn('members', 'owner_lock');
    await q.dropTable('user_token_versions');
    await q.dropTable('login_codes');
  }
}
