import { EventEmitter } from 'node:events';
import { statSync, unlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ArchiveDb, openArchiveDb } from '../../test/support/backup-db';
import { sqliteConnection } from './sqlite-connection';
import { serializeSqliteWork, sqliteExclusive } from './sqlite-serializer';
import { WalCheckpointer } from './wal-checkpointer';

/** 4 KB pages: 2,000 rows of 4 KB are about 2,000 pages, under the writer's own 40,000-page line. */
const ROWS = 2000;

describe('WAL checkpoint thread (SQLite)', () => {
  let adb: ArchiveDb;
  let checkpointer: WalCheckpointer;

  beforeEach(async () => {
    adb = await openArchiveDb('sqlite');
    await adb.ds.query('CREATE TABLE filler (id INTEGER PRIMARY KEY, body BLOB)');
    checkpointer = new WalCheckpointer(adb.ds);
  });
  afterEach(async () => {
    await checkpointer.onModuleDestroy();
    await adb.close();
  });

  const conn = () => sqliteConnection(adb.ds);
  const file = () => adb.ds.options.database as string;
  const autocheckpoint = () => conn().pragma('wal_autocheckpoint', { simple: true });
  const fileMb = () => statSync(file()).size / 2 ** 20;
  const fill = (from: number) => {
    const insert = conn().prepare('INSERT INTO filler (id, body) VALUES (?, randomblob(4000))');
    // Small transactions, as the app commits them.
    for (let i = 0; i < ROWS; i += 50) {
      conn().transaction(() => {
        for (let j = i; j < i + 50; j++) insert.run(from + j);
      })();
    }
  };
  const until = async (what: () => boolean, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (!what() && Date.now() < deadline) await sleep(20);
    return what();
  };

  it('copies the WAL into the database file itself, and the writer only past 40,000 pages', async () => {
    checkpointer.onApplicationBootstrap();
    expect(await until(() => autocheckpoint() === 40_000)).toBe(true);
    const before = fileMb();
    fill(0);
    // ~8 MB committed, all of it in the WAL as far as the writer is concerned (under its line):
    // only the thread can have put it into the file.
    expect(await until(() => fileMb() - before > 7)).toBe(true);
    expect(Number((await adb.ds.query('SELECT COUNT(*) AS n FROM filler'))[0].n)).toBe(ROWS);
  });

  it('starts the WAL over under sustained writes, in quiet moments', async () => {
    serializeSqliteWork(adb.ds);
    checkpointer.quietFrames = 500;
    checkpointer.onApplicationBootstrap();
    expect(await until(() => autocheckpoint() === 40_000)).toBe(true);
    const insert = conn().prepare('INSERT INTO filler (id, body) VALUES (?, randomblob(4000))');
    const wal = () => statSync(file() + '-wal').size / 4096;
    let largest = 0;
    // About 6,000 pages, a few at a time as the app commits them.
    for (let i = 0; i < 5000; i += 5) {
      await sqliteExclusive(adb.ds, async () =>
        conn().transaction(() => {
          for (let j = i; j < i + 5; j++) insert.run(j);
        })(),
      );
      // Over a few seconds, as a busy group's messages arrive, not in one burst.
      await sleep(2);
      largest = Math.max(largest, wal());
    }
    expect(checkpointer.quietMoments).toBeGreaterThanOrEqual(2);
    // A start-over writes from the top of the file again. Without quiet moments the WAL reached 7,300
    // pages here (SQLite never found it all copied when a write began); with them, 700 to 1,300.
    expect(largest).toBeLessThan(4000);
    expect(Number((await adb.ds.query('SELECT COUNT(*) AS n FROM filler'))[0].n)).toBe(5000);
  });

  describe('a quiet moment', () => {
    const thread = () => Object.assign(new EventEmitter(), { postMessage: jest.fn() });
    const quietMoment = (worker: unknown) =>
      (checkpointer as unknown as { quietMoment(w: unknown): Promise<void> }).quietMoment(worker);

    it('holds background writes while the thread copies, then every write for the last frames', async () => {
      serializeSqliteWork(adb.ds);
      const worker = thread();
      const moment = quietMoment(worker);
      const log: string[] = [];
      const write = (name: string, urgent = false) =>
        sqliteExclusive(adb.ds, async () => void log.push(name), urgent);
      expect(await until(() => worker.postMessage.mock.calls.length === 1)).toBe(true);
      expect(worker.postMessage).toHaveBeenLastCalledWith('quiet-go');
      // First step: the worker's writes wait; a webhook's commit does not.
      const background = write('worker');
      await write('webhook 1', true);
      await sleep(50);
      expect(log).toEqual(['webhook 1']);
      worker.emit('message', 'quiet-done');
      // Second step: every write waits for the thread.
      expect(await until(() => worker.postMessage.mock.calls.length === 2)).toBe(true);
      expect(worker.postMessage).toHaveBeenLastCalledWith('quiet-end');
      const urgent = write('webhook 2', true);
      await sleep(50);
      expect(log).toEqual(['webhook 1']);
      worker.emit('message', 'quiet-done');
      await Promise.all([moment, background, urgent]);
      expect(log).toEqual(['webhook 1', 'webhook 2', 'worker']);
      expect(checkpointer.quietMoments).toBe(1);
    });

    it('lets the app go on after a second when the thread does not answer', async () => {
      serializeSqliteWork(adb.ds);
      const started = Date.now();
      await quietMoment(thread());
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(checkpointer.quietMoments).toBe(0);
    });
  });

  it('leaves the file alone without the thread (the check above can fail)', async () => {
    conn().pragma('wal_autocheckpoint = 10000');
    const before = fileMb();
    fill(0);
    await sleep(500);
    expect(fileMb() - before).toBeLessThan(1);
  });

  it('stops the thread on shutdown', async () => {
    checkpointer.onApplicationBootstrap();
    await until(() => autocheckpoint() === 40_000);
    const worker = (checkpointer as unknown as { worker?: { threadId: number } }).worker;
    expect(worker?.threadId).toBeGreaterThan(0);
    await checkpointer.onModuleDestroy();
    expect((checkpointer as unknown as { worker?: unknown }).worker).toBeUndefined();
  });

  it('gives checkpoints back to the writer when the thread cannot open the database', async () => {
    // The app's connection keeps the unlinked file; the thread finds none.
    for (const suffix of ['', '-wal', '-shm']) unlinkSync(file() + suffix);
    checkpointer.onApplicationBootstrap();
    expect(await until(() => (checkpointer as unknown as { worker?: unknown }).worker === undefined)).toBe(
      true,
    );
    expect(autocheckpoint()).toBe(1000);
    await adb.ds.query('INSERT INTO filler (id, body) VALUES (1, NULL)');
  });
});
