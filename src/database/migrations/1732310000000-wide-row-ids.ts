import { MigrationInterface, QueryRunner } from 'typeorm';
import { dialectOf } from '../columns';

/**
 * Row ids of the tables that grow with chat traffic, as BIGINT on MySQL. A signed INT ends at
 * 2,147,483,647, which an instance serving many busy groups reaches in its inbox and archive; InnoDB
 * also spends ids on every row of an `INSERT ... ON DUPLICATE KEY` (redeliveries) and on rolled-back
 * inserts. At the end every insert fails and events stop being stored. SQLite's
 * INTEGER PRIMARY KEY is 64 bits already. Entities keep `type: 'integer'`: declared `bigint`,
 * TypeORM would hand generated ids back as strings. mysql2 answers numbers while they are exact.
 *
 * On an existing MySQL install this rebuilds each table: run it with the service stopped.
 */
const WIDENED: Array<{ table: string; id?: boolean; refs?: string[] }> = [
  { table: 'webhook_events', id: true },
  { table: 'members', id: true },
  { table: 'backup_messages', id: true },
  { table: 'backup_media', id: true, refs: ['message_pk'] },
  { table: 'backup_message_terms', refs: ['message_pk'] },
  { table: 'backup_index_queue', refs: ['message_pk'] },
];

export class WideRowIds1732310000000 implements MigrationInterface {
  name = 'WideRowIds1732310000000';

  async up(q: QueryRunner): Promise<void> {
    await this.widen(q, 'BIGINT');
  }

  async down(q: QueryRunner): Promise<void> {
    await this.widen(q, 'INT');
  }

  private async widen(q: QueryRunner, type: 'BIGINT' | 'INT'): Promise<void> {
    if (dialectOf(q.connection.options.type) !== 'mysql') return;
    // MySQL refuses to change the type of a column a foreign key joins: drop it for the change.
    const media = await q.getTable('backup_media');
    const toMessage = media!.foreignKeys.filter((fk) => fk.columnNames.includes('message_pk'));
    for (const fk of toMessage) await q.dropForeignKey('backup_media', fk);
    for (const { table, id, refs = [] } of WIDENED) {
      const changes = [
        ...(id ? [`MODIFY id ${type} NOT NULL AUTO_INCREMENT`] : []),
        ...refs.map((c) => `MODIFY ${c} ${type} NOT NULL`),
      ];
      await q.query(`ALTER TABLE ${table} ${changes.join(', ')}`);
    }
    for (const fk of toMessage) await q.createForeignKey('backup_media', fk);
  }
}
