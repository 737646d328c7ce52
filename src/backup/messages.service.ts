import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { BadRequestError } from '../common/errors/domain.errors';
import { MembersService } from '../members/members.service';
import { ContentNotFoundError, MessageNotFoundError, RangeNotSatisfiableError } from './backup.errors';
import { ListMessagesQueryDto } from './dto/list-messages-query.dto';
import { parseByteRange } from './media/byte-range';
import { MediaItem } from './media/media-item.entity';
import { MEDIA_STORE, MediaStore } from './media/media-store';
import { MessageRow, MessageView, toMessageView } from './message-row';
import { planQuery } from './search/terms';
import { Keyset, TimelineFilter, TimelineRepository } from './timeline.repository';

export const DEFAULT_PAGE_SIZE = 50;

export interface MessagesPage {
  messages: MessageView[];
  nextCursor: string | null;
}

export interface ContentResponse {
  status: 200 | 206;
  headers: Record<string, string>;
  stream: Readable;
}

/** Reading the archive: pages of the timeline (filtered, searched) and stored media. */
@Injectable()
export class BackupMessagesService {
  constructor(
    private readonly timeline: TimelineRepository,
    private readonly members: MembersService,
    @InjectRepository(MediaItem) private readonly media: Repository<MediaItem>,
    @Inject(MEDIA_STORE) private readonly store: MediaStore,
  ) {}

  /** Newest first. The cursor is a position, so messages arriving meanwhile never shift a page. */
  async list(channelId: string, query: ListMessagesQueryDto): Promise<MessagesPage> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    if (query.after && query.before && Date.parse(query.after) >= Date.parse(query.before)) {
      throw new BadRequestError('after must be before before');
    }
    const filter: TimelineFilter = {
      channelId,
      ...(query.after ? { fromTs: new Date(query.after).getTime() + 1 } : {}),
      ...(query.before ? { toTs: new Date(query.before).getTime() } : {}),
      ...(query.userId ? { userId: query.userId } : {}),
      ...(query.type ? { type: query.type } : {}),
    };
    const before = query.cursor ? decodeCursor(query.cursor) : undefined;
    let rows: MessageRow[];
    if (query.q !== undefined) {
      const plan = planQuery(query.q);
      if (!plan) throw new BadRequestError('q must contain something to search for');
      rows = await this.timeline.search(filter, plan, limit + 1, before);
    } else {
      rows = await this.timeline.newestFirst(filter, limit + 1, before);
    }
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const names = await this.namesFor(channelId, page);
    const last = page[page.length - 1];
    return {
      messages: page.map((r) => toMessageView(r, names)),
      nextCursor: more ? encodeCursor({ ts: last.timestamp, pk: last.pk }) : null,
    };
  }

  async namesFor(channelId: string, rows: readonly MessageRow[]): Promise<Map<string, string>> {
    const ids = new Set<string>();
    for (const r of rows) {
      if (r.userId) ids.add(r.userId);
      const userIds = r.details?.userIds;
      if (Array.isArray(userIds)) for (const id of userIds) if (typeof id === 'string') ids.add(id);
    }
    return ids.size > 0 ? this.members.displayNames(channelId, [...ids]) : new Map();
  }

  /** A stored media message's bytes, whole or one range of them. */
  async content(channelId: string, messageId: string, rangeHeader?: string): Promise<ContentResponse> {
    const item = await this.media
      .createQueryBuilder('md')
      .innerJoin('backup_messages', 'm', 'm.id = md.message_pk')
      .where('m.channel_id = :channelId AND m.entry_key = :messageId', { channelId, messageId })
      .getOne();
    if (!item) {
      const exists = await this.timeline.exists(channelId, messageId);
      throw exists ? new ContentNotFoundError() : new MessageNotFoundError();
    }
    if (item.status !== 'stored' || !item.sha256) throw new ContentNotFoundError();
    const size = await this.store.size(item.sha256);
    if (size === null) throw new ContentNotFoundError();
    const range = parseByteRange(rangeHeader, size);
    if (range === 'unsatisfiable') throw new RangeNotSatisfiableError();
    const headers: Record<string, string> = {
      'content-type': item.contentType ?? 'application/octet-stream',
      'accept-ranges': 'bytes',
      etag: `"${item.sha256}"`,
      'cache-control': 'private, max-age=31536000, immutable',
      // Content comes from chat users: never let a browser run it on this origin.
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'content-length': String(range ? range.end - range.start + 1 : size),
    };
    if (range) headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
    return { status: range ? 206 : 200, headers, stream: await this.store.open(item.sha256, range) };
  }
}

export function encodeCursor(k: Keyset): string {
  return Buffer.from(`${k.ts}.${k.pk}`).toString('base64url');
}

export function decodeCursor(cursor: string): Keyset {
  const m = /^(\d{1,16})\.(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new BadRequestError('Invalid cursor');
  return { ts: Number(m[1]), pk: Number(m[2]) };
}
