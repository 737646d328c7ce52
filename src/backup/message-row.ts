import { fromDbTime } from '../database/db-time';
import { num, numOrNull } from './db-values';

/** The columns every read of the timeline selects (messages joined with their media). */
export const MESSAGE_COLUMNS = `m.id, m.channel_id, m.message_id, m.msg_type, m.user_id, m.ts, m.text_content, m.details,
  m.unsent_at, m.content_deleted_at, md.status AS media_status, md.size AS media_size,
  md.content_type AS media_content_type, md.sha256 AS media_sha256, md.original_url AS media_original_url,
  md.preview_url AS media_preview_url, md.last_error AS media_error`;

export const MEDIA_JOIN = 'LEFT JOIN backup_media md ON md.message_pk = m.id';

export type MediaStatus = 'pending' | 'stored' | 'failed' | 'external' | 'deleted';

export interface MessageRow {
  pk: number;
  channelId: string;
  messageId: string | null;
  type: string;
  userId: string | null;
  timestamp: number;
  text: string | null;
  details: Record<string, unknown> | null;
  unsentAt: number | null;
  contentDeleted: boolean;
  media: {
    status: MediaStatus;
    size: number | null;
    contentType: string | null;
    sha256: string | null;
    originalUrl: string | null;
    previewUrl: string | null;
    error: string | null;
  } | null;
}

export function toMessageRow(r: Record<string, unknown>): MessageRow {
  return {
    pk: num(r.id),
    channelId: String(r.channel_id),
    messageId: (r.message_id as string | null) ?? null,
    type: String(r.msg_type),
    userId: (r.user_id as string | null) ?? null,
    timestamp: num(r.ts),
    text: (r.text_content as string | null) ?? null,
    details: r.details ? (JSON.parse(String(r.details)) as Record<string, unknown>) : null,
    unsentAt: numOrNull(r.unsent_at),
    contentDeleted: fromDbTime(r.content_deleted_at) !== null,
    media: r.media_status
      ? {
          status: r.media_status as MediaStatus,
          size: numOrNull(r.media_size),
          contentType: (r.media_content_type as string | null) ?? null,
          sha256: (r.media_sha256 as string | null) ?? null,
          originalUrl: (r.media_original_url as string | null) ?? null,
          previewUrl: (r.media_preview_url as string | null) ?? null,
          error: (r.media_error as string | null) ?? null,
        }
      : null,
  };
}

/** A message as the API and the exports show it. */
export interface MessageView {
  messageId: string | null;
  userId: string | null;
  displayName: string | null;
  type: string;
  timestamp: string;
  text?: string;
  content?: {
    status: MediaStatus;
    contentType?: string;
    size?: number;
    sha256?: string;
    originalContentUrl?: string;
    previewImageUrl?: string;
    /** Why the download failed for good (status `failed`). */
    error?: string;
  };
  unsentAt?: string;
  [field: string]: unknown;
}

export function toMessageView(row: MessageRow, names: ReadonlyMap<string, string>): MessageView {
  const view: MessageView = {
    messageId: row.messageId,
    userId: row.userId,
    displayName: row.userId ? (names.get(row.userId) ?? null) : null,
    type: row.type,
    timestamp: new Date(row.timestamp).toISOString(),
    ...(row.type === 'text' && row.text !== null ? { text: row.text } : {}),
    ...(row.details ?? {}),
  };
  if (row.media) {
    const m = row.media;
    view.content = {
      status: m.status,
      ...(m.contentType ? { contentType: m.contentType } : {}),
      ...(m.size !== null ? { size: m.size } : {}),
      ...(m.sha256 ? { sha256: m.sha256 } : {}),
      ...(m.originalUrl ? { originalContentUrl: m.originalUrl } : {}),
      ...(m.previewUrl ? { previewImageUrl: m.previewUrl } : {}),
      ...(m.status === 'failed' && m.error ? { error: m.error } : {}),
    };
  }
  if (row.unsentAt !== null) view.unsentAt = new Date(row.unsentAt).toISOString();
  return view;
}
