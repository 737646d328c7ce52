import { MigrationInterface, QueryRunner } from 'typeorm';
import { dialectOf } from '../columns';

/**
 * On SQLite, the inbox's per-chat order index covers pending rows only (it also finds the chats
 * with pending work). With `state` inside a
 * full index, marking an event done moved two index entries, one to a random page of a large
 * index; the benchmark found that write (not the handlers) was most of the cost of draining. Now
 * it is one delete from a small index that stays in the cache, and prune uses next_attempt_at,
 * which done never changes. MySQL has no partial indexes: it keeps the full ones.
 */
export class InboxPendingIndexes1732280000000 implements MigrationInterface {
  name = 'InboxPendingIndexes1732280000000';

  async up(q: QueryRunner): Promise<void> {
    if (dialectOf(q.connection.options.type) !== 'sqlite') return;
    await q.query('DROP INDEX ix_webhook_events_channel_order');
    await q.query('DROP INDEX ix_webhook_events_state_next');
    await q.query(
      "CREATE INDEX ix_webhook_events_pending_order ON webhook_events (channel_id, event_timestamp, id) WHERE state = 'pending'",
    );
    await q.query('CREATE INDEX ix_webhook_events_next ON webhook_events (next_attempt_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    if (dialectOf(q.connection.options.type) !== 'sqlite') return;
    await q.query('DROP INDEX ix_webhook_events_next');
    await q.query('DROP INDEX ix_webhook_events_pending_order');
    await q.query('CREATE INDEX ix_webhook_events_state_next ON webhook_events (state, next_attempt_at)');
    await q.query(
      'CREATE INDEX ix_webhook_events_channel_order ON webhook_events (channel_id, state, event_timestamp)',
    );
  }
}
