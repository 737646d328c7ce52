import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ChannelsService } from '../channels/channels.service';
import { ArchiveService } from './archive.service';
import { num } from './db-values';
import { inList } from '../database/statement-chunks';
import { MediaLock } from './media/media-lock';
import { MEDIA_STORE, MediaStore } from './media/media-store';

const DAY_MS = 24 * 3600_000;
/** The first pass runs a while after start-up, then once a day. */
const FIRST_RUN_DELAY_MS = 5 * 60_000;
const DELETE_BATCH = 500;
const SWEEP_BATCH = 500;
/** Content younger than this is never swept: a download may be about to point a row at it. */
const SWEEP_MIN_AGE_MS = 3600_000;

export interface RetentionResult {
  messagesDeleted: number;
  mediaFilesDeleted: number;
}

/**
 * Daily: deletes timeline rows older than each channel's `backup.retentionDays` (with their search
 * terms and media rows), then media content no row refers to any more (also what unsends with
 * `keepUnsent` off left behind).
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RetentionService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly archive: ArchiveService,
    private readonly channels: ChannelsService,
    @Inject(MEDIA_STORE) private readonly store: MediaStore,
    private readonly lock: MediaLock,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(FIRST_RUN_DELAY_MS);
  }

  async onModuleDestroy(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delay: number): void {
    this.timer = setTimeout(() => {
      this.running = this.run()
        .catch((err: unknown) => this.logger.error({ err }, 'Retention pass failed'))
        .finally(() => {
          this.running = undefined;
          if (this.timer) this.schedule(DAY_MS);
        });
    }, delay);
    this.timer.unref();
  }

  async run(now = new Date()): Promise<RetentionResult> {
    let messagesDeleted = 0;
    const channels: Array<{ channel_id: string }> = await this.ds.query(
      'SELECT DISTINCT channel_id FROM backup_messages',
    );
    for (const { channel_id: channelId } of channels) {
      const days = (await this.channels.getConfig(channelId)).backup.retentionDays;
      if (days === null || days === undefined || days <= 0) continue;
      messagesDeleted += await this.deleteOlderThan(channelId, now.getTime() - days * DAY_MS);
    }
    const mediaFilesDeleted = await this.sweepMedia(now);
    if (messagesDeleted > 0 || mediaFilesDeleted > 0) {
      this.logger.log({ messagesDeleted, mediaFilesDeleted }, 'Retention pass done');
    }
    return { messagesDeleted, mediaFilesDeleted };
  }

  /** Deletes the channel's entries with a timestamp before `cutoff` (ms), in batches. */
  async deleteOlderThan(channelId: string, cutoff: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      const rows: Array<{ id: unknown; ts: unknown; search_text: string | null }> = await this.ds.query(
        `SELECT id, ts, search_text FROM backup_messages WHERE channel_id = ? AND ts < ? ORDER BY ts, id LIMIT ?`,
        [channelId, cutoff, DELETE_BATCH],
      );
      if (rows.length === 0) return deleted;
      const ids = rows.map((r) => num(r.id));
      await this.ds.transaction(async (em) => {
        await this.archive.deleteFromIndex(
          em,
          channelId,
          rows.map((r) => ({ id: num(r.id), ts: num(r.ts), search: r.search_text })),
        );
        const marks = inList(ids.length);
        await em.query(`DELETE FROM backup_index_queue WHERE message_pk IN ${marks}`, ids);
        await em.query(`DELETE FROM backup_media WHERE message_pk IN ${marks}`, ids);
        await em.query(`DELETE FROM backup_messages WHERE id IN ${marks}`, ids);
      });
      deleted += rows.length;
      if (rows.length < DELETE_BATCH) return deleted;
    }
  }

  /** Deletes stored content that no media row refers to. */
  async sweepMedia(now = new Date()): Promise<number> {
    return this.lock.run(async () => {
      let deleted = 0;
      let batch: string[] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        const used: Array<{ sha256: string }> = await this.ds.query(
          `SELECT DISTINCT sha256 FROM backup_media WHERE sha256 IN ${inList(batch.length)}`,
          batch,
        );
        const referenced = new Set(used.map((u) => u.sha256));
        for (const sha256 of batch) {
          if (referenced.has(sha256)) continue;
          await this.store.delete(sha256);
          deleted++;
        }
        batch = [];
      };
      for await (const file of this.store.list()) {
        if (now.getTime() - file.modifiedAt.getTime() < SWEEP_MIN_AGE_MS) continue;
        batch.push(file.sha256);
        if (batch.length >= SWEEP_BATCH) await flush();
      }
      await flush();
      return deleted;
    });
  }
}
