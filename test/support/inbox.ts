import { DataSource } from 'typeorm';
import { InboxEvent } from '../../src/webhook/inbox-event.entity';
import type { TestApp } from './test-app';
import { waitFor } from './wait-for';

/** Waits until no inbox row is pending: every event stored so far is done or failed. */
export async function waitForInboxDrained(t: TestApp, { timeoutMs = 15_000 } = {}): Promise<void> {
  const rows = t.app.get(DataSource).getRepository(InboxEvent);
  await waitFor(async () => (await rows.countBy({ state: 'pending' })) === 0, {
    timeoutMs,
    what: 'the webhook inbox to drain',
  });
}

/** The inbox rows, oldest first (for asserting what was stored and how it ended). */
export function inboxRows(t: TestApp): Promise<InboxEvent[]> {
  return t.app
    .get(DataSource)
    .getRepository(InboxEvent)
    .find({ order: { id: 'ASC' } });
}

/**
 * Has the database refuse to archive a message whose text starts with "poison" (as a full disk or
 * a bug would), so that its event fails; answers how to stop refusing.
 */
export async function refusePoisonArchiving(t: TestApp): Promise<() => Promise<void>> {
  const ds = t.app.get(DataSource);
  await ds.query(
    t.db.kind === 'mysql'
      ? "CREATE TRIGGER refuse_poison BEFORE INSERT ON backup_messages FOR EACH ROW BEGIN IF NEW.text_content LIKE 'poison%' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'; END IF; END"
      : "CREATE TRIGGER refuse_poison BEFORE INSERT ON backup_messages WHEN NEW.text_content LIKE 'poison%' BEGIN SELECT RAISE(ABORT, 'refused'); END",
  );
  return async () => void (await ds.query('DROP TRIGGER refuse_poison'));
}
