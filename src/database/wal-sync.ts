import { open, type FileHandle } from 'node:fs/promises';
import { OnModuleDestroy } from '@nestjs/common';

/**
 * Puts SQLite's write-ahead log on the disk, off the event loop (`WEBHOOK_FSYNC=on`). The
 * connection commits with `synchronous = NORMAL`: a commit is written to the WAL but not flushed,
 * which survives a crash of the process but not of the machine (power loss, kernel panic), where
 * the last commits can be lost. A webhook answered 200 is not sent again by LINE, so with this on
 * its commit is flushed before its answer: an fdatasync of the WAL file in libuv's thread pool
 * (FULL would run one inside every commit, on the event loop, the worker's commits too). What is
 * checkpointed out of the WAL before the flush is safe already: SQLite syncs the WAL before a
 * checkpoint and the database file after it.
 *
 * Flushes are shared. The webhooks of one group commit are answered in the same turn of the event
 * loop, so a flush starts a turn after it is asked for (or when the one under way ends) and every
 * caller until then shares it; a caller that comes once it has started (its commit may be newer than
 * the start) waits for the next. Without a file (off, MySQL, in-memory) there is nothing to flush.
 */
export class WalSync implements OnModuleDestroy {
  private readonly wal?: string;
  private handle?: Promise<FileHandle>;
  /** The flush under way; never rejects (its callers get its error). */
  private running: Promise<void> | null = null;
  /** The next flush, not started yet: callers join it. */
  private queued: Promise<void> | null = null;
  /** Flushes started so far (for tests). */
  flushes = 0;

  constructor(databaseFile: string | undefined) {
    this.wal = databaseFile && `${databaseFile}-wal`;
  }

  /** Resolves once every commit made before the call is on the disk; rejects if the flush failed. */
  sync(): Promise<void> {
    if (!this.wal) return Promise.resolve();
    this.queued ??= (this.running ?? new Promise<void>((r) => setImmediate(r))).then(() => {
      this.queued = null;
      const flush = this.flush();
      // Cleared before the next queued flush, which waits for this, starts.
      this.running = flush
        .catch(() => undefined)
        .then(() => {
          this.running = null;
        });
      return flush;
    });
    return this.queued;
  }

  /** After the flushes asked for: a webhook being answered still gets its own. */
  async onModuleDestroy(): Promise<void> {
    await this.queued?.catch(() => undefined);
    await this.running;
    const handle = this.handle;
    this.handle = undefined;
    await (await handle?.catch(() => undefined))?.close();
  }

  private async flush(): Promise<void> {
    this.flushes++;
    // Opened at the first flush, after a commit: the WAL exists by then, and SQLite keeps it
    // (truncated, never deleted) while its connection is open.
    const opened = (this.handle ??= open(this.wal!, 'r'));
    try {
      await (await opened).datasync();
    } catch (err) {
      // Opened again next time: a descriptor that failed once is not trusted with the next commit.
      if (this.handle === opened) this.handle = undefined;
      void opened.then((h) => h.close()).catch(() => undefined);
      throw err;
    }
  }
}
