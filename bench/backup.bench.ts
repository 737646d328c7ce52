/**
 * npm run bench:backup [-- --messages 1000000 --channels 100 --big 200000 --queries 200 --batch 10000
 *                         --db sqlite|mysql://user@host/db --dir <data dir> --keep --search-only]
 *
 * Archives generated text messages across channels through the archive's own batch path (the one
 * the webhook handler calls with a single entry), then measures: insert rate; search latency
 * (p50/p99) for a 2-character Chinese query and an English word; time and peak RSS of exporting the
 * largest channel as JSON, CSV and HTML, each in a fresh child process so its peak is the export's.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataSource } from 'typeorm';
import { percentile } from './percentile';
import type { ArchiveEntry } from '../src/backup/archive-entry';
import { ArchiveService } from '../src/backup/archive.service';
import { ExportService } from '../src/backup/export/export.service';
import { LocalMediaStore } from '../src/backup/media/local-media-store';
import { BackupMessagesService } from '../src/backup/messages.service';
import { SearchIndexer } from '../src/backup/search/search-indexer';
import { TimelineRepository } from '../src/backup/timeline.repository';
import { defaultChannelConfig } from '../src/channels/channel-config';
import { loadSettings } from '../src/config/settings';
import { dataSourceOptions } from '../src/database/data-source-options';
import { I18nService } from '../src/i18n/i18n.service';

interface Options {
  messages: number;
  channels: number;
  big: number;
  queries: number;
  batch: number;
  db: string;
  dir: string;
  keep: boolean;
  /** Only the searches, on what a run with --keep (and the same options) left in --dir: two builds, one chat. */
  searchOnly: boolean;
}

function options(argv: string[]): Options & { child?: { format: string; channel: string } } {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const n = (name: string, fallback: number) => Number((get(name) ?? String(fallback)).replace(/_/g, ''));
  const messages = n('messages', 1_000_000);
  return {
    messages,
    channels: n('channels', 100),
    big: Math.min(n('big', 200_000), messages),
    queries: n('queries', 200),
    batch: n('batch', 10_000),
    db: get('db') ?? 'sqlite',
    dir: get('dir') ?? mkdtempSync(join(tmpdir(), 'lgm-bench-')),
    keep: argv.includes('--keep') || argv.includes('--search-only'),
    searchOnly: argv.includes('--search-only'),
    ...(get('export-child') ? { child: { format: get('export-child')!, channel: get('channel')! } } : {}),
  };
}

// ---- generated chat --------------------------------------------------------------------------

