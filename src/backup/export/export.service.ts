import { Readable } from 'node:stream';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Archiver, ZipEntryData } from 'archiver';
import { AuditService } from '../../audit/audit.service';
import { ChannelsService } from '../../channels/channels.service';
import { BadRequestError, ChannelNotFoundError } from '../../common/errors/domain.errors';
import { I18nService } from '../../i18n/i18n.service';
import { ExportFormat } from '../dto/export-query.dto';
import { MEDIA_STORE, MediaStore } from '../media/media-store';
import { toMessageView } from '../message-row';
import { BackupMessagesService } from '../messages.service';
import { TimelineFilter, TimelineRepository } from '../timeline.repository';
import { csvExport } from './csv-export';
import { ExportContext, ExportItem, ExportPages, mediaPath } from './export-context';
import { htmlExport } from './html-export';
import { jsonExport } from './json-export';
import { createZip } from './zip-archive';

/** Rows read from the database at a time: memory stays the same whatever the export's size. */
export const EXPORT_PAGE_SIZE = 1000;
const MEDIA_PAGE_SIZE = 500;
/** Display names kept while exporting; past this the cache starts over (a very large chat). */
const NAME_CACHE_LIMIT = 20_000;

export interface ExportRequest {
  channelId: string;
  /** Who asks, for the audit log. */
  actor: string;
  format: ExportFormat;
  from?: Date;
  to?: Date;
}

export interface ExportDownload {
  contentType: string;
  filename: string;
  stream: Readable;
}

const TYPES: Record<ExportFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
  zip: 'application/zip',
};

/**
 * Exports a channel's archive as JSON, CSV, HTML or a zip of HTML + JSON + media. Everything is
 * streamed: pages of the timeline are read with keyset pagination as the client reads, so memory
 * stays flat for any size. Every export is written to the audit log before the first byte.
 */
@Injectable()
export class ExportService {
  private readonly logger = new Logger(ExportService.name);

  constructor(
    private readonly timeline: TimelineRepository,
    private readonly messages: BackupMessagesService,
    private readonly channels: ChannelsService,
    private readonly audit: AuditService,
    private readonly i18n: I18nService,
    @Inject(MEDIA_STORE) private readonly store: MediaStore,
  ) {}

  async export(req: ExportRequest, exportedAt = new Date()): Promise<ExportDownload> {
    if (req.from && req.to && req.from.getTime() >= req.to.getTime()) {
      throw new BadRequestError('from must be before to');
    }
    const channel = await this.channels.get(req.channelId);
    if (!channel) throw new ChannelNotFoundError();
    const config = await this.channels.getConfig(req.channelId);
    const filter: TimelineFilter = {
      channelId: req.channelId,
      ...(req.from ? { fromTs: req.from.getTime() } : {}),
      ...(req.to ? { toTs: req.to.getTime() } : {}),
    };
    const ctx: ExportContext = {
      channel: { channelId: channel.channelId, type: channel.type, name: channel.name },
      timezone: config.timezone,
      language: config.language,
      exportedAt,
      from: req.from ?? null,
      to: req.to ?? null,
      withMedia: req.format === 'zip',
      label: (key, params) => this.i18n.t(config.language, `backup.${key}`, params),
    };
    await this.audit.record({
      channelId: req.channelId,
      actor: req.actor,
      action: 'backup.export',
      after: { format: req.format, from: ctx.from?.toISOString() ?? null, to: ctx.to?.toISOString() ?? null },
    });
    this.logger.log({ channelId: req.channelId, format: req.format }, 'Export started');
    const pages = () => this.pages(filter);
    const stamp = exportedAt.toISOString().slice(0, 10).replace(/-/g, '');
    const filename = `line-backup-${req.channelId}-${stamp}.${req.format}`;
    const stream =
      req.format === 'zip'
        ? this.zip(ctx, filter)
        : Readable.from(this.writer(req.format)(ctx, pages()), { objectMode: false });
    return { contentType: TYPES[req.format], filename, stream };
  }

  private writer(format: Exclude<ExportFormat, 'zip'>) {
    return format === 'json' ? jsonExport : format === 'csv' ? csvExport : htmlExport;
  }

  /** The timeline oldest first, a page at a time, with display names. */
  async *pages(filter: TimelineFilter): ExportPages {
    const names = new Map<string, string>();
    let after: { ts: number; pk: number } | undefined;
    for (;;) {
      const rows = await this.timeline.oldestFirst(filter, EXPORT_PAGE_SIZE, after);
      if (rows.length === 0) return;
      const unknown = rows.filter(
        (r) => (r.userId && !names.has(r.userId)) || Array.isArray(r.details?.userIds),
      );
      if (unknown.length > 0) {
        if (names.size > NAME_CACHE_LIMIT) names.clear();
        for (const [id, name] of await this.messages.namesFor(filter.channelId, unknown)) names.set(id, name);
      }
      yield rows.map((row): ExportItem => {
        const subjects = Array.isArray(row.details?.userIds) ? (row.details.userIds as string[]) : [];
        return {
          row,
          view: toMessageView(row, names),
          subjectNames: subjects.map((id) => names.get(id) ?? id),
        };
      });
      if (rows.length < EXPORT_PAGE_SIZE) return;
      const last = rows[rows.length - 1];
      after = { ts: last.timestamp, pk: last.pk };
    }
  }

  /** chat.html and messages.json, then every stored media file once, linked from both. */
  private zip(ctx: ExportContext, filter: TimelineFilter): Readable {
    const zip = createZip({ zlib: { level: 6 } });
    const run = async () => {
      await appendEntry(zip, Readable.from(htmlExport(ctx, this.pages(filter)), { objectMode: false }), {
        name: 'chat.html',
      });
      await appendEntry(zip, Readable.from(jsonExport(ctx, this.pages(filter)), { objectMode: false }), {
        name: 'messages.json',
      });
      let after: { sha256: string; contentType: string } | undefined;
      let lastPath = '';
      for (;;) {
        const batch = await this.timeline.storedMedia(filter, MEDIA_PAGE_SIZE, after);
        for (const item of batch) {
          const path = mediaPath(item.sha256, item.contentType);
          if (path === lastPath) continue;
          lastPath = path;
          const source = await this.store.open(item.sha256).catch(() => null);
          if (!source) {
            this.logger.warn(
              { channelId: filter.channelId, sha256: item.sha256 },
              'Stored media missing from the store',
            );
            continue;
          }
          await appendEntry(zip, source, { name: path, store: true });
        }
        if (batch.length < MEDIA_PAGE_SIZE) break;
        after = batch[batch.length - 1];
      }
      await zip.finalize();
    };
    run().catch((err: unknown) => {
      this.logger.error({ err, channelId: filter.channelId }, 'Zip export failed');
      zip.destroy(err instanceof Error ? err : new Error(String(err)));
    });
    return zip;
  }
}

/** Appends one entry and waits until archiver has written it, so only one source is open at a time. */
function appendEntry(zip: Archiver, source: Readable, data: ZipEntryData): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onEntry = () => {
      zip.off('error', onError);
      resolve();
    };
    const onError = (err: Error) => {
      zip.off('entry', onEntry);
      reject(err);
    };
    zip.once('entry', onEntry);
    zip.once('error', onError);
    zip.append(source, data);
  });
}
