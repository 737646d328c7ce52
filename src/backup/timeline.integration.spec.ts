import { ArchiveDb, DB_KINDS, openArchiveDb, textEntry } from '../../test/support/backup-db';
import { indexEntries, messagePk } from '../../test/support/search-index';
import { ArchiveService } from './archive.service';
import { SearchIndexer } from './search/search-indexer';
import { planQuery } from './search/terms';
import { TimelineRepository } from './timeline.repository';

const CH = 'C' + 'a'.repeat(32);
const OTHER = 'C' + 'b'.repeat(32);

describe.each(DB_KINDS)('archive storage and search on %s', (kind) => {
  let adb: ArchiveDb;
  let archive: ArchiveService;
  let indexer: SearchIndexer;
  let timeline: TimelineRepository;

  beforeAll(async () => {
    adb = await openArchiveDb(kind);
    indexer = new SearchIndexer(adb.ds);
    archive = new ArchiveService(adb.ds, indexer);
    timeline = new TimelineRepository(adb.ds);
  });
  afterAll(() => adb.close());

  /** Searched twice: with new messages still queued for the index, and once they are indexed. */
  const search = async (q: string, channelId = CH, limit = 100) => {
    const run = async () => (await timeline.search({ channelId }, planQuery(q)!, limit)).map((r) => r.text);
    const whileQueued = await run();
    await indexer.indexQueued();
    const indexed = await run();
    expect(whileQueued).toEqual(indexed);
    return indexed;
  };
  const queueSize = async () =>
    Number((await adb.ds.query('SELECT COUNT(*) AS n FROM backup_index_queue'))[0].n);

  it('stores an entry once however often it arrives', async () => {
    const e = textEntry(CH, 'twice 兩次');
    expect((await archive.archive([e])).stored).toBe(1);
    // The same event again (a retry): nothing new. MySQL, which cannot tell what its INSERT added,
    // counts the event's own row again (and queues it for the index again, harmlessly).
    expect((await archive.archive([e])).stored).toBe(kind === 'mysql' ? 1 : 0);
    // The same LINE message under another webhookEventId (a duplicate delivery): ignored.
    expect((await archive.archive([{ ...e, eventId: '01OTHEREVENT0000000000000' }])).stored).toBe(0);
    const [{ n }] = await adb.ds.query('SELECT COUNT(*) AS n FROM backup_messages WHERE entry_key = ?', [
      e.entryKey,
    ]);
    expect(Number(n)).toBe(1);
    expect(await search('兩次')).toEqual(['twice 兩次']);
  });

  it('stores a message that comes twice in one batch once, counted for the first', async () => {
    const e = textEntry(CH, 'same batch 同批');
    const twice = [e, { ...e, eventId: '01OTHEREVENT1111111111111' }];
    expect((await archive.archive(twice)).stored).toBe(1);
    const rows = await adb.ds.query('SELECT event_id FROM backup_messages WHERE entry_key = ?', [e.entryKey]);
    expect(rows.map((r: { event_id: string }) => r.event_id)).toEqual([e.eventId]);
    expect(await search('同批')).toEqual(['same batch 同批']);
  });

  it('finds 1-, 2- and longer queries in zh-TW, ja, th and en, and nothing else', async () => {
    const texts = [
      '明天下午三點開會,記得帶野餐墊',
      '會議改到星期五',
      '今天天氣很好',
      '週末のピクニック、楽しみです',
      '会議は三時からです',
      'พรุ่งนี้ไปปิกนิกกันไหม',
      'ประชุมตอนบ่ายสามโมง',
      'Meeting moved to Friday',
      'Lunch at noon? Bring the PICNIC blanket',
    ];
    await archive.archive(texts.map((t) => textEntry(CH, t)));
    await archive.archive([textEntry(OTHER, '會議 野餐 ピクニック picnic ปิกนิก')]);

    expect(await search('野餐')).toEqual(['明天下午三點開會,記得帶野餐墊']);
    expect(await search('會')).toEqual(['會議改到星期五', '明天下午三點開會,記得帶野餐墊']);
    expect(await search('會議')).toEqual(['會議改到星期五']);
    expect(await search('下午三點')).toEqual(['明天下午三點開會,記得帶野餐墊']);
    expect(await search('ピクニック')).toEqual(['週末のピクニック、楽しみです']);
    expect(await search('楽')).toEqual(['週末のピクニック、楽しみです']);
    expect(await search('会議')).toEqual(['会議は三時からです']);
    expect(await search('ปิกนิก')).toEqual(['พรุ่งนี้ไปปิกนิกกันไหม']);
    expect(await search('ไป')).toEqual(['พรุ่งนี้ไปปิกนิกกันไหม']);
    expect(await search('ประชุม')).toEqual(['ประชุมตอนบ่ายสามโมง']);
    expect(await search('picnic')).toEqual(['Lunch at noon? Bring the PICNIC blanket']);
    expect(await search('MEETING moved')).toEqual(['Meeting moved to Friday']);
    expect(await search('y')).toEqual(['Meeting moved to Friday']);
    expect(await search('野餐會')).toEqual([]);
    expect(await search('星期六')).toEqual([]);
    expect(await search('餅')).toEqual([]);
  });

  it('tells apart what a case-insensitive collation would not (ハ, バ, パ)', async () => {
    await archive.archive([textEntry(CH, 'パン屋'), textEntry(CH, 'ハンバーガー')]);
    expect(await search('パン')).toEqual(['パン屋']);
    expect(await search('ハン')).toEqual(['ハンバーガー']);
  });

  it('pages search results newest first without gaps or repeats', async () => {
    const ch = 'C' + 'c'.repeat(32);
    const entries = Array.from({ length: 25 }, (_, i) =>
      textEntry(ch, `第${i}次 會議 meeting`, { timestamp: 1_700_000_000_000 + (i % 5) * 1000 }),
    );
    await archive.archive(entries);
    const seen: string[] = [];
    let before: { ts: number; pk: number } | undefined;
    for (;;) {
      const page = await timeline.search({ channelId: ch }, planQuery('會議')!, 7, before);
      seen.push(...page.map((r) => r.text!));
      if (page.length < 7) break;
      const last = page[page.length - 1];
      before = { ts: last.timestamp, pk: last.pk };
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
  });

  it('orders results by message time, not by the order they were archived in', async () => {
    const ch = 'C' + 'd'.repeat(32);
    // Archived newest first (a history import, late redeliveries): pk order is the reverse of time.
    const times = [5, 1, 4, 2, 3];
    for (const i of times) {
      await archive.archive([textEntry(ch, `遲到 ${i}`, { timestamp: 1_700_000_000_000 + i * 1000 })]);
    }
    await indexer.indexQueued();
    const texts = async (q: string, limit: number, before?: { ts: number; pk: number }) =>
      timeline.search({ channelId: ch }, planQuery(q)!, limit, before);
    for (const q of ['遲到', '遲']) {
      const first = await texts(q, 2);
      expect(first.map((r) => r.text)).toEqual(['遲到 5', '遲到 4']);
      const last = first[first.length - 1];
      const rest = await texts(q, 10, { ts: last.timestamp, pk: last.pk });
      expect(rest.map((r) => r.text)).toEqual(['遲到 3', '遲到 2', '遲到 1']);
    }
  });

  it('finds the newest matches of a query found more often than it sorts whole', async () => {
    const ch = 'C' + 'e'.repeat(32);
    // 5,200 candidates (over the 5,000 read whole): the newest of the channel are read instead.
    const entries = Array.from({ length: 5200 }, (_, i) =>
      textEntry(ch, i % 10 === 0 ? `常見 詞 ${i}` : `常見 ${i}`, { timestamp: 1_710_000_000_000 + i * 1000 }),
    );
    for (let i = 0; i < entries.length; i += 1000) await archive.archive(entries.slice(i, i + 1000));
    await indexer.indexQueued();
    const found = async (q: string, limit: number) =>
      (await timeline.search({ channelId: ch }, planQuery(q)!, limit)).map((r) => r.text);
    expect(await found('常見', 3)).toEqual(['常見 5199', '常見 5198', '常見 5197']);
    expect(await found('常', 2)).toEqual(['常見 5199', '常見 5198']);
    // The same query with a rarer term besides: 520 candidates, read whole.
    expect(await found('常見 詞', 2)).toEqual(['常見 詞 5190', '常見 詞 5180']);
  });

  it('indexes queued messages behind the archive, and finds them before and after', async () => {
    await indexer.indexQueued();
    await archive.archive([textEntry(CH, '排隊中 queued'), textEntry(OTHER, '排隊中 elsewhere')]);
    expect(await queueSize()).toBe(2);
    const before = await indexEntries(adb.ds);
    const found = await timeline.search({ channelId: CH }, planQuery('排隊')!, 10);
    expect(found.map((r) => r.text)).toEqual(['排隊中 queued']);
    expect(await indexer.indexQueued()).toBe(2);
    expect(await queueSize()).toBe(0);
    expect(await indexEntries(adb.ds)).toBeGreaterThan(before);
    expect(await search('排隊')).toEqual(['排隊中 queued']);
  });

  it('indexes a queue of several batches in one call', async () => {
    await indexer.indexQueued();
    await archive.archive(Array.from({ length: 1000 }, (_, i) => textEntry(OTHER, `批次 ${i}`)));
    expect(await indexer.indexQueued()).toBe(1000);
    expect(await queueSize()).toBe(0);
    expect(await search('批次 999', OTHER)).toEqual(['批次 999']);
  });

  it('indexes nothing for a message emptied by unsend while it was queued', async () => {
    await indexer.indexQueued();
    const drop = textEntry(CH, '來不及 gone');
    await archive.archive([drop]);
    expect(await archive.markUnsent(CH, drop.messageId!, drop.timestamp + 5, false)).toBe(true);
    expect(await indexer.indexQueued()).toBe(1);
    expect(await indexEntries(adb.ds, await messagePk(adb.ds, drop.entryKey))).toBe(0);
    expect(await search('來不及')).toEqual([]);
  });

  it('deletes an unsent message’s content and search terms when asked to', async () => {
    const keep = textEntry(CH, '秘密基地 kept');
    const drop = textEntry(CH, '秘密基地 dropped');
    await archive.archive([keep, drop]);
    await indexer.indexQueued();
    expect(await archive.markUnsent(CH, keep.messageId!, keep.timestamp + 5, true)).toBe(true);
    expect(await archive.markUnsent(CH, drop.messageId!, drop.timestamp + 5, false)).toBe(true);
    expect(await archive.markUnsent(CH, '999', 1, false)).toBe(false);
    expect(await search('秘密')).toEqual(['秘密基地 kept']);
    expect(await indexEntries(adb.ds, await messagePk(adb.ds, drop.entryKey))).toBe(0);
    // A redelivery of the deleted message does not bring its content back.
    await archive.archive([drop]);
    expect(await search('秘密')).toEqual(['秘密基地 kept']);
  });
});
