import { Readable, Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { LessThanOrEqual, Repository } from 'typeorm';
import type { BackupSettings, Settings } from '../../config/settings';
import { LineApiError } from '../../line/line-api.error';
import { LineClient } from '../../line/line-client.service';
import { MediaItem } from './media-item.entity';
import { MediaLock } from './media-lock';
import { MEDIA_STORE, MediaStore } from './media-store';

const BATCH = 20;
/** Without a signal, due retries are looked for at least this often. */
const MAX_IDLE_MS = 60_000;
const SHUTDOWN_GRACE_MS = 3000;

/** Delay before attempt `attempt + 1`: base, doubled per attempt, capped. */
export function mediaRetryDelayMs(
  attempt: number,
  settings: Pick<BackupSettings, 'mediaRetryBaseMs' | 'mediaRetryMaxMs'>,
): number {
  return Math.min(settings.mediaRetryBaseMs * 2 ** Math.max(0, attempt - 1), settings.mediaRetryMaxMs);
}

/**
 * Downloads media content from LINE into the media store, off the webhook's path: the archive
 * handler only records a `pending` row (durably, with the message), and this worker drains those
 * rows, also after a restart. Not ready yet (202), 404, 5xx and timeouts are retried with backoff
 * up to `BACKUP_MEDIA_MAX_ATTEMPTS`, then the row is marked `failed` with the last error; the
 * message row is never touched.
 */
@Injectable()
export class MediaFetcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(MediaFetcher.name);
  private readonly settings: BackupSettings;
  private readonly idleTimeoutMs: number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = true;
  private readonly inFlight = new Set<Readable>();

  constructor(
    @InjectRepository(MediaItem) private readonly items: Repository<MediaItem>,
    @Inject(MEDIA_STORE) private readonly store: MediaStore,
    private readonly line: LineClient,
    private readonly lock: MediaLock,
    config: ConfigService<Settings, true>,
  ) {
    this.settings = config.get('backup', { infer: true });
    this.idleTimeoutMs = config.get('line', { infer: true }).timeoutMs;
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.wake();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const stream of this.inFlight) stream.destroy(new Error('Shutting down'));
    // A LINE call may still be waiting on its timeout: what is unfinished resumes on the next start.
    await Promise.race([this.running, sleep(SHUTDOWN_GRACE_MS, undefined, { ref: false })]);
  }

  /** New work was recorded: look now rather than at the next poll. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.drain()
      .catch((err: unknown) => this.logger.error({ err }, 'Media fetcher pass failed'))
      .then(() => this.scheduleNext())
      .catch((err: unknown) => {
        this.logger.error({ err }, 'Media fetcher could not schedule');
        this.later(MAX_IDLE_MS);
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      const due = await this.items.find({
        where: { status: 'pending', nextAttemptAt: LessThanOrEqual(new Date()) },
        order: { nextAttemptAt: 'ASC', id: 'ASC' },
        take: BATCH,
      });
      if (due.length === 0) return;
      for (const item of due) {
        if (this.stopped) return;
        await this.fetch(item);
      }
    }
  }

  private async scheduleNext(): Promise<void> {
    if (this.stopped) return;
    const next = await this.items.findOne({ where: { status: 'pending' }, order: { nextAttemptAt: 'ASC' } });
    const wait = next?.nextAttemptAt ? next.nextAttemptAt.getTime() - Date.now() : MAX_IDLE_MS;
    this.later(Math.min(Math.max(wait, 0), MAX_IDLE_MS));
  }

  private later(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), ms);
    this.timer.unref();
  }

  /** One download attempt of one item. */
  async fetch(item: MediaItem): Promise<void> {
    const attempt = item.attempts + 1;
    let error: string;
    try {
      const content = await this.line.getMessageContent(item.lineMessageId);
      if (content.status === 'ready') {
        const source = withIdleTimeout(content.stream, this.idleTimeoutMs);
        this.inFlight.add(source);
        try {
          await this.lock.run(async () => {
            const stored = await this.store.put(source, { expectedSize: content.contentLength });
            // Only a row still waiting: an unsend may have deleted it meanwhile.
            await this.items.update(
              { id: item.id, status: 'pending' },
              {
                status: 'stored',
                attempts: attempt,
                sha256: stored.sha256,
                size: stored.size,
                contentType: content.contentType,
                nextAttemptAt: null,
                lastError: null,
                updatedAt: new Date(),
              },
            );
          });
        } finally {
          this.inFlight.delete(source);
        }
        this.logger.debug({ mediaId: item.id, attempt }, 'Media stored');
        return;
      }
      error = 'Not ready yet (202)';
    } catch (err) {
      if (this.stopped) return; // a download cut by shutdown is not a failed attempt
      error = describe(err);
    }
    await this.failed(item, attempt, error);
  }

  private async failed(item: MediaItem, attempt: number, error: string): Promise<void> {
    const giveUp = attempt >= this.settings.mediaMaxAttempts;
    const next = giveUp ? null : new Date(Date.now() + mediaRetryDelayMs(attempt, this.settings));
    await this.items.update(
      { id: item.id, status: 'pending' },
      {
        status: giveUp ? 'failed' : 'pending',
        attempts: attempt,
        nextAttemptAt: next,
        lastError: error.slice(0, 500),
        updatedAt: new Date(),
      },
    );
    const log = { mediaId: item.id, attempt, error };
    if (giveUp) this.logger.warn(log, 'Media download failed for good');
    else this.logger.debug(log, 'Media download failed; will retry');
  }
}

function describe(err: unknown): string {
  if (err instanceof LineApiError)
    return err.status === 0
      ? `Network: ${err.message}`
      : `HTTP ${err.status}${err.lineMessage ? ` ${err.lineMessage}` : ''}`;
  return err instanceof Error ? err.message : String(err);
}

/** Passes the bytes through, failing when none arrive for `ms` (a stalled download). */
function withIdleTimeout(source: Readable, ms: number): Readable {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      arm();
      done(null, chunk);
    },
    flush(done) {
      clearTimeout(timer);
      done();
    },
    destroy(err, done) {
      clearTimeout(timer);
      source.destroy();
      done(err);
    },
  });
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => guard.destroy(new Error(`Download stalled for ${ms} ms`)), ms);
  };
  source.on('error', (err) => guard.destroy(err));
  arm();
  source.pipe(guard);
  return guard;
}
