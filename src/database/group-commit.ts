/**
 * Writes the items submitted within one turn of the event loop as one batch (one transaction):
 * on SQLite and MySQL alike a commit costs far more than a small insert, and a busy inbox or
 * archive submits dozens of items per turn. One batch is written at a time: what is submitted
 * meanwhile waits for the next, so on MySQL, where a commit waits for the disk, batches grow with
 * the load instead of commits piling up.
 *
 * If a batch fails, each of its items is written again on its own, so that one bad item (a value
 * the database refuses) fails only its own caller, not the others that shared its batch.
 */
export class GroupCommit<T, R> {
  private queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private writing = false;

  /** `write` gets the items in submission order and answers one result per item, in that order. */
  constructor(private readonly write: (items: T[]) => Promise<R[]>) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.queue.length === 1 && !this.writing) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    this.writing = true;
    try {
      await this.writeBatch(this.queue.splice(0));
    } finally {
      this.writing = false;
      if (this.queue.length > 0) setImmediate(() => void this.flush());
    }
  }

  private async writeBatch(batch: GroupCommit<T, R>['queue']): Promise<void> {
    try {
      const results = await this.write(batch.map((b) => b.item));
      batch.forEach((b, i) => b.resolve(results[i]));
    } catch (err) {
      if (batch.length === 1) return batch[0].reject(err);
      for (const b of batch) {
        try {
          b.resolve((await this.write([b.item]))[0]);
        } catch (own) {
          b.reject(own);
        }
      }
    }
  }
}
