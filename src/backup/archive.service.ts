import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Dialect } from '../database/columns';
import { ArchiveEntry } from './archive-entry';
import { chunks, inList, insertChunks } from '../database/statement-chunks';
import { dialectOfSource, num, onConflictIgnore, placeholders } from './db-values';
import { toDbTime } from '../database/db-time';
import { GroupCommit } from '../database/group-commit';
import { SearchIndexer } from './search/search-indexer';
import { channelKey, indexTerms, normalizeText } from './search/terms';

/** Rows per multi-row INSERT: well under SQLite's 32,766 parameters and MySQL's packet size. */
const MESSAGE_CHUNK = 128;
const INDEX_QUEUE_CHUNK = 1024;
/**
 * How long archiveOne gathers entries into one transaction. The inbox worker does not wait for the
 * commit before a chat's next event, so a batch holds several messages of each busy chat, and a
 * commit writes each index page once for all of them instead of once per message.
 */
const GATHER_MS = 20;
const GATHER_MAX = 1024;
/**
 * On MySQL the worker still waits for each commit. Without that wait it drained twice as fast, but
 * took the answers' share of the machine: accepted webhooks fell by half, and the answer p99 at
 * 2,000 events/s rose to 360 ms (with 32 chats at once; with 5, p99 108 ms at saturation; with 12,
 * a paced p50 of 617 ms). A commit there is a round trip and a flush, which throttles the worker in
 * favour of the answers.
 */
const commitsBehindOn = (dialect: Dialect) => dialect === 'sqlite';

export interface ArchiveResult {
  /** Entries stored by this call (not those already in the archive). */
  stored: number;
  /** Media downloads queued. */
  mediaQueued: number;
}

/**
 * Writes timeline entries. One transaction per call; every insert skips what exists, so the same
 * event handled twice (a retry, a redelivery, a duplicate from LINE) stores everything once.
 * Messages with text are queued for the search index, which SearchIndexer writes behind.
 * The webhook handler calls it with one entry, the benchmark with thousands: the same path.
 */
@Injectable()
export class ArchiveService {
  private readonly logger = new Logger(ArchiveService.name);
  private readonly dialect: Dialect;

