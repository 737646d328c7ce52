import { chunks, inList } from '../database/statement-chunks';

/** What processing recorded about an inbox row: the fields set are the ones to write. */
export interface StateChange {
  state: 'pending' | 'done' | 'failed';
  completedHandlers: string[];
  attempts?: number;
  lastError?: string;
  nextAttemptAt?: Date;
  processedAt?: Date;
}

export interface Statement {
  sql: string;
  params: unknown[];
}

/**
 * The two shapes almost every change has: handlers finished with the row still pending, and a bare
 * outcome. On MySQL they are written many rows to a statement.
 */
const plainShape = (c: StateChange): 'progress' | 'done' | null =>
  c.attempts !== undefined || c.lastError !== undefined || c.nextAttemptAt !== undefined
    ? null
    : c.state === 'pending'
      ? 'progress'
      : c.state === 'done'
        ? 'done'
        : null;

/**
 * A finished event's payload is cleared: the row stays for deduplication until the retention
 * period ends, but what the message said is kept only by the archive, so that backup off,
 * `keepUnsent` off and the archive's retention hold for it too. Failed events keep theirs. The
 * row shrinks instead of growing, so on SQLite the update stays in its page.
 */
const CLEARED = ", payload = '{}'";
const oneRow = (done: boolean) =>
  'UPDATE webhook_events SET state = ?, completed_handlers = ?, attempts = COALESCE(?, attempts), ' +
  'last_error = COALESCE(?, last_error), next_attempt_at = COALESCE(?, next_attempt_at), ' +
  `processed_at = COALESCE(?, processed_at)${done ? CLEARED : ''} WHERE id = ?`;
const doneRows = (where: string) =>
  `UPDATE webhook_events SET state = 'done', completed_handlers = ?, processed_at = ?${CLEARED} WHERE ${where}`;
const IDS_PER_STATEMENT = 500;

/**
 * Processing state written behind (see InboxStore): the changes not yet written, and those being
 * written, so that reads of pending rows can see them without waiting for the write.
 *
 * On MySQL a read runs beside the write, on another connection: a read that started before a write
 * committed may still answer the rows as they were. Written changes therefore stay visible until
 * every read that started before their commit has ended; otherwise such a read would hand out a
 * finished row as pending, and it would run twice.
 */
export class InboxStateBuffer {
  private buffered = new Map<number, StateChange>();
  private writing = new Map<number, StateChange>();
  /** Written changes, oldest first, each with the epoch of its commit. */
  private written: Array<{ epoch: number; changes: Map<number, StateChange> }> = [];
  private epoch = 0;
  /** Reads under way, counted by the epoch they started in. */
  private readonly reads = new Map<number, number>();

  get size(): number {
    return this.buffered.size;
  }

  /** Later changes of a row add to earlier ones: a retry's attempts survive the progress after it. */
  record(id: number, change: StateChange): void {
    const earlier = this.buffered.get(id);
    this.buffered.set(id, earlier ? { ...earlier, ...change } : change);
  }

  /** The row's state as processing last left it, when a read may not see it yet. */
  latest(id: number): StateChange | undefined {
    let merged: StateChange | undefined;
    const add = (change: StateChange | undefined) => {
      if (change) merged = merged ? { ...merged, ...change } : change;
    };
    for (const { changes } of this.written) add(changes.get(id));
    add(this.writing.get(id));
    add(this.buffered.get(id));
    return merged;
  }

  /** Rows whose outcome (done, failed) is recorded but not written yet: pending in the table still. */
  unwrittenOutcomes(): number {
    let n = 0;
    for (const change of this.buffered.values()) if (change.state !== 'pending') n++;
    for (const [id, change] of this.writing) if (change.state !== 'pending' && !this.buffered.has(id)) n++;
    return n;
  }

  /** A read of the table starts; `readEnded` with the answer must follow, after `latest` is applied. */
  readStarted(): number {
    this.reads.set(this.epoch, (this.reads.get(this.epoch) ?? 0) + 1);
    return this.epoch;
  }

  readEnded(epoch: number): void {
    const left = (this.reads.get(epoch) ?? 1) - 1;
    if (left > 0) this.reads.set(epoch, left);
    else this.reads.delete(epoch);
    this.forgetWritten();
  }

  /** Hands the buffered changes to one writer at a time; `settle` must follow. */
  take(): Map<number, StateChange> {
    this.writing = this.buffered;
    this.buffered = new Map();
    return this.writing;
  }

  /** After a failed write the changes wait for the next one, under any newer change of their row. */
  settle(written: boolean): void {
    if (written) {
      if (this.writing.size > 0) this.written.push({ epoch: ++this.epoch, changes: this.writing });
    } else {
      for (const [id, change] of this.writing) {
        const newer = this.buffered.get(id);
        this.buffered.set(id, newer ? { ...change, ...newer } : change);
      }
    }
    this.writing = new Map();
    this.forgetWritten();
  }

  /** Drops written changes that every read under way started after. */
  private forgetWritten(): void {
    let oldestRead = Infinity;
    for (const epoch of this.reads.keys()) oldestRead = Math.min(oldestRead, epoch);
    while (this.written.length > 0 && this.written[0].epoch <= oldestRead) this.written.shift();
  }
}

/**
 * The statements that write `changes`. `grouped` (MySQL, where each statement is a round trip)
 * writes plain changes with one statement per shape and set of finished handlers; outcomes are
 * stamped with the latest processed_at of their set: exact to the flush interval. SQLite writes
 * each row exactly, as cheaply.
 */
export function statementsFor(
  changes: Map<number, StateChange>,
  toDb: (d: Date) => unknown,
  grouped: boolean,
): Statement[] {
  const statements: Statement[] = [];
  const groups = new Map<
    string,
    { shape: 'progress' | 'done'; handlers: string; ids: number[]; at?: Date }
  >();
  for (const [id, c] of changes) {
    const handlers = JSON.stringify(c.completedHandlers);
    const shape = plainShape(c);
    if (grouped && shape) {
      const key = `${shape} ${handlers}`;
      const group = groups.get(key) ?? { shape, handlers, ids: [], at: c.processedAt };
      group.ids.push(id);
      if (c.processedAt && (!group.at || c.processedAt > group.at)) group.at = c.processedAt;
      groups.set(key, group);
    } else if (shape === 'done') {
      statements.push({ sql: doneRows('id = ?'), params: [handlers, toDb(c.processedAt!), id] });
    } else {
      const at = (d?: Date) => (d ? toDb(d) : null);
      statements.push({
        sql: oneRow(c.state === 'done'),
        params: [
          c.state,
          handlers,
          c.attempts ?? null,
          c.lastError ?? null,
          at(c.nextAttemptAt),
          at(c.processedAt),
          id,
        ],
      });
    }
  }
  for (const { shape, handlers, ids, at } of groups.values()) {
    for (const chunk of chunks(ids, IDS_PER_STATEMENT)) {
      const inIds = `id IN ${inList(chunk.length)}`;
      statements.push(
        shape === 'done'
          ? {
              sql: doneRows(inIds),
              params: [handlers, toDb(at!), ...chunk],
            }
          : {
              sql: `UPDATE webhook_events SET completed_handlers = ? WHERE ${inIds}`,
              params: [handlers, ...chunk],
            },
      );
    }
  }
  return statements;
}
