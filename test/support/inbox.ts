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
