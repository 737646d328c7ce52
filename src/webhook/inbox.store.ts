import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type Database from 'better-sqlite3';
import { DataSource, EntityManager } from 'typeorm';
import { Dialect, dialectOf } from '../database/columns';
import { fromDbTime, toDbTime } from '../database/db-time';
import { GroupCommit } from '../database/group-commit';
import { sqliteConnection } from '../database/sqlite-connection';
import { sqliteExclusive } from '../database/sqlite-serializer';
import { chunks, inList } from '../database/statement-chunks';
import { InboxStateBuffer, StateChange, statementsFor } from './inbox-state-buffer';
import type { IncomingEvent } from './webhook-body';

/** A row of the inbox waiting to be processed. */
export interface PendingEvent {
  id: number;
  webhookEventId: string;
  eventType: string;
  channelId: string | null;
  eventTimestamp: number;
  payload: Record<string, unknown>;
  attempts: number;
  completedHandlers: string[];
  nextAttemptAt: Date;
}

/** A place in a chat's processing order, (event_timestamp, id). */
export interface InboxPosition {
  ts: number;
  id: number;
}

export interface ChatWithPending {
  channelId: string | null;
  /** The earliest next_attempt_at of its pending rows: nothing of the chat is due before. */
  dueAt: Date;
}

export interface PendingOverview {
  chats: ChatWithPending[];
  /** Rows pending as processing left them: in the table, less those whose outcome is not written yet. */
  pending: number;
}

const INSERT_COLUMNS =
  'webhook_event_id, event_type, channel_id, event_timestamp, payload, state, attempts, ' +
  'completed_handlers, last_error, received_at, next_attempt_at, processed_at';
const ROW_PLACEHOLDERS = "(?, ?, ?, ?, ?, 'pending', 0, '[]', NULL, ?, ?, NULL)";
const PENDING_COLUMNS =
  'id, webhook_event_id, event_type, channel_id, event_timestamp, payload, attempts, completed_handlers, next_attempt_at';
/** Rows per INSERT statement on MySQL (a body can hold thousands of small events). */
const MYSQL_INSERT_CHUNK = 200;
/**
 * Processing outcomes are written behind, in one transaction per batch: a commit per handler and
 * per event would cost more than the events themselves. At most this long, or this many rows.
 */
const FLUSH_DELAY_MS = 50;
const FLUSH_MAX_ROWS = 1000;
const PRUNE_BATCH = 1000;

type Row = Record<string, unknown>;

/**
 * The inbox table (`webhook_events`) in plain SQL: this is the hot path of every webhook and every
 * processed event, so it skips the ORM. On SQLite the statements run on the driver's one
 * connection, prepared once, as exclusive units (src/database/sqlite-serializer.ts).
 *
 * Inserts are written before the webhook is answered. Processing state (finished handlers,
 * outcomes) is written behind, within FLUSH_DELAY_MS, and reads of pending rows see it before it
 * is written: a crash can lose the last few milliseconds of it, and those events then run again,
 * which handlers are written for (idempotent, keyed by webhookEventId or message id).
 */