  /** Whether the webhook path hands archiveOne's commit on (PendingWrite) instead of waiting for it. */
  readonly commitsBehind: boolean;
  private readonly batched: GroupCommit<ArchiveEntry, ArchiveResult>;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly indexer: SearchIndexer,
  ) {
    this.dialect = dialectOfSource(ds);
    this.commitsBehind = commitsBehindOn(this.dialect);
    this.batched = new GroupCommit((entries) => this.write(entries), {
      gatherMs: this.commitsBehind ? GATHER_MS : 0,
      maxItems: GATHER_MAX,
    });
  }

  async archive(entries: readonly ArchiveEntry[], now = new Date()): Promise<ArchiveResult> {
    const results = await this.write(entries, now);
    return {
      stored: results.reduce((n, r) => n + r.stored, 0),
      mediaQueued: results.reduce((n, r) => n + r.mediaQueued, 0),
    };
  }

  /**
   * One entry, written in a transaction it shares with the entries submitted within GATHER_MS (by
   * the chats the inbox worker runs at once, and by their next events): a commit per message
   * would cost more than the message.
   */
  archiveOne(entry: ArchiveEntry): Promise<ArchiveResult> {
    return this.batched.submit(entry);
  }

  /** Ends the gathering: what archiveOne queued is written at the end of this turn. */
  commitNow(): void {
    this.batched.writeNow();
  }

  /**
   * Resolves once every entry submitted so far is written or has failed (for reads that must see
   * them): true when all were written.
   */
  settle(): Promise<boolean> {
    return this.batched.settle();
  }

  /** What each entry added, in the order given. */
  private async write(entries: readonly ArchiveEntry[], now = new Date()): Promise<ArchiveResult[]> {
    if (entries.length === 0) return [];
    const archivedAt = toDbTime(this.dialect, now);
    const results = await this.ds.transaction(async (em) => {
      const fresh: Array<{ entry: ArchiveEntry; pk: number; search: string | null }> = [];
      for (const chunk of insertChunks(this.dialect, entries, MESSAGE_CHUNK)) {
        fresh.push(...(await this.insertMessages(em, chunk, archivedAt)));
      }
      // `stored` can count a retry of an insert that committed before a crash; it is informational.
      const added = new Map(entries.map((e) => [e, { stored: 0, mediaQueued: 0 }]));
      const toIndex: number[][] = [];
      const media: unknown[][] = [];
      for (const { entry: e, pk, search } of fresh) {
        const result = added.get(e)!;
        result.stored = 1;
        if (search) toIndex.push([pk]);
        if (e.media) {
          const line = e.media.provider === 'line';
          if (line) result.mediaQueued = 1;
          media.push([
            pk,
            e.messageId,
            e.media.provider,
            line ? 'pending' : 'external',
            line ? archivedAt : null,
            e.media.originalUrl ?? null,
            e.media.previewUrl ?? null,
            archivedAt,
            archivedAt,
          ]);
        }
      }
      for (const rows of insertChunks(this.dialect, toIndex, INDEX_QUEUE_CHUNK)) {
        await em.query(
          `INSERT INTO backup_index_queue (message_pk) VALUES ${placeholders(rows.length, 1)}
           ${onConflictIgnore(this.dialect, 'message_pk')}`,
          rows.flat(),
        );
      }
      for (const rows of insertChunks(this.dialect, media, MESSAGE_CHUNK)) {
        await em.query(
          `INSERT INTO backup_media
             (message_pk, line_message_id, provider, status, next_attempt_at, original_url, preview_url, created_at, updated_at)
           VALUES ${placeholders(rows.length, 9)} ${onConflictIgnore(this.dialect, 'id')}`,
          rows.flat(),
        );
      }
      return entries.map((e) => added.get(e)!);
    });
    if (results.some((r) => r.stored > 0)) this.indexer.wake();
    return results;
  }

  /**
   * Inserts the rows that are not there yet and answers those this call is responsible for indexing:
   * on SQLite the rows it inserted (INSERT ... RETURNING); on MySQL, which cannot return them, rows of
   * these very events whose content was not deleted (a retry after a crash queues them again, which
   * the index's own conflict handling makes harmless).
   */
  private async insertMessages(
    em: EntityManager,
    entries: ArchiveEntry[],
    archivedAt: string | Date,
  ): Promise<Array<{ entry: ArchiveEntry; pk: number; search: string | null }>> {
    const searchTexts = entries.map(searchTextOf);
    const params: unknown[] = [];
    entries.forEach((e, i) => {
      params.push(
        e.channelId,
        e.entryKey,
        e.messageId,
        e.eventId,
        e.type,
        e.userId,
        e.timestamp,
        e.text,
        searchTexts[i],
        e.details ? JSON.stringify(e.details) : null,
        archivedAt,
      );
    });
    const insert = `INSERT INTO backup_messages
         (channel_id, entry_key, message_id, event_id, msg_type, user_id, ts, text_content, search_text, details, archived_at)
       VALUES ${placeholders(entries.length, 11)} ${onConflictIgnore(this.dialect, 'id')}`;
    if (this.dialect === 'sqlite') {
      // A row already there was queued (or left alone) by the transaction that stored it. Saves
      // the look-up below, a read per chunk.
      const inserted: Array<{ id: unknown; entry_key: string }> = await em.query(
        `${insert} RETURNING id, entry_key`,
        params,
      );
      const pkByKey = new Map(inserted.map((r) => [r.entry_key, num(r.id)]));
      return entries.flatMap((entry, i) => {
        const pk = pkByKey.get(entry.entryKey);
        if (pk === undefined) return [];
        // The same key twice in one chunk: the first entry inserted it.
        pkByKey.delete(entry.entryKey);
        return [{ entry, pk, search: searchTexts[i] }];
      });
    }
    await em.query(insert, params);
    const keys = entries.map((e) => e.entryKey);
    const rows: Array<{ id: unknown; entry_key: string; event_id: string; content_deleted_at: unknown }> =
      await em.query(
        `SELECT id, entry_key, event_id, content_deleted_at FROM backup_messages
         WHERE entry_key IN ${inList(keys.length)}`,
        keys,
      );
    const byKey = new Map(rows.map((r) => [r.entry_key, r]));
    const fresh: Array<{ entry: ArchiveEntry; pk: number; search: string | null }> = [];
    entries.forEach((entry, i) => {
      const row = byKey.get(entry.entryKey);
      // Stored by another event (LINE sent the message twice under two webhookEventIds), or its
      // content was deleted on unsend: leave it as it is.
      if (!row || row.event_id !== entry.eventId || row.content_deleted_at) return;
      fresh.push({ entry, pk: num(row.id), search: searchTexts[i] });
    });
    return fresh;
  }

  /**
   * Marks a message unsent at `unsentAt` (kept and flagged). With `keepContent` false its text,
   * fields, search terms and media are deleted; the row stays as a trace that something was unsent.
   * Answers false when the message is not in the archive.
   */
  async markUnsent(
    channelId: string,
    messageId: string,
    unsentAt: number,
    keepContent: boolean,
    now = new Date(),
  ): Promise<boolean> {
    return this.ds.transaction(async (em) => {
      const [row] = await em.query(
        `SELECT id, ts, search_text, content_deleted_at FROM backup_messages
         WHERE entry_key = ? AND channel_id = ? AND message_id IS NOT NULL`,
        [messageId, channelId],
      );
      if (!row) return false;
      await em.query('UPDATE backup_messages SET unsent_at = ? WHERE id = ? AND unsent_at IS NULL', [
        unsentAt,
        row.id,
      ]);
      if (!keepContent && !row.content_deleted_at) {
        await this.deleteFromIndex(em, channelId, [
          { id: num(row.id), ts: num(row.ts), search: row.search_text },
        ]);
        await em.query(
          `UPDATE backup_messages SET text_content = NULL, search_text = NULL, details = NULL, content_deleted_at = ?
           WHERE id = ?`,
          [toDbTime(this.dialect, now), row.id],
        );
        // The blob itself goes with the next retention sweep once nothing refers to it.
        await em.query(
          `UPDATE backup_media SET status = 'deleted', sha256 = NULL, original_url = NULL, preview_url = NULL,
             next_attempt_at = NULL, updated_at = ? WHERE message_pk = ?`,
          [toDbTime(this.dialect, now), row.id],
        );
        this.logger.log({ channelId, messageId }, 'Unsent message content deleted (backup.keepUnsent off)');
      }
      return true;
    });
  }

  /**
   * Removes messages from the search index: their FTS5 documents on SQLite; on MySQL their terms,
   * recomputed from the normalized text they were made from.
   */
  async deleteFromIndex(
    em: EntityManager,
    channelId: string,
    messages: Array<{ id: number; ts: number; search: string | null }>,
  ): Promise<void> {
    const indexed = messages.filter((m): m is typeof m & { search: string } => !!m.search);
    if (this.dialect === 'sqlite') {
      const pks = indexed.map((m) => m.id);
      for (const chunk of chunks(pks, 500)) {
        await em.query(`DELETE FROM backup_message_fts WHERE rowid IN ${inList(chunk.length)}`, chunk);
      }
      return;
    }
    const key = channelKey(channelId);
    for (const m of indexed) {
      for (const termChunk of chunks(indexTerms(m.search), 500)) {
        await em.query(
          `DELETE FROM backup_message_terms
           WHERE channel_key = ? AND term IN ${inList(termChunk.length)} AND ts = ? AND message_pk = ?`,
          [key, ...termChunk, m.ts, m.id],
        );
      }
    }
  }
}

function searchTextOf(e: ArchiveEntry): string | null {
  const text = [e.text, e.searchable].filter((t): t is string => !!t).join(' ');
  const normalized = normalizeText(text);
  return normalized || null;
}
