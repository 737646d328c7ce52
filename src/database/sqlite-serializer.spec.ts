import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { serializeSqliteWork, sqliteExclusive, sqliteHoldBackground } from './sqlite-serializer';

@Entity('notes')
class Note {
  @PrimaryColumn({ type: 'varchar' })
  id: string;

  @Column({ type: 'varchar' })
  owner: string;
}

const newFile = () => join(mkdtempSync(join(tmpdir(), 'lgm-ser-')), 'db.sqlite');

async function open(serialized: boolean, database = newFile()): Promise<DataSource> {
  const ds = new DataSource({
    type: 'better-sqlite3',
    database,
    entities: [Note],
    synchronize: true, // a throw-away schema for this unit test only; the app uses migrations
    // A lock wait blocks the whole thread (better-sqlite3 is synchronous): fail fast if one comes.
    timeout: 300,
    prepareDatabase: (conn: { pragma(p: string): unknown }) => void conn.pragma('journal_mode = WAL'),
  });
  if (serialized) serializeSqliteWork(ds);
  return ds.initialize();
}

const tick = () => new Promise((r) => setImmediate(r));
const until = async (what: () => boolean) => {
  while (!what()) await tick();
};

/** A transaction that writes, yields to others, then fails. */
async function failingTransaction(ds: DataSource): Promise<void> {
  await ds
    .transaction(async (em) => {
      await em.insert(Note, { id: 'doomed', owner: 'a' });
      await tick();
      await tick();
      throw new Error('boom');
    })
    .catch(() => undefined);
}

async function scenario(ds: DataSource): Promise<string[]> {
  await Promise.all([
    failingTransaction(ds),
    (async () => {
      await tick();
      await ds.transaction(async (em) => {
        await em.insert(Note, { id: 'committed-tx', owner: 'b' });
      });
    })(),
    (async () => {
      await tick();
      await ds.getRepository(Note).save({ id: 'saved', owner: 'c' });
      await ds.getRepository(Note).insert({ id: 'inserted', owner: 'd' });
    })(),
  ]);
  return (await ds.getRepository(Note).find({ order: { id: 'ASC' } })).map((n) => n.id);
}

describe('serializeSqliteWork', () => {
  it('keeps concurrent writers out of a transaction that rolls back', async () => {
    const ds = await open(true);
    try {
      expect(await scenario(ds)).toEqual(['committed-tx', 'inserted', 'saved']);
    } finally {
      await ds.destroy();
    }
  });

  it("is needed: without it the rollback takes other requests' writes along", async () => {
    const ds = await open(false);
    try {
      expect(await scenario(ds)).not.toEqual(['committed-tx', 'inserted', 'saved']);
    } finally {
      await ds.destroy();
    }
  });

  it('still nests transactions as savepoints', async () => {
    const ds = await open(true);
    try {
      await ds.transaction(async (em) => {
        await em.insert(Note, { id: 'outer', owner: 'a' });
        await em
          .transaction(async (inner) => {
            await inner.insert(Note, { id: 'inner', owner: 'a' });
            throw new Error('inner fails');
          })
          .catch(() => undefined);
      });
      expect((await ds.getRepository(Note).find()).map((n) => n.id)).toEqual(['outer']);
    } finally {
      await ds.destroy();
    }
  });

  it('orders the units of two data sources on one file (two apps in one process)', async () => {
    const file = newFile();
    const a = await open(true, file);
    const b = await open(true, file);
    try {
      // Without one queue for the file, b's insert waits for a's write lock, synchronously: a
      // cannot go on to commit, and b fails with SQLITE_BUSY when the wait runs out.
      await Promise.all([
        a.transaction(async (em) => {
          await em.insert(Note, { id: 'a1', owner: 'a' });
          await tick();
          await tick();
          await em.insert(Note, { id: 'a2', owner: 'a' });
        }),
        (async () => {
          await tick();
          await b.getRepository(Note).insert({ id: 'b1', owner: 'b' });
        })(),
      ]);
      expect((await b.getRepository(Note).find({ order: { id: 'ASC' } })).map((n) => n.id)).toEqual([
        'a1',
        'a2',
        'b1',
      ]);
    } finally {
      await a.destroy();
      await b.destroy();
    }
  });

  describe('order of the units', () => {
    let ds: DataSource;
    beforeEach(async () => (ds = await open(true)));
    afterEach(() => ds.destroy());

    /** A unit that records its name, and one that holds the connection until released. */
    const unit = (log: string[], name: string, urgent = false) =>
      sqliteExclusive(ds, async () => void log.push(name), urgent);
    const holder = (log: string[]) => {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const done = sqliteExclusive(ds, async () => {
        log.push('held');
        await held;
      });
      return { release, done };
    };

    it('runs an urgent unit (a webhook commit) before the background units queued earlier', async () => {
      const log: string[] = [];
      const h = holder(log);
      const queued = [unit(log, 'worker 1'), unit(log, 'worker 2'), unit(log, 'answer', true)];
      await tick();
      h.release();
      await Promise.all([h.done, ...queued]);
      expect(log).toEqual(['held', 'answer', 'worker 1', 'worker 2']);
    });

    it('lets the event loop turn between two background units', async () => {
      const log: string[] = [];
      const first = sqliteExclusive(ds, async () => {
        log.push('worker 1');
        // I/O that arrives during a unit (a webhook read) is seen before the next queued unit.
        setImmediate(() => log.push('request read'));
      });
      const second = unit(log, 'worker 2');
      await Promise.all([first, second]);
      expect(log).toEqual(['worker 1', 'request read', 'worker 2']);
    });

    it('holds background units, not urgent ones, while a hold runs; the earlier queued go first', async () => {
      const log: string[] = [];
      const h = holder(log);
      const before = unit(log, 'worker 1');
      let release!: () => void;
      const hold = sqliteHoldBackground(ds, async () => {
        log.push('hold');
        await new Promise<void>((r) => (release = r));
      });
      const later = unit(log, 'worker 2');
      h.release();
      await until(() => log.includes('hold'));
      await unit(log, 'answer', true);
      await tick();
      expect(log).toEqual(['held', 'worker 1', 'hold', 'answer']);
      release();
      await Promise.all([h.done, before, hold, later]);
      expect(log).toEqual(['held', 'worker 1', 'hold', 'answer', 'worker 2']);
    });

    it("runs each unit in its caller's async context", async () => {
      const als = new AsyncLocalStorage<string>();
      const seen: Array<string | undefined> = [];
      const h = holder([]);
      const queued = ['a', 'b'].map((who) =>
        als.run(who, () => sqliteExclusive(ds, async () => void seen.push(als.getStore()))),
      );
      h.release();
      await Promise.all([h.done, ...queued]);
      expect(seen).toEqual(['a', 'b']);
    });
  });
});
