import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { col, dialectOf } from '../columns';

/**
 * Reply tokens a reply went out with: until now kept in memory only, so a crash after LINE showed
 * a reply and before it was recorded let the restarted service push the same answer again.
 */
export class ReplyAttempts1732330000000 implements MigrationInterface {
  name = 'ReplyAttempts1732330000000';

  async up(q: QueryRunner): Promise<void> {
    const d = dialectOf(q.connection.options.type);
    await q.createTable(
      new Table({
        name: 'reply_attempts',
        columns: [{ ...col.string('token_hash', 64), isPrimary: true }, col.datetime(d, 'created_at')],
        indices: [new TableIndex({ name: 'ix_reply_attempts_created', columnNames: ['created_at'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('reply_attempts');
  }
}
