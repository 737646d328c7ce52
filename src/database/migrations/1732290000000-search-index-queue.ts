import { MigrationInterface, QueryRunner, Table } from 'typeorm';
import { col, dialectOf } from '../columns';

/**
 * Messages archived but not yet in the search index (SearchIndexer). Indexing each message in the
 * transaction that archives it wrote a page of the term table per term: the benchmark found that was
 * most of the cost of processing a message. Queued, terms are written in large batches, where the
 * postings of one chat and term share their page.
 */
export class SearchIndexQueue1732290000000 implements MigrationInterface {
  name = 'SearchIndexQueue1732290000000';

  async up(q: QueryRunner): Promise<void> {
    if (dialectOf(q.connection.options.type) === 'sqlite') {
      // INTEGER PRIMARY KEY is the rowid: appending a message is appending a row.
      await q.query('CREATE TABLE backup_index_queue (message_pk INTEGER PRIMARY KEY)');
      return;
    }
    await q.createTable(
      new Table({ name: 'backup_index_queue', columns: [{ ...col.int('message_pk'), isPrimary: true }] }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('backup_index_queue');
  }
}
