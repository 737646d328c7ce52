import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, EntityManager } from 'typeorm';
import { EntityPersistExecutor } from 'typeorm/persistence/EntityPersistExecutor';

/**
 * TypeORM gives every caller the same SQLite connection and query runner, so two concurrent
 * `transaction()` calls nest as savepoints of one transaction: a rollback in one silently undoes
 * the other's "committed" writes, and plain queries from other requests land inside whatever
 * transaction happens to be open. On SQLite, this makes each unit of work exclusive: a transaction
 * (explicit, or the implicit one of `save`/`remove`) or a single statement. Work inside a unit runs
 * straight through, nested transactions stay savepoints. better-sqlite3 is synchronous, so nothing
 * ran concurrently anyway; this only puts the awaits between statements in order.
 */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

const insideUnit = new AsyncLocalStorage<DataSource>();
const mutexes = new WeakMap<DataSource, Mutex>();

function exclusive<T>(ds: DataSource, fn: () => Promise<T>): Promise<T> {
  const mutex = mutexes.get(ds);
  if (!mutex || insideUnit.getStore() === ds) return fn();
  return mutex.run(() => insideUnit.run(ds, fn));
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
  mutexes.set(ds, new Mutex());
  const runner = ds.driver.createQueryRunner('master');
  const query = runner.query.bind(runner);
  runner.query = ((...args: Parameters<typeof query>) =>
    exclusive(ds, () => query(...args))) as typeof runner.query;
  return ds;
}

/** Runs `fn` as one exclusive unit (for code that drives the better-sqlite3 handle directly). */
export function sqliteExclusive<T>(ds: DataSource, fn: () => Promise<T>): Promise<T> {
  return exclusive(ds, fn);
}
