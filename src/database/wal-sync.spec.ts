import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WalSync } from './wal-sync';

describe('WalSync', () => {
  let dir: string;
  let db: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wal-sync-'));
    db = join(dir, 'app.sqlite');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const turn = () => new Promise((r) => setImmediate(r));

  it('flushes the WAL file once for the callers of one turn, and again for callers after it started', async () => {
    writeFileSync(`${db}-wal`, 'frames');
    const sync = new WalSync(db);
    await Promise.all(Array.from({ length: 10 }, () => sync.sync()));
    expect(sync.flushes).toBe(1);
    const first = sync.sync();
    await turn();
    expect(sync.flushes).toBe(2);
    // Their commits may be newer than the flush under way: they share the one after it.
    await Promise.all([first, ...Array.from({ length: 10 }, () => sync.sync())]);
    expect(sync.flushes).toBe(3);
    await sync.onModuleDestroy();
  });

  it('rejects the callers of a failed flush, and flushes again on the next call', async () => {
    const sync = new WalSync(db);
    const outcomes = await Promise.allSettled([sync.sync(), sync.sync(), sync.sync()]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'ENOENT' });
    expect(sync.flushes).toBe(1);
    writeFileSync(`${db}-wal`, 'frames');
    await expect(sync.sync()).resolves.toBeUndefined();
    expect(sync.flushes).toBe(2);
    await sync.onModuleDestroy();
  });

  it('waits for a flush under way when the module stops', async () => {
    writeFileSync(`${db}-wal`, 'frames');
    const sync = new WalSync(db);
    let flushed = false;
    const answer = sync.sync().then(() => (flushed = true));
    const later = sync.sync().then(() => (flushed = true));
    await turn();
    const queuedBehind = sync.sync();
    await sync.onModuleDestroy();
    await queuedBehind;
    expect(flushed).toBe(true);
    await Promise.all([answer, later]);
  });

  it('has nothing to flush without a database file (off, MySQL, in-memory)', async () => {
    const sync = new WalSync(undefined);
    await expect(Promise.all([sync.sync(), sync.sync()])).resolves.toEqual([undefined, undefined]);
    expect(sync.flushes).toBe(0);
    await sync.onModuleDestroy();
  });
});
