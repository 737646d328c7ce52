import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Dialect } from '../database/columns';
import { dialectOfSource } from './db-values';
import { MEDIA_JOIN, MESSAGE_COLUMNS, MessageRow, toMessageRow } from './message-row';
import { channelKey, ftsQuery, QueryPlan } from './search/terms';

export interface TimelineFilter {
  channelId: string;
  /** Inclusive, ms. */
  fromTs?: number;
  /** Exclusive, ms. */
  toTs?: number;
  userId?: string;
  type?: string;
}

/** A position in the timeline: rows are ordered by (timestamp, pk). */
export interface Keyset {
  ts: number;
  pk: number;
}

/**
 * Candidates up to this many are read whole and sorted (SQLite: every query; MySQL: one character);
 * a query found more often is searched by reading the channel's newest messages instead, where it is
 * then frequent enough to fill a page quickly. Either way a search reads a bounded number of rows per
 * match.
 */
const SORT_LIMIT = 5000;
/** Counting each bigram's postings up to here is enough to pick the rarest one to drive a search. */
const DRIVER_COUNT_CAP = 2000;

/**
 * The archive's keyset-paginated reads: newest first for the API, oldest first for exports. Every
 * query reads one page through an index in order and stops; none counts or offsets.
 */
@Injectable()
export class TimelineRepository {
  private readonly dialect: Dialect;

  constructor(@InjectDataSource() private readonly ds: DataSource) {
    this.dialect = dialectOfSource(ds);
  }

  async exists(channelId: string, messageId: string): Promise<boolean> {
    const rows = await this.ds.query(
      'SELECT 1 AS x FROM backup_messages WHERE entry_key = ? AND channel_id = ?',
      [messageId, channelId],
    );
    return rows.length > 0;
  }

  /** Newest first, strictly older than `before` when given. */
  async newestFirst(filter: TimelineFilter, limit: number, before?: Keyset): Promise<MessageRow[]> {
    const where = ['m.channel_id = ?'];
    const params: unknown[] = [filter.channelId];
    this.addFilters('m', filter, where, params);
    if (before) addBefore('m.ts', 'm.id', before, where, params);
    return this.newest(where, params, limit);
  }

  /** Oldest first, strictly newer than `after` when given (exports). */
  async oldestFirst(filter: TimelineFilter, limit: number, after?: Keyset): Promise<MessageRow[]> {
    const where = ['m.channel_id = ?'];
    const params: unknown[] = [filter.channelId];
    this.addFilters('m', filter, where, params);
    if (after) {
      where.push('m.ts >= ? AND (m.ts > ? OR m.id > ?)');
      params.push(after.ts, after.ts, after.pk);
    }
    return this.rows(
      `SELECT ${MESSAGE_COLUMNS} FROM backup_messages m ${MEDIA_JOIN}
       WHERE ${where.join(' AND ')} ORDER BY m.ts ASC, m.id ASC LIMIT ?`,
      [...params, limit],
    );
  }

  /**
   * Stored media content of the channel's messages in the period, one row per (hash, content type),
   * in hash order after `after` (zip exports page through it).
   */
  async storedMedia(
    filter: TimelineFilter,
    limit: number,
    after?: { sha256: string; contentType: string },
  ): Promise<Array<{ sha256: string; contentType: string }>> {
    const where = ['m.channel_id = ?', "md.status = 'stored'", 'md.sha256 IS NOT NULL'];
    const params: unknown[] = [filter.channelId];
    this.addFilters('m', filter, where, params);
    if (after) {
      where.push("(md.sha256 > ? OR (md.sha256 = ? AND COALESCE(md.content_type, '') > ?))");
      params.push(after.sha256, after.sha256, after.contentType);
    }
    const rows: Array<{ sha256: string; content_type: string }> = await this.ds.query(
      `SELECT DISTINCT md.sha256 AS sha256, COALESCE(md.content_type, '') AS content_type
       FROM backup_media md JOIN backup_messages m ON m.id = md.message_pk
       WHERE ${where.join(' AND ')} ORDER BY sha256, content_type LIMIT ?`,
      [...params, limit],
    );
    return rows.map((r) => ({ sha256: r.sha256, contentType: r.content_type }));
  }

