import { Repository } from 'typeorm';
import { ArchiveDb, DB_KINDS, openArchiveDb } from '../../test/support/backup-db';
import { FailedEvents } from './failed-events';
import { InboxEvent, InboxState } from './inbox-event.entity';

const CHAT = 'C' + 'a'.repeat(32);
const OTHER = 'C' + 'b'.repeat(32);

describe.each(DB_KINDS)('failed events on %s', (kind) => {
  let adb: ArchiveDb;
  let rows: Repository<InboxEvent>;
  let failed: FailedEvents;

  beforeAll(async () => {
    adb = await openArchiveDb(kind, [InboxEvent]);
    rows = adb.ds.getRepository(InboxEvent);
    failed = new FailedEvents(rows);
  });
  afterAll(() => adb.close());
  beforeEach(() => rows.clear());

  const add = (webhookEventId: string, channelId: string, state: InboxState) =>
    rows.insert({
      webhookEventId,
      eventType: 'message',
      channelId,
      eventTimestamp: 1_700_000_000_000,
      payload: { type: 'message' },
      state,
      attempts: state === 'failed' ? 8 : 0,
      completedHandlers: ['channels.message'],
      lastError: state === 'failed' ? 'LineApiError: 500' : null,
      receivedAt: new Date(1_700_000_000_000),
      nextAttemptAt: new Date(1_700_000_000_000),
      processedAt: new Date(1_700_000_060_000),
    });
  const stateOf = async (id: string) => (await rows.findOneByOrFail({ webhookEventId: id })).state;

  it('puts back only failed events of the chat asked for, oldest first, up to the limit', async () => {
    for (const id of ['F1', 'F2', 'F3']) await add(id, CHAT, 'failed');
    await add('D1', CHAT, 'done');
    await add('X1', OTHER, 'failed');
    const now = new Date(1_800_000_000_000);
    expect(await failed.retry({ channelId: CHAT, limit: 2 }, now)).toEqual({
      retried: ['F1', 'F2'],
      notFound: [],
    });
    expect(await rows.findOneByOrFail({ webhookEventId: 'F1' })).toMatchObject({
      state: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      processedAt: null,
      completedHandlers: ['channels.message'],
    });
    expect([await stateOf('F3'), await stateOf('D1'), await stateOf('X1')]).toEqual([
      'failed',
      'done',
      'failed',
    ]);
    // Named ids: only failed ones of the chat; the limit is for the unnamed case.
    expect(await failed.retry({ channelId: CHAT, webhookEventIds: ['F3', 'D1', 'X1'], limit: 1 })).toEqual({
      retried: ['F3'],
      notFound: ['D1', 'X1'],
    });
    expect((await failed.list()).map((e) => e.webhookEventId)).toEqual(['X1']);
  });
});
