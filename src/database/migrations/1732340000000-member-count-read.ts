import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { col, dialectOf } from '../columns';

/**
 * When a chat's member count was read from LINE. A memberJoined or memberLeft older than the read
 * is in the count already: adjusting the count for it as well counted it twice whenever LINE's
 * count endpoint then failed. Chats stored before have none, and are adjusted as they were.
 */
export class MemberCountRead1732340000000 implements MigrationInterface {
  name = 'MemberCountRead1732340000000';

  async up(q: QueryRunner): Promise<void> {
    const dialect = dialectOf(q.connection.options.type);
    await q.addColumn('channels', new TableColumn(col.datetime(dialect, 'member_count_at', true)));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('channels', 'member_count_at');
  }
}
