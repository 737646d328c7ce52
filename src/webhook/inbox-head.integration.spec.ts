import { ArchiveDb, DB_KINDS, openArchiveDb } from '../../test/support/backup-db';
import { InboxStore } from './inbox.store';

const CHAT = 'C' + 'a'.repeat(32);
const OTHER = 'C' + 'b'.repeat(32);

describe.each(DB_KINDS)('inbox head reads on %s', (kind) => {
  let adb: ArchiveDb;
  let store: InboxStore;

  beforeAll(async () => {
    adb = await openArchiveDb(kind);
    store = new InboxStore(adb.ds);
  });
  afterAll(() => adb.close());

  const pendingInTable = async () =>
    Number((await adb.ds.query("SELECT COUNT(*) AS n FROM webhook_events WHERE state = 'pending'"))[0].n);

  it('reads on past rows finished but not yet written, ties on the timestamp included, without writing', async () => {
    const t0 = Date.UTC(2026, 10, 22);
    // The first 20 share one timestamp: their order is the id's.
    const event = (channelId: string, i: number) => ({
      webhookEventId: `${channelId.slice(0, 4)}-${String(i).padStart(3, '0')}`,
      eventType: 'message',
      channelId,
      eventTimestamp: i < 20 ? t0 : t0 + i,
      payload: { type: 'message', n: i },
    });
    const now = new Date();
    await store.insert(
      Array.from({ length: 30 }, (_, i) => event(CHAT, i)),
      now,
      now,
    );
    await store.insert(
      Array.from({ length: 5 }, (_, i) => event(OTHER, i)),
      now,
      now,
    );
    const first = await store.headOf(CHAT, 10);
    expect(first.map((r) => r.payload.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    const all = [...first, ...(await readAll(store, first))];
    // Read on from the 10th row: the next ones share its timestamp, and some are still pending.
    for (const row of all.slice(0, 15)) store.markDone(row.id, ['test'], new Date());
    expect((await store.headOf(CHAT, 10)).map((r) => r.payload.n)).toEqual([15, 16, 17, 18, 19]);
    for (const row of all.slice(15, 25)) store.markDone(row.id, ['test'], new Date());
    const head = await store.headOf(CHAT, 10);
    expect(head.map((r) => r.payload.n)).toEqual([25, 26, 27, 28, 29]);
    expect(await pendingInTable()).toBe(35); // read on, not flushed

    await store.flush();
    expect(await pendingInTable()).toBe(10);
    expect((await store.headOf(CHAT, 10)).map((r) => r.payload.n)).toEqual([25, 26, 27, 28, 29]);
    expect((await store.headOf(OTHER, 10)).map((r) => r.payload.n)).toEqual([0, 1, 2, 3, 4]);
  });

  /** The chat's 30 rows: the first 10 are known; the rest are read with a larger head. */
  async function readAll(s: InboxStore, known: Array<{ id: number }>) {
    const rows = await s.headOf(CHAT, 30);
    return rows.filter((r) => !known.some((k) => k.id === r.id));
  }
});
