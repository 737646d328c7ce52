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

  it('flushes the WAL file; callers arriving during a flush share the next one', async () => {
    writeFileSync(`${db}-wal`, 'frames');
    const sync = new WalSync(db);
    const first = sync.sync();
    const during = Array.from({ length: 10 }, () => sync.sync());
    expect(sync.flushes).toBe(1);
    await Promise.all([first, ...during]);
    expect(sync.flushes).toBe(2);
    await sync.sync();
    expect(sync.flushes).toBe(3);
    await sync.onModuleDestroy();
  });

  it('rejects the callers of a failed flush, and flushes again on the next call', async () => {
    const sync = new WalSync(db);
    const outcomes = await Promise.allSettled([sync.sync(), sync.sync(), sync.sync()]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'ENOENT' });
    writeFileSync(`${db}-wal`, 'frames');
    await expect(sync.sync()).resolves.toBeUndefined();
    expect(sync.flushes).toBe(3);
    await sync.onModuleDestroy();
  });

  it('waits for a flush under way when the module stops', async () => {
    writeFileSync(`${db}-wal`, 'frames');
    const sync = new WalSync(db);
    let flushed = false;
    const answer = sync.sync().then(() => (flushed = true));
    await sync.onModuleDestroy();
    expect(flushed).toBe(true);
    await answer;
  });

  it('has nothing to flush without a database file (off, MySQL, in-memory)', async () => {
    const sync = new WalSync(undefined);
    await expect(Promise.all([sync.sync(), sync.sync()])).resolves.toEqual([undefined, undefined]);
    expect(sync.flushes).toBe(0);
    await sync.onModuleDestroy();
  });
});