  /**
   * Newest first among messages whose normalized text contains the query: those in the search
   * index, and those still queued for it (SearchIndexer), which are read directly.
   */
  async search(
    filter: TimelineFilter,
    plan: QueryPlan,
    limit: number,
    before?: Keyset,
  ): Promise<MessageRow[]> {
    // The queue first: a message indexed between the two reads is then in both, never in neither.
    const queued = await this.searchQueued(filter, plan.normalized, limit, before);
    const indexed =
      this.dialect === 'sqlite'
        ? await this.searchFts(filter, plan, limit, before)
        : plan.kind === 'terms'
          ? await this.searchTerms(filter, plan.terms, plan.normalized, limit, before)
          : await this.searchPrefix(filter, plan, limit, before);
    if (queued.length === 0) return indexed;
    const byPk = new Map([...indexed, ...queued].map((r) => [r.pk, r]));
    return [...byPk.values()].sort((a, b) => b.timestamp - a.timestamp || b.pk - a.pk).slice(0, limit);
  }

  /** The queue holds what was archived in the last moments: it is read whole, with the text checked. */
  private async searchQueued(
    filter: TimelineFilter,
    normalized: string,
    limit: number,
    before?: Keyset,
  ): Promise<MessageRow[]> {
    const where = ['m.channel_id = ?', 'INSTR(m.search_text, ?) > 0'];
    const params: unknown[] = [filter.channelId, normalized];
    this.addFilters('m', filter, where, params);
    if (before) addBefore('m.ts', 'm.id', before, where, params);
    return this.rows(
      // CROSS JOIN makes SQLite start from the small queue, not walk the channel's messages.
      `SELECT ${MESSAGE_COLUMNS} FROM backup_index_queue q CROSS JOIN backup_messages m ${MEDIA_JOIN}
       WHERE m.id = q.message_pk AND ${where.join(' AND ')} ORDER BY m.ts DESC, m.id DESC LIMIT ?`,
      [...params, limit],
    );
  }

  /**
   * SQLite: FTS5 intersects the chat's posting lists of the query's terms (or reads those of one
   * character's terms). Up to SORT_LIMIT candidates are read whole, checked against the text
   * and sorted by time; a query with more reads the channel's newest messages instead, where it is
   * then frequent enough to fill a page quickly.
   */
  private async searchFts(
    filter: TimelineFilter,
    plan: QueryPlan,
    limit: number,
    before?: Keyset,
  ): Promise<MessageRow[]> {
    const match = ftsQuery(channelKey(filter.channelId), plan);
    const [{ n }] = await this.ds.query(
      `SELECT COUNT(*) AS n FROM (SELECT rowid FROM backup_message_fts
         WHERE backup_message_fts MATCH ? LIMIT ${SORT_LIMIT + 1}) c`,
      [match],
    );
    const where = ['m.channel_id = ?', 'INSTR(m.search_text, ?) > 0'];
    const params: unknown[] = [filter.channelId, plan.normalized];
    this.addFilters('m', filter, where, params);
    if (before) addBefore('m.ts', 'm.id', before, where, params);
    if (Number(n) > SORT_LIMIT) return this.newest(where, params, limit);
    // CROSS JOIN makes SQLite start from the candidates, not walk the channel's messages.
    return this.rows(
      `SELECT ${MESSAGE_COLUMNS}
       FROM (SELECT rowid AS pk FROM backup_message_fts WHERE backup_message_fts MATCH ?) c
       CROSS JOIN backup_messages m ${MEDIA_JOIN}
       WHERE m.id = c.pk AND ${where.join(' AND ')} ORDER BY m.ts DESC, m.id DESC LIMIT ?`,
      [match, ...params, limit],
    );
  }

  /**
   * MySQL: walks the rarest bigram's posting list in timeline order (newest first), keeps the
   * messages that have every other bigram too (primary-key lookups) and whose text really contains
   * the query.
   */
  private async searchTerms(
    filter: TimelineFilter,
    terms: number[],
    normalized: string,
    limit: number,
    before?: Keyset,
  ): Promise<MessageRow[]> {
    const key = channelKey(filter.channelId);
    const ordered = terms.length > 1 ? await this.byFrequency(key, terms) : terms;
    const [driver, ...others] = ordered;
    const where = ['t.channel_key = ?', 't.term = ?'];
    const params: unknown[] = [key, driver];
    if (filter.fromTs !== undefined) {
      where.push('t.ts >= ?');
      params.push(filter.fromTs);
    }
    if (filter.toTs !== undefined) {
      where.push('t.ts < ?');
      params.push(filter.toTs);
    }
    if (before) addBefore('t.ts', 't.message_pk', before, where, params);
    for (const term of others) {
      where.push(
        `EXISTS (SELECT 1 FROM backup_message_terms t2 WHERE t2.channel_key = t.channel_key AND t2.term = ?
           AND t2.ts = t.ts AND t2.message_pk = t.message_pk)`,
      );
      params.push(term);
    }
    where.push('m.channel_id = ?', 'INSTR(m.search_text, ?) > 0');
    params.push(filter.channelId, normalized);
    this.addFilters(
      'm',
      { channelId: filter.channelId, userId: filter.userId, type: filter.type },
      where,
      params,
    );
    // CROSS JOIN makes SQLite walk the posting list first (MySQL reads it as an inner join).
    return this.rows(
      `SELECT ${MESSAGE_COLUMNS} FROM backup_message_terms t CROSS JOIN backup_messages m ${MEDIA_JOIN}
       WHERE m.id = t.message_pk AND ${where.join(' AND ')}
       ORDER BY t.ts DESC, t.message_pk DESC LIMIT ?`,
      [...params, limit],
    );
  }