/** Deterministic PRNG (mulberry32) so every run archives the same chat. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ZH = (
  '會議 明天 下午 野餐 時間 今天 大家 記得 帶 吃飯 老師 作業 報告 週末 電影 天氣 好 謝謝 可以 什麼 我們 你們 已經 ' +
  '開始 結束 地點 台北 高雄 車站 便當 飲料 照片 影片 生日 快樂 加油 辛苦了 晚安 早安 收到 問題 練習 比賽 回家 上班 ' +
  '下班 捷運 公車 咖啡 蛋糕 禮物 旅行 訂位 餐廳 哈哈 真的 不行 沒問題 等一下'
).split(' ');
const JA = 'ピクニック 会議 明日 楽しみ です ます ありがとう よろしく 時間 駅 東京 ランチ 写真 週末'.split(
  ' ',
);
const EN =
  'meeting tomorrow lunch picnic ok thanks see you at the station photo birthday happy deadline report weekend movie'.split(
    ' ',
  );
const TH = 'ประชุม พรุ่งนี้ ปิกนิก ขอบคุณ ครับ ค่ะ กินข้าว เจอกัน'.split(' ');

function sentence(r: () => number): string {
  const pick = (words: string[]) => words[Math.floor(r() * words.length)];
  const len = 3 + Math.floor(r() * 8);
  const lang = r();
  const words = Array.from({ length: len }, () =>
    pick(lang < 0.7 ? ZH : lang < 0.8 ? JA : lang < 0.9 ? TH : EN),
  );
  const joined = lang < 0.8 ? words.join('') : words.join(' ');
  return r() < 0.3 ? `${joined}${lang < 0.8 ? '!' : '?'}` : joined;
}

const channelId = (i: number) => `C${i.toString(16).padStart(32, '0')}`;
const userId = (i: number) => `U${(i + 1).toString(16).padStart(32, '0')}`;

// ---- helpers ---------------------------------------------------------------------------------

async function openDb(o: Options): Promise<DataSource> {
  const settings = loadSettings({
    DATA_DIR: o.dir,
    ...(o.db === 'sqlite' ? {} : { DATABASE_URL: o.db }),
    JWT_SECRET: 'bench-secret-0123456789abcdef',
  });
  const ds = new DataSource(dataSourceOptions(settings.database));
  await ds.initialize();
  return ds;
}

const ms = (ns: bigint) => Number(ns) / 1e6;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

function services(ds: DataSource, dir: string) {
  const timeline = new TimelineRepository(ds);
  const members = {
    displayNames: async (_c: string, ids: string[]) =>
      new Map(ids.map((id) => [id, `Member ${id.slice(-4)}`])),
  };
  const store = new LocalMediaStore(join(dir, 'media'));
  const messages = new BackupMessagesService(timeline, members as never, null as never, store);
  const channels = {
    get: async (id: string) => ({ channelId: id, type: 'group', name: `Bench ${id.slice(-4)}` }),
    getConfig: async () => defaultChannelConfig('zh-TW'),
  };
  const audit = { record: async () => undefined };
  const exports = new ExportService(
    timeline,
    messages,
    channels as never,
    audit as never,
    new I18nService(),
    store,
  );
  return { messages, exports };
}

// ---- phases ----------------------------------------------------------------------------------

async function insert(ds: DataSource, o: Options): Promise<void> {
  const indexer = new SearchIndexer(ds);
  const archive = new ArchiveService(ds, indexer);
  const r = rng(42);
  const others = o.channels - 1;
  const start = Date.parse('2024-01-01T00:00:00Z');
  const perChannel = new Array<number>(o.channels).fill(0);
  let made = 0;
  const t0 = process.hrtime.bigint();
  let lastReport = t0;
  while (made < o.messages) {
    const entries: ArchiveEntry[] = [];
    for (let i = 0; i < o.batch && made < o.messages; i++, made++) {
      // Channel 0 gets `big` messages, spread evenly through the run; the rest share the others.
      const c =
        others === 0 ||
        Math.floor(((made + 1) * o.big) / o.messages) > Math.floor((made * o.big) / o.messages)
          ? 0
          : 1 + (made % others);
      const n = perChannel[c]++;
      const id = String(700_000_000_000_000 + made);
      entries.push({
        channelId: channelId(c),
        entryKey: id,
        messageId: id,
        eventId: `bench-${made}`,
        type: 'text',
        userId: userId(Math.floor(r() * 50)),
        timestamp: start + n * 15_000 + Math.floor(r() * 1000),
        text: sentence(r),
        searchable: null,
        details: null,
        media: null,
      });
    }
    await archive.archive(entries);
    // The search index is written behind the archive: measured with it, in batches of the same size.
    await indexer.indexQueued(o.batch);
    const now = process.hrtime.bigint();
    if (ms(now - lastReport) > 10_000) {
      lastReport = now;
      console.log(
        `  ${made.toLocaleString('en')} archived, ${Math.round(made / (ms(now - t0) / 1000)).toLocaleString('en')}/s`,
      );
    }
  }
  const seconds = ms(process.hrtime.bigint() - t0) / 1000;
  const [{ n: entries }] = await ds.query(
    o.db === 'sqlite'
      ? 'SELECT COUNT(*) AS n FROM backup_message_fts'
      : 'SELECT COUNT(*) AS n FROM backup_message_terms',
  );
  const unit = o.db === 'sqlite' ? 'index documents' : 'index terms';
  console.log(
    `insert: ${o.messages.toLocaleString('en')} messages (${Number(entries).toLocaleString('en')} ${unit}) in ${seconds.toFixed(1)} s = ${Math.round(o.messages / seconds).toLocaleString('en')} messages/s`,
  );
  console.log(`  largest channel ${channelId(0)}: ${perChannel[0].toLocaleString('en')} messages`);
  if (o.db === 'sqlite') {
    await ds.query('PRAGMA wal_checkpoint(TRUNCATE)');
    console.log(`  SQLite file: ${mb(statSync(join(o.dir, 'line-group-manager.sqlite')).size)}`);
  }
}

async function search(ds: DataSource, o: Options): Promise<void> {
  const { messages } = services(ds, o.dir);
  const r = rng(7);
  // The last: words that are each frequent but never in one message (the index's worst case).
  for (const q of ['會議', '野餐', 'meeting', '生日快樂', '會', 'meeting 會議']) {
    const times: number[] = [];
    let hits = 0;
    for (let i = 0; i < o.queries; i++) {
      // Half of the searches in the largest channel, the rest anywhere.
      const c = i % 2 === 0 ? 0 : Math.floor(r() * o.channels);
      const t0 = process.hrtime.bigint();
      const page = await messages.list(channelId(c), { q, limit: 50 });
      times.push(ms(process.hrtime.bigint() - t0));
      hits += page.messages.length;
    }
    times.sort((a, b) => a - b);
    console.log(
      `search "${q}": p50 ${percentile(times, 0.5).toFixed(1)} ms, p99 ${percentile(times, 0.99).toFixed(1)} ms, max ${times[times.length - 1].toFixed(1)} ms (${o.queries} searches, ${(hits / o.queries).toFixed(0)} results/page)`,
    );
  }
}

/** In a child process: one export of one channel to a sink that only counts. */
async function exportChild(o: Options, format: string, channel: string): Promise<void> {
  const ds = await openDb(o);
  const { exports } = services(ds, o.dir);
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 5);
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  const download = await exports.export({ channelId: channel, actor: 'bench', format: format as 'json' });
  await pipeline(
    download.stream,
    new Writable({
      write(chunk: Buffer, _e, done) {
        bytes += chunk.length;
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        done();
      },
    }),
  );
  const seconds = ms(process.hrtime.bigint() - t0) / 1000;
  clearInterval(sampler);
  await ds.destroy();
  process.stdout.write(JSON.stringify({ seconds, bytes, peakRss, rssBefore }) + '\n');
}

