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

/** A bare outcome: the shape almost every row has, written many rows to a statement on MySQL. */
const isPlainDone = (c: StateChange) =>
  c.state === 'done' &&
  c.attempts === undefined &&
  c.lastError === undefined &&
  c.nextAttemptAt === undefined;

const ONE_ROW =
  'UPDATE webhook_events SET state = ?, completed_handlers = ?, attempts = COALESCE(?, attempts), ' +
  'last_error = COALESCE(?, last_error), next_attempt_at = COALESCE(?, next_attempt_at), ' +
  'processed_at = COALESCE(?, processed_at) WHERE id = ?';
const DONE_ROW =
  "UPDATE webhook_events SET state = 'done', completed_handlers = ?, processed_at = ? WHERE id = ?";
const IDS_PER_STATEMENT = 500;

/**
 * Processing state written behind (see InboxStore): the changes not yet written, and those being
 * written, so that reads of pending rows can see them without waiting for the write.
 */
export class InboxStateBuffer {
  private buffered = new Map<number, StateChange>();
  private writing = new Map<number, StateChange>();

  get size(): number {
    return this.buffered.size;
  }

  /** Later changes of a row add to earlier ones: a retry's attempts survive the progress after it. */
  record(id: number, change: StateChange): void {
    const earlier = this.buffered.get(id);
    this.buffered.set(id, earlier ? { ...earlier, ...change } : change);
  }

  /** The row's state as processing last left it, when that is not written yet. */
  latest(id: number): StateChange | undefined {
    const writing = this.writing.get(id);
    const buffered = this.buffered.get(id);
    return writing && buffered ? { ...writing, ...buffered } : (buffered ?? writing);
  }

  /** Hands the buffered changes to one writer at a time; `settle` must follow. */
  take(): Map<number, StateChange> {
    this.writing = this.buffered;
    this.buffered = new Map();
    return this.writing;
  }

  /** After a failed write the changes wait for the next one, under any newer change of their row. */
  settle(written: boolean): void {
    if (!written) {
      for (const [id, change] of this.writing) {
        const newer = this.buffered.get(id);
        this.buffered.set(id, newer ? { ...change, ...newer } : change);
      }
    }
    this.writing = new Map();
  }
}

/**
 * The statements that write `changes`. `grouped` (MySQL, where each statement is a round trip)
 * writes plain outcomes with one statement per set of finished handlers, stamped with the latest
 * processed_at of the set: exact to the flush interval. SQLite writes each row exactly, as cheaply.
 */
export function statementsFor(
  changes: Map<number, StateChange>,
  toDb: (d: Date) => unknown,
  grouped: boolean,
): Statement[] {
  const statements: Statement[] = [];
  const groups = new Map<string, { ids: number[]; at: Date }>();
  for (const [id, c] of changes) {
    const handlers = JSON.stringify(c.completedHandlers);
    if (!isPlainDone(c)) {
      const at = (d?: Date) => (d ? toDb(d) : null);
      statements.push({
        sql: ONE_ROW,
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
    } else if (!grouped) {
      statements.push({ sql: DONE_ROW, params: [handlers, toDb(c.processedAt!), id] });
    } else {
      const group = groups.get(handlers) ?? { ids: [], at: c.processedAt! };
      group.ids.push(id);
      if (c.processedAt! > group.at) group.at = c.processedAt!;
      groups.set(handlers, group);
    }
  }
  for (const [handlers, { ids, at }] of groups) {
    for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) {
      const chunk = ids.slice(i, i + IDS_PER_STATEMENT);
      statements.push({
        sql: `UPDATE webhook_events SET state = 'done', completed_handlers = ?, processed_at = ? WHERE id IN (${chunk.map(() => '?').join(', ')})`,
        params: [handlers, toDb(at), ...chunk],
      });
    }
  }
  return statements;
}
