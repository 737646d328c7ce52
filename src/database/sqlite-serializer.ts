import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { DataSource, EntityManager } from 'typeorm';
import { EntityPersistExecutor } from 'typeorm/persistence/EntityPersistExecutor';
import { sqliteFile } from './sqlite-connection';

/**
 * TypeORM gives every caller the same SQLite connection and query runner, so two concurrent
 * `transaction()` calls nest as savepoints of one transaction: a rollback in one silently undoes
 * the other's "committed" writes, and plain queries from other requests land inside whatever
 * transaction happens to be open. On SQLite, this makes each unit of work exclusive: a transaction
 * (explicit, or the implicit one of `save`/`remove`) or a single statement. Work inside a unit runs
 * straight through, nested transactions stay savepoints. better-sqlite3 is synchronous, so nothing
 * ran concurrently anyway; this only puts the awaits between statements in order.
 *
 * Units that answer webhooks (`urgent`) go before queued background work, and between two units of
 * background work the event loop gets a turn: handed over through promise continuations, the
 * worker's, the archive's and the index's units ran back to back for up to 100 ms with no request
 * read meanwhile (the answers' p99 under a paced 2,000 events/s: README).
 */
class Mutex {
  private busy = false;
  /** Background units wait while this is above 0 (see `holdBackground`); urgent ones run. */
  private held = 0;
  private readonly urgent: Array<() => void> = [];
  private readonly background: Array<() => void> = [];

  run<T>(fn: () => Promise<T>, urgent: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // In the caller's async context, as a promise continuation of its own would run. Not
      // AsyncResource.bind: on Node 20 each bind also builds two deprecation wrappers, a
      // noticeable share of the worker's time at thousands of units a second.
      const context = new AsyncResource('SqliteUnit');
      const start = () =>
        context.runInAsyncScope(() => {
          let unit: Promise<T>;
          try {
            unit = fn();
          } catch (err) {
            unit = Promise.reject(err);
          }
          void unit.then(resolve, reject).finally(() => this.next());
        });
      if (!this.busy && (urgent || this.held === 0)) {
        this.busy = true;
        queueMicrotask(start);
      } else (urgent ? this.urgent : this.background).push(start);
    });
  }

  /**
   * Runs `fn` once the background units queued before it have run, with later background units
   * held until it ends; urgent units go on meanwhile. `fn` runs outside any unit.
   */
  holdBackground<T>(fn: () => Promise<T>): Promise<T> {
    return this.run(async () => void this.held++, false).then(() =>
      fn().finally(() => {
        this.held--;
        if (!this.busy && this.held === 0 && this.background.length > 0) {
          this.busy = true;
          this.next();
        }
      }),
    );
  }

  private next(): void {
    const urgent = this.urgent.shift();
    if (urgent) return urgent();
    if (this.background.length === 0 || this.held > 0) {
      this.busy = false;
      return;
    }
    setImmediate(() => {
      const unit = this.urgent.shift() ?? (this.held === 0 ? this.background.shift() : undefined);
      if (unit) unit();
      else this.busy = false;
    });
  }
}

const insideUnit = new AsyncLocalStorage<Mutex>();
const mutexes = new WeakMap<DataSource, Mutex>();
/**
 * One queue per database file: two data sources on one file in one process (a second app in a
 * test, sharing the database) would otherwise deadlock. A lock wait in better-sqlite3 blocks the
 * thread, so the unit holding the write lock could not go on to commit, and the waiter would fail
 * with SQLITE_BUSY when busy_timeout ran out.
 */
const mutexesByFile = new Map<string, WeakRef<Mutex>>();

function mutexFor(ds: DataSource): Mutex {
  const file = sqliteFile(ds);
  if (!file) return new Mutex();
  const shared = mutexesByFile.get(file)?.deref();
  if (shared) return shared;
  for (const [key, ref] of mutexesByFile) if (!ref.deref()) mutexesByFile.delete(key);
  const mutex = new Mutex();
  mutexesByFile.set(file, new WeakRef(mutex));
  return mutex;
}

function exclusive<T>(ds: DataSource, fn: () => Promise<T>, urgent = false): Promise<T> {
  const mutex = mutexes.get(ds);
  if (!mutex || insideUnit.getStore() === mutex) return fn();
  return mutex.run(() => insideUnit.run(mutex, fn), urgent);
}

let prototypesPatched = false;

function patchPrototypes(): void {
  if (prototypesPatched) return;
  prototypesPatched = true;
  const transaction = EntityManager.prototype.transaction;
  EntityManager.prototype.transaction = function (this: EntityManager, ...args: unknown[]) {
    return exclusive(this.connection, () =>
      (transaction as (...a: unknown[]) => Promise<unknown>).apply(this, args),
    );
  } as typeof transaction;
  const execute = EntityPersistExecutor.prototype.execute;
  EntityPersistExecutor.prototype.execute = function (this: EntityPersistExecutor) {
    const connection = (this as unknown as { connection: DataSource }).connection;
    return exclusive(connection, () => execute.call(this));
  };
}

/** Call before `initialize()`, for SQLite data sources only. */
export function serializeSqliteWork(ds: DataSource): DataSource {
  patchPrototypes();
  mutexes.set(ds, mutexFor(ds));
  const runner = ds.driver.createQueryRunner('master');
  const query = runner.query.bind(runner);
  runner.query = ((...args: Parameters<typeof query>) =>
    exclusive(ds, () => query(...args))) as typeof runner.query;
  return ds;
}

/**
 * Runs `fn` while the background units (the worker's, the archive's, the index's) wait, and the
 * urgent ones (webhook commits) still run; `fn` may run units of its own. For SQLite data sources
 * only (without serializing, `fn` just runs).
 */
export function sqliteHoldBackground<T>(ds: DataSource, fn: () => Promise<T>): Promise<T> {
  const mutex = mutexes.get(ds);
  return mutex ? mutex.holdBackground(fn) : fn();
}

/**
 * Runs `fn` as one exclusive unit (for code that drives the better-sqlite3 handle directly);
 * `urgent` for what a webhook's answer waits for.
 */
export function sqliteExclusive<T>(ds: DataSource, fn: () => Promise<T>, urgent = false): Promise<T> {
  return exclusive(ds, fn, urgent);
}