async function exportAll(o: Options, count: number): Promise<void> {
  for (const format of ['json', 'csv', 'html']) {
    const out = execFileSync(
      process.execPath,
      [
        '--expose-gc',
        '-r',
        'ts-node/register/transpile-only',
        __filename,
        ...process.argv.slice(2).filter((a) => a !== '--keep'),
        '--dir',
        o.dir,
        '--export-child',
        format,
        '--channel',
        channelId(0),
      ],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    const r = JSON.parse(out.trim().split('\n').pop()!);
    console.log(
      `export ${format}: ${count.toLocaleString('en')} messages in ${r.seconds.toFixed(2)} s = ${Math.round(count / r.seconds).toLocaleString('en')} messages/s, ${mb(r.bytes)}, peak RSS ${mb(r.peakRss)} (process at ${mb(r.rssBefore)} before the export: Node, TypeORM, ts-node)`,
    );
  }
}

async function main(): Promise<void> {
  const o = options(process.argv);
  if (o.child) return exportChild(o, o.child.format, o.child.channel);
  console.log(
    `bench:backup on ${o.db === 'sqlite' ? 'SQLite' : 'MySQL/MariaDB'}${o.searchOnly ? ', searches only' : ''}: ${o.messages.toLocaleString('en')} messages, ${o.channels} channels, largest ${o.big.toLocaleString('en')} (data in ${o.dir})`,
  );
  const ds = await openDb(o);
  try {
    await ds.runMigrations({ transaction: 'each' });
    if (o.searchOnly) {
      const [{ n }] = await ds.query('SELECT COUNT(*) AS n FROM backup_messages');
      if (Number(n) === 0)
        throw new Error(`--search-only: no messages in ${o.dir} (archive them with --keep first)`);
      return await search(ds, o);
    }
    await insert(ds, o);
    await search(ds, o);
    const [{ n }] = await ds.query('SELECT COUNT(*) AS n FROM backup_messages WHERE channel_id = ?', [
      channelId(0),
    ]);
    await ds.destroy();
    await exportAll(o, Number(n));
  } finally {
    if (ds.isInitialized) await ds.destroy();
    if (!o.keep) rmSync(o.dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
