export interface GroupCommitOptions {
  /**
   * How long the first item of a batch waits for others (0: the end of the current turn of the
   * event loop). Worth it only for callers that do not wait for their item before submitting the
   * next one, such as the archive behind the inbox worker.
   */
  gatherMs?: number;
  /** A batch this large is written without waiting out `gatherMs`. */
  maxItems?: number;
}

interface Queued<T, R> {
  item: T;
  /** Whether the item was written: never rejects. */
  done: Promise<boolean>;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/**
 * Writes the items submitted together as one batch (one transaction): on SQLite and MySQL alike a
 * commit costs far more than a small insert, and a busy inbox or archive submits dozens of items
 * per turn. One batch is written at a time: what is submitted meanwhile waits for the next, so on
 * MySQL, where a commit waits for the disk, batches grow with the load instead of commits piling up.
 *
 * If a batch fails, each of its items is written again on its own, so that one bad item (a value
 * the database refuses) fails only its own caller, not the others that shared its batch.
 */
export class GroupCommit<T, R> {
  private queue: Queued<T, R>[] = [];
  /** The batch being written, and its end. */
  private batch: Queued<T, R>[] = [];
  private writing: Promise<void> | null = null;
  private cancelScheduled?: () => void;
  private immediate = false;
  private readonly gatherMs: number;
  private readonly maxItems: number;

  /** `write` gets the items in submission order and answers one result per item, in that order. */
  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    options: GroupCommitOptions = {},
  ) {
    this.gatherMs = options.gatherMs ?? 0;
    this.maxItems = options.maxItems ?? Infinity;
  }

  submit(item: T): Promise<R> {
    let queued!: Queued<T, R>;
    const done = new Promise<R>((resolve, reject) => {
      queued = { item, done: Promise.resolve(false), resolve, reject };
    });
    queued.done = done.then(
      () => true,
      () => false,
    );
    this.queue.push(queued);
    if (!this.writing && !this.immediate) {
      if (this.queue.length >= this.maxItems) this.schedule(0);
      else if (this.queue.length === 1) this.schedule(this.gatherMs);
    }
    return done;
  }

  /**
   * Resolves once everything submitted so far is written or has failed (for reads that must see
   * it): true when all of it was written.
   */
  async settle(): Promise<boolean> {
    const waits = [...this.batch, ...this.queue].map((q) => q.done);
    this.writeNow();
    return (await Promise.all(waits)).every(Boolean);
  }

  /** Ends the gathering: what is queued is written at the end of this turn (or after the current batch). */
  writeNow(): void {
    if (this.queue.length > 0 && !this.writing && !this.immediate) this.schedule(0);
  }

  private schedule(delayMs: number): void {
    this.cancelScheduled?.();
    this.immediate = delayMs <= 0;
    const flush = () => {
      this.cancelScheduled = undefined;
      this.immediate = false;
      this.writing = this.flush();
    };
    if (delayMs > 0) {
      const timer = setTimeout(flush, delayMs);
      this.cancelScheduled = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(flush);
      this.cancelScheduled = () => clearImmediate(immediate);
    }
  }

  private async flush(): Promise<void> {
    this.batch = this.queue.splice(0);
    try {
      await this.writeBatch(this.batch);
    } finally {
      this.batch = [];
      this.writing = null;
      // What arrived during the write has waited at least that long: no more gathering.
      if (this.queue.length > 0) this.schedule(0);
    }
  }

  private async writeBatch(batch: Queued<T, R>[]): Promise<void> {
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
