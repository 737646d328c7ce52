import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { yieldToEventLoop } from '../../common/yield-to-event-loop';
import { Dialect } from '../../database/columns';
import { inList, insertChunks } from '../../database/statement-chunks';
import { dialectOfSource, num, onConflictIgnore, placeholders } from '../db-values';
import { channelKey, ftsWords, indexTerms } from './terms';

interface QueuedMessage {
  id: unknown;
  channel_id: string;
  ts: unknown;
  search_text: string | null;
}
type IndexedMessage = QueuedMessage & { search_text: string };

/**
 * Messages per transaction. The more a transaction indexes, the fewer pages it writes per message
 * (MySQL: the postings of one chat and term share a page of the term table; SQLite: one FTS5
 * segment per transaction); on SQLite a transaction also holds the one connection (webhooks wait
 * behind it), which caps it.
 */
const BATCH = 400;
/** Term rows per INSERT on MySQL, where each is a round trip: few and large. */
const TERM_CHUNK = 1024;
/** Documents per INSERT on SQLite, each on the event loop after a turn of it. */
const FTS_CHUNK = 100;
/** After a wake, wait this long so that the messages archived meanwhile share the batch. */
const GATHER_MS = 100;
const RETRY_MS = 1000;

/**
 * Writes the search index of archived messages behind the archive. ArchiveService queues each new
 * message with text (backup_index_queue) in the transaction that stores it; this takes the queue
 * in order, in batches, and writes their index entries and removes them from the queue in one
 * transaction. A crash leaves the rest queued; start-up resumes it. Searches read the queued
 * messages directly (TimelineRepository), so a message is found from the moment it is archived.
 */
@Injectable()
export class SearchIndexer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SearchIndexer.name);
  private readonly dialect: Dialect;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** Woken while a run was under way: that run may have read the queue before the new rows. */
  private wokenWhileRunning = false;
  /** Not woken before start-up (a bench or a test drives it) nor after shutdown. */
  private stopped = true;
  private closing = false;

  constructor(@InjectDataSource() private readonly ds: DataSource) {
    this.dialect = dialectOfSource(ds);
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.wake();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.closing = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Messages were queued: index them shortly, with whatever else is queued by then. */
  wake(delayMs = GATHER_MS): void {
    if (this.stopped) return;
    if (this.running) {
      this.wokenWhileRunning = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.indexQueued()
        .then(() => undefined)
        .catch((err: unknown) => {
          this.logger.error({ err }, 'Search indexing failed; will retry');
          return 'failed' as const;
        })
        .then((outcome) => {
          this.running = undefined;
          const woken = this.wokenWhileRunning;
          this.wokenWhileRunning = false;
          if (outcome === 'failed') this.wake(RETRY_MS);
          else if (woken) this.wake();
        });
    }, delayMs);
    this.timer.unref();
  }

  /**
   * Indexes everything queued, batch after batch; answers how many messages were taken. A bulk
   * import, where no webhook waits, may take larger batches.
   */
  async indexQueued(batch = BATCH): Promise<number> {
    let total = 0;
    for (;;) {
      const taken = await this.indexBatch(batch);
      total += taken;
      if (taken < batch || this.closing) return total;
      // Let webhooks and the inbox have the connection between batches.
      await yieldToEventLoop();
    }
  }

  private async indexBatch(batch: number): Promise<number> {
    return this.ds.transaction(async (em) => {
      const pks: number[] = (
        await em.query(
          `SELECT message_pk FROM backup_index_queue ORDER BY message_pk LIMIT ${Math.trunc(batch)}`,
        )
      ).map((r: { message_pk: unknown }) => num(r.message_pk));
      if (pks.length === 0) return 0;
      // Locked on MySQL: an unsend or a retention pass that changes one of these messages waits for
      // this transaction, and then deletes the terms it wrote, or this reads what they left.
      const rows: QueuedMessage[] = await em.query(
        `SELECT id, channel_id, ts, search_text FROM backup_messages WHERE id IN ${inList(pks.length)}
           ${this.dialect === 'mysql' ? 'FOR UPDATE' : ''}`,
        pks,
      );
      // A message deleted (retention) or emptied (unsend) since it was queued has nothing to index.
      const messages = rows.filter((m): m is IndexedMessage => !!m.search_text);
      if (this.dialect === 'sqlite') {
        await this.writeFts(em, messages);
        // One writer at a time: what this transaction read is exactly the queue up to its last pk.
        await em.query('DELETE FROM backup_index_queue WHERE message_pk <= ?', [pks[pks.length - 1]]);
      } else {
        await this.writeTerms(em, messages);
        // Concurrent archive transactions may commit a lower pk later: delete only what was read.
        await em.query(`DELETE FROM backup_index_queue WHERE message_pk IN ${inList(pks.length)}`, pks);
      }
      return pks.length;
    });
  }

  /** SQLite: one FTS5 document per message, rowid = its pk. */
  private async writeFts(em: EntityManager, messages: IndexedMessage[]): Promise<void> {
    const keys = new Map<string, number>();
    const docs = messages.map((m) => [
      num(m.id),
      ftsWords(this.keyOf(keys, m.channel_id), indexTerms(m.search_text)),
    ]);
    for (const rows of insertChunks(this.dialect, docs, FTS_CHUNK)) {
      // A turn of the event loop between the steps of a batch, so that requests are read meanwhile.
      await yieldToEventLoop();
      // OR REPLACE: a second plain insert of a rowid would leave postings a delete cannot remove.
      await em.query(
        `INSERT OR REPLACE INTO backup_message_fts (rowid, terms) VALUES ${placeholders(rows.length, 2)}`,
        rows.flat(),
      );
    }
  }

  /** MySQL: one row per (chat, term, message) in the term table, in key order. */
  private async writeTerms(em: EntityManager, messages: IndexedMessage[]): Promise<void> {
    const terms: number[][] = [];
    const keys = new Map<string, number>();
    for (const m of messages) {
      const key = this.keyOf(keys, m.channel_id);
      const pk = num(m.id);
      const ts = num(m.ts);
      for (const term of indexTerms(m.search_text)) terms.push([key, term, ts, pk]);
    }
    // In key order: consecutive inserts land on the same pages.
    terms.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2] || a[3] - b[3]);
    for (const rows of insertChunks(this.dialect, terms, TERM_CHUNK)) {
      await em.query(
        `INSERT INTO backup_message_terms (channel_key, term, ts, message_pk)
         VALUES ${placeholders(rows.length, 4)} ${onConflictIgnore(this.dialect, 'term')}`,
        rows.flat(),
      );
    }
  }

  /** A hash per chat, not per message: a batch holds runs of a few chats' messages. */
  private keyOf(keys: Map<string, number>, channelId: string): number {
    let key = keys.get(channelId);
    if (key === undefined) keys.set(channelId, (key = channelKey(channelId)));
    return key;
  }
}