  /** MySQL: a one-character query. */
  private async searchPrefix(
    filter: TimelineFilter,
    plan: Extract<QueryPlan, { kind: 'prefix' }>,
    limit: number,
    before?: Keyset,
  ): Promise<MessageRow[]> {
    const key = channelKey(filter.channelId);
    const [{ n }] = await this.ds.query(
      `SELECT COUNT(*) AS n FROM (SELECT 1 AS x FROM backup_message_terms
         WHERE channel_key = ? AND term BETWEEN ? AND ? LIMIT ${SORT_LIMIT + 1}) c`,
      [key, plan.from, plan.to],
    );
    const where = ['m.channel_id = ?', 'INSTR(m.search_text, ?) > 0'];
    const params: unknown[] = [filter.channelId, plan.normalized];
    this.addFilters('m', filter, where, params);
    if (before) addBefore('m.ts', 'm.id', before, where, params);
    if (Number(n) <= SORT_LIMIT) {
      where.push(
        'm.id IN (SELECT message_pk FROM backup_message_terms WHERE channel_key = ? AND term BETWEEN ? AND ?)',
      );
      params.push(key, plan.from, plan.to);
    }
    return this.newest(where, params, limit);
  }

  /** The terms, rarest first, each counted only up to a cap. */
  private async byFrequency(key: number, terms: number[]): Promise<number[]> {
    const counts = await Promise.all(
      terms.map(async (term) => {
        const [{ n }] = await this.ds.query(
          `SELECT COUNT(*) AS n FROM (SELECT 1 AS x FROM backup_message_terms
             WHERE channel_key = ? AND term = ? LIMIT ${DRIVER_COUNT_CAP}) c`,
          [key, term],
        );
        return { term, n: Number(n) };
      }),
    );
    return counts.sort((a, b) => a.n - b.n).map((c) => c.term);
  }

  private addFilters(alias: string, filter: TimelineFilter, where: string[], params: unknown[]): void {
    if (filter.fromTs !== undefined) {
      where.push(`${alias}.ts >= ?`);
      params.push(filter.fromTs);
    }
    if (filter.toTs !== undefined) {
      where.push(`${alias}.ts < ?`);
      params.push(filter.toTs);
    }
    if (filter.userId !== undefined) {
      where.push(`${alias}.user_id = ?`);
      params.push(filter.userId);
    }
    if (filter.type !== undefined) {
      where.push(`${alias}.msg_type = ?`);
      params.push(filter.type);
    }
  }

  /** The messages that meet `where` (its first condition the channel), newest first. */
  private newest(where: string[], params: unknown[], limit: number): Promise<MessageRow[]> {
    return this.rows(
      `SELECT ${MESSAGE_COLUMNS} FROM backup_messages m ${MEDIA_JOIN}
       WHERE ${where.join(' AND ')} ORDER BY m.ts DESC, m.id DESC LIMIT ?`,
      [...params, limit],
    );
  }

  private async rows(sql: string, params: unknown[]): Promise<MessageRow[]> {
    const raw: Array<Record<string, unknown>> = await this.ds.query(sql, params);
    return raw.map(toMessageRow);
  }
}

/** Strictly before (ts, pk) in timeline order, written so that the index range starts at ts. */
function addBefore(tsCol: string, pkCol: string, before: Keyset, where: string[], params: unknown[]): void {
  where.push(`${tsCol} <= ? AND (${tsCol} < ? OR ${pkCol} < ?)`);
  params.push(before.ts, before.ts, before.pk);
}
