import { ArchiveDb, DB_KINDS, openArchiveDb, textEntry } from '../../../test/support/backup-db';
import { waitFor } from '../../../test/support/wait-for';
import { ArchiveService } from '../archive.service';
import { SearchIndexer } from './search-indexer';

const CH = 'C' + 'c'.repeat(32);

describe.each(DB_KINDS)('search indexer wake-ups on %s', (kind) => {
  let adb: ArchiveDb;
  let indexer: SearchIndexer;

  beforeEach(async () => {
    adb = await openArchiveDb(kind);
    indexer = new SearchIndexer(adb.ds);
  });
  afterEach(async () => {
    await indexer.onModuleDestroy();
    await adb.close();
  });

  const queueSize = async () =>
    Number((await adb.ds.query('SELECT COUNT(*) AS n FROM backup_index_queue'))[0].n);

  it('indexes a message archived while a run is under way: its wake-up is not lost', async () => {
    const archive = new ArchiveService(adb.ds, indexer);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const original = indexer.indexQueued.bind(indexer);
    let runs = 0;
    let firstRead = false;
    jest.spyOn(indexer, 'indexQueued').mockImplementation(async (batch) => {
      const run = ++runs;
      const taken = await original(batch);
      // The first run has read the queue (empty) and committed, and is not over yet.
      if (run === 1) {
        firstRead = true;
        await gate;
      }
      return taken;
    });
    indexer.onApplicationBootstrap();
    // Not before it has read: a message archived earlier would be indexed by the first run itself.
    await waitFor(() => firstRead, { what: 'the first run to read the queue' });

    await archive.archive([textEntry(CH, 'arrived mid-run 途中')]);
    expect(await queueSize()).toBe(1);
    release();

    await waitFor(async () => (await queueSize()) === 0, {
      what: 'the queue to be indexed',
      timeoutMs: 3000,
    });
    expect(runs).toBe(2);
  });
});
