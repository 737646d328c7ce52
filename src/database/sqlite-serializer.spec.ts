import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Column, DataSource, Entity, PrimaryColumn } from 'typeorm';
import { serializeSqliteWork } from './sqlite-serializer';

@Entity('notes')
class Note {
  @PrimaryColumn({ type: 'varchar' })
  id: string;

  @Column({ type: 'varchar' })
  owner: string;
}

async function open(serialized: boolean): Promise<DataSource> {
  const ds = new DataSource({
    type: 'better-sqlite3',
    database: join(mkdtempSync(join(tmpdir(), 'lgm-ser-')), 'db.sqlite'),
    entities: [Note],
    synchronize: true, // a throw-away schema for this unit test only; the app uses migrations
  });
  if (serialized) serializeSqliteWork(ds);
  return ds.initialize();
}

const tick = () => new Promise((r) => setImmediate(r));

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
});