@Injectable()
export class InboxStore {
  private readonly dialect: Dialect;
  private readonly statements = new Map<string, Database.Statement>();
  /** Processing state not yet written (see `flush`). */
  private readonly states = new InboxStateBuffer();
  private flushTimer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  /** Webhooks of one turn of the event loop share a commit (see `insert`). */
  private readonly inserts = new GroupCommit<unknown[][], number>((webhooks) => this.insertBatch(webhooks));

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.dialect = dialectOf(dataSource.options.type);
  }

  /**
   * Stores the events of one webhook atomically; ids already present are left alone (a redelivery
   * or a repeat). Resolves, with how many rows are new, once they are committed.
   *
   * Group commit: the webhooks that arrive in one turn of the event loop are written in one
   * transaction (a commit per webhook would be most of the cost of receiving one). Each is answered
   * only after that commit.
   */
  insert(events: IncomingEvent[], receivedAt: Date, dueAt: Date): Promise<number> {
    if (events.length === 0) return Promise.resolve(0);
    const rows = events.map((e) => [
      e.webhookEventId,
      e.eventType,
      e.channelId,
      e.eventTimestamp,
      JSON.stringify(e.payload),
      this.toDb(receivedAt),
      this.toDb(dueAt),
    ]);
    return this.inserts.submit(rows);
  }

  /** One transaction for every webhook of the batch; returns the new rows of each. */
  private async insertBatch(webhooks: unknown[][][]): Promise<number[]> {
    if (this.dialect === 'sqlite') {
      // Urgent: answers wait for this commit, so it goes ahead of the worker's queued units.
      return this.sqliteUnit((db) => {
        const stmt = this.prepare(
          `INSERT INTO webhook_events (${INSERT_COLUMNS}) VALUES ${ROW_PLACEHOLDERS} ON CONFLICT (webhook_event_id) DO NOTHING`,
        );
        return db.transaction(() =>
          webhooks.map((rows) => rows.reduce<number>((n, r) => n + stmt.run(...r).changes, 0)),
        )();
      }, true);
    }
    // Each statement is a round trip: all the batch's rows go in as few as possible. Which rows are
    // new is read first (mysql2 counts a duplicate as an affected row): one id counts once, for the
    // first webhook that holds it. A batch that fits one INSERT needs no explicit transaction (the
    // statement is atomic and commits on its own): BEGIN and COMMIT were two of its four round
    // trips, and while the worker runs each round trip waits its turn on the event loop.
    const rows = webhooks.flat();
    const write = async (q: Pick<EntityManager, 'query'>) => {
      const known = new Set<string>();
      for (const chunk of chunks([...new Set(rows.map((r) => r[0] as string))], MYSQL_INSERT_CHUNK)) {
        const found = (await q.query(
          `SELECT webhook_event_id FROM webhook_events WHERE webhook_event_id IN ${inList(chunk.length)}`,
          chunk,
        )) as Array<{ webhook_event_id: string }>;
        for (const r of found) known.add(r.webhook_event_id);
      }
      for (const chunk of chunks(rows, MYSQL_INSERT_CHUNK)) {
        // A no-op update on a duplicate id: unlike INSERT IGNORE it hides no other error.
        await q.query(
          `INSERT INTO webhook_events (${INSERT_COLUMNS}) VALUES ${chunk.map(() => ROW_PLACEHOLDERS).join(', ')} ` +
            'ON DUPLICATE KEY UPDATE id = id',
          chunk.flat(),
        );
      }
      return webhooks.map((webhook) =>
        webhook.reduce<number>((n, r) => {
          const id = r[0] as string;
          if (known.has(id)) return n;
          known.add(id);
          return n + 1;
        }, 0),
      );
    };
    return rows.length <= MYSQL_INSERT_CHUNK ? write(this.dataSource) : this.dataSource.transaction(write);
  }

  /**
   * The first pending rows of one chat in processing order: (event_timestamp, id), as processing
   * last left them, written or not: no read waits for the write-behind. With `after`, only rows
   * that sort after it: for a caller that knows every row up to there has run.
   */
  async headOf(channelId: string | null, limit: number, after?: InboxPosition): Promise<PendingEvent[]> {
    const where = channelId === null ? 'channel_id IS NULL' : 'channel_id = ?';
    const read = async (from?: InboxPosition) => {
      const epoch = this.states.readStarted();
      try {
        const rows = await this.all(
          `SELECT ${PENDING_COLUMNS} FROM webhook_events WHERE ${where} AND state = 'pending' ` +
            (from ? 'AND event_timestamp >= ? AND (event_timestamp > ? OR id > ?) ' : '') +
            `ORDER BY event_timestamp, id LIMIT ${Math.trunc(limit)}`,
          [...(channelId === null ? [] : [channelId]), ...(from ? [from.ts, from.ts, from.id] : [])],
        );
        const last = rows[rows.length - 1];
        return {
          full: rows.length === limit,
          last: last && { ts: Number(last.event_timestamp), id: Number(last.id) },
          pending: rows.flatMap((r) => this.pendingOf(r) ?? []),
        };
      } finally {
        this.states.readEnded(epoch);
      }
    };
    // Rows read but finished (their outcome not yet written) are skipped by reading on after the
    // last of them: every pending row before it was in that read.
    let head = await read(after);
    while (head.pending.length === 0 && head.full) head = await read(head.last);
    return head.pending;
  }

  /** A row read as pending, under its unwritten state; null when processing finished it. */
  private pendingOf(r: Row): PendingEvent | null {
    const id = Number(r.id);
    const change = this.states.latest(id);
    if (change && change.state !== 'pending') return null;
    return {
      id,
      webhookEventId: String(r.webhook_event_id),
      eventType: String(r.event_type),
      channelId: (r.channel_id as string | null) ?? null,
      eventTimestamp: Number(r.event_timestamp),
      payload: JSON.parse(String(r.payload)) as Record<string, unknown>,
      attempts: change?.attempts ?? Number(r.attempts),
      completedHandlers: change?.completedHandlers ?? (JSON.parse(String(r.completed_handlers)) as string[]),
      nextAttemptAt: change?.nextAttemptAt ?? this.fromDb(r.next_attempt_at),
    };
  }

  /** Every chat with pending rows, whoever stored them or put them back, and how many rows are pending. */
  async pendingOverview(): Promise<PendingOverview> {
    await this.flush();
    const sql =
      'SELECT channel_id, MIN(next_attempt_at) AS due_at, COUNT(*) AS n FROM webhook_events ' +
      "WHERE state = 'pending' GROUP BY channel_id";
    // On SQLite the outcomes not yet written are counted with the read, nothing in between; on
    // MySQL a flush may commit meanwhile, and the count is off by those rows until the next one.
    const { rows, unwritten } =
      this.dialect === 'sqlite'
        ? await this.sqliteUnit(async () => ({
            rows: this.prepare(sql).all() as Row[],
            unwritten: this.states.unwrittenOutcomes(),
          }))
        : { rows: await this.all(sql, []), unwritten: this.states.unwrittenOutcomes() };
    return {
      chats: rows.map((r) => ({
        channelId: (r.channel_id as string | null) ?? null,
        dueAt: this.fromDb(r.due_at),
      })),
      pending: Math.max(0, rows.reduce((n, r) => n + Number(r.n), 0) - unwritten),
    };
  }

  /** A handler finished: a retry starts after it. */
  saveProgress(id: number, completedHandlers: string[]): void {
    this.later(id, { state: 'pending', completedHandlers });
  }

  markDone(id: number, completedHandlers: string[], at: Date): void {
    this.later(id, { state: 'done', completedHandlers, processedAt: at });
  }

  scheduleRetry(
    id: number,
    attempts: number,
    completedHandlers: string[],
    error: string,
    nextAttemptAt: Date,
  ): void {
    this.later(id, { state: 'pending', completedHandlers, attempts, lastError: error, nextAttemptAt });
  }

  markFailed(id: number, attempts: number, completedHandlers: string[], error: string, at: Date): void {
    this.later(id, { state: 'failed', completedHandlers, attempts, lastError: error, processedAt: at });
  }

  async maxPendingId(): Promise<number> {
    const [row] = await this.all("SELECT MAX(id) AS n FROM webhook_events WHERE state = 'pending'", []);
    return Number(row.n ?? 0);
  }

  /** Written at once (not behind): it must hold if the process exits during the attempt. */
  async countAttempt(id: number): Promise<void> {
    await this.run('UPDATE webhook_events SET attempts = attempts + 1 WHERE id = ?', [id]);
  }

  async countPending(): Promise<number> {
    const [row] = await this.all("SELECT COUNT(*) AS n FROM webhook_events WHERE state = 'pending'", []);
    return Number(row.n);
  }

  /**
   * Writes what processing recorded (progress, outcomes) in one transaction. Runs by itself within
   * FLUSH_DELAY_MS, before the scan for chats with pending rows, and at shutdown.
   */
  flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    // After the previous flush, whether it failed or not (its failure was reported to its caller).
    this.flushing = this.flushing.catch(() => undefined).then(() => this.writeBuffered());
    return this.flushing;
  }

  /**
   * Deletes processed rows last attempted before `before`, PRUNE_BATCH at a time so that no single
   * statement holds the database for long; failed rows stay for a person to look at.
   */
  async pruneDone(before: Date): Promise<number> {
    const old = "state = 'done' AND next_attempt_at < ?";
    const sql =
      this.dialect === 'sqlite'
        ? `DELETE FROM webhook_events WHERE id IN (SELECT id FROM webhook_events WHERE ${old} LIMIT ${PRUNE_BATCH})`
        : `DELETE FROM webhook_events WHERE ${old} LIMIT ${PRUNE_BATCH}`;
    let total = 0;
    for (;;) {
      const deleted = await this.run(sql, [this.toDb(before)]);
      total += deleted;
      if (deleted < PRUNE_BATCH) return total;
    }
  }

  private later(id: number, change: StateChange): void {
    this.states.record(id, change);
    if (this.states.size >= FLUSH_MAX_ROWS) {
      void this.flush().catch(() => undefined); // the next flush tries again and reports
    } else if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => void this.flush().catch(() => undefined), FLUSH_DELAY_MS);
      this.flushTimer.unref();
    }
  }

  private async writeBuffered(): Promise<void> {
    if (this.states.size === 0) return;
    const statements = statementsFor(this.states.take(), (d) => this.toDb(d), this.dialect !== 'sqlite');
    let written = false;
    try {
      if (this.dialect === 'sqlite') {
        await this.sqliteUnit((db) =>
          db.transaction(() => {
            for (const w of statements) this.prepare(w.sql).run(...w.params);
          })(),
        );
      } else {
        await this.dataSource.transaction(async (em) => {
          for (const w of statements) await em.query(w.sql, w.params);
        });
      }
      written = true;
    } finally {
      this.states.settle(written);
    }
  }

  private async all(sql: string, params: unknown[]): Promise<Row[]> {
    if (this.dialect === 'sqlite') return this.sqliteUnit(() => this.prepare(sql).all(...params) as Row[]);
    return (await this.dataSource.query(sql, params)) as Row[];
  }

  /** Returns the number of rows changed. */
  private async run(sql: string, params: unknown[]): Promise<number> {
    if (this.dialect === 'sqlite') return this.sqliteUnit(() => this.prepare(sql).run(...params).changes);
    const result = (await this.dataSource.query(sql, params)) as { affectedRows?: number };
    return result.affectedRows ?? 0;
  }

  /**
   * Runs synchronous better-sqlite3 work on TypeORM's one SQLite connection as an exclusive unit,
   * so it never lands inside another module's open transaction (nor the other way round).
   */
  private sqliteUnit<T>(work: (db: Database.Database) => T, urgent = false): Promise<T> {
    return sqliteExclusive(this.dataSource, async () => work(this.sqlite()), urgent);
  }

  private sqlite(): Database.Database {
    return sqliteConnection(this.dataSource);
  }

  /** Called inside a unit only. */
  private prepare(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.sqlite().prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /** The formats TypeORM itself writes: UTC text on SQLite, a Date (sent in UTC) on MySQL. */
  private toDb(d: Date): string | Date {
    return toDbTime(this.dialect, d);
  }

  private fromDb(v: unknown): Date {
    return fromDbTime(v) ?? new Date(NaN);
  }
}
