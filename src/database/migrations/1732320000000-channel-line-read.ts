import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { col, dialectOf } from '../columns';

/**
 * When a chat was last read from LINE (name, picture, count, members; a 1:1 chat's profile). A chat
 * first seen in a message is read once; remembering that it was created was not enough, as a read
 * that failed on a database error, or was cut short by a crash, was then never done again. Chats
 * stored before count as read.
 */
export class ChannelLineRead1732320000000 implements MigrationInterface {
  name = 'ChannelLineRead1732320000000';

  async up(q: QueryRunner): Promise<void> {
    const dialect = dialectOf(q.connection.options.type);
    await q.addColumn('channels', new TableColumn(col.datetime(dialect, 'line_read_at', true)));
    await q.query('UPDATE channels SET line_read_at = updated_at');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('channels', 'line_read_at');
  }
}
