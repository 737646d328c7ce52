import type { MessageRow, MessageView } from '../message-row';

export interface ExportChannel {
  channelId: string;
  type: string;
  name: string | null;
}

/** What every writer needs besides the messages. */
export interface ExportContext {
  channel: ExportChannel;
  timezone: string;
  language: string;
  exportedAt: Date;
  from: Date | null;
  to: Date | null;
  /** Media are inside the export (zip): link `media/...` files. */
  withMedia: boolean;
  /** Labels in the channel's language (`backup.<key>`). */
  label: (key: string, params?: Record<string, string | number>) => string;
}

export interface ExportItem {
  row: MessageRow;
  view: MessageView;
  /** Display names of the users a system entry is about. */
  subjectNames: string[];
}

/** Pages of the timeline, oldest first. */
export type ExportPages = AsyncIterable<ExportItem[]>;

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': '.jpg',
  'image/png': '.png',
  'image/gif': '.gif',
  'image/webp': '.webp',
  'image/heic': '.heic',
  'video/mp4': '.mp4',
  'video/quicktime': '.mov',
  'video/webm': '.webm',
  'audio/mp4': '.m4a',
  'audio/x-m4a': '.m4a',
  'audio/aac': '.aac',
  'audio/mpeg': '.mp3',
  'audio/ogg': '.ogg',
  'audio/wav': '.wav',
  'application/pdf': '.pdf',
  'application/zip': '.zip',
  'text/plain': '.txt',
};

/** The file of stored content inside a zip export: the same bytes are one file. */
export function mediaPath(sha256: string, contentType: string | null): string {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return `media/${sha256}${EXTENSIONS[type] ?? '.bin'}`;
}

/** Formats times in the channel's time zone (an unknown zone falls back to Asia/Taipei). */
export class ZonedClock {
  readonly timezone: string;
  private readonly date: Intl.DateTimeFormat;
  private readonly time: Intl.DateTimeFormat;

  constructor(timezone: string) {
    let tz = timezone;
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
    } catch {
      tz = 'Asia/Taipei';
    }
    this.timezone = tz;
    this.date = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    this.time = new Intl.DateTimeFormat('en-GB', {
      timeZone: tz,
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
  }

  /** `2025-01-15` */
  day(ms: number): string {
    return this.date.format(ms);
  }

  /** `16:05:09` */
  clock(ms: number): string {
    return this.time.format(ms);
  }

  /** `2025-01-15 16:05:09` */
  full(ms: number): string {
    return `${this.day(ms)} ${this.clock(ms)}`;
  }
}
