import { createHash } from 'node:crypto';
import { JSDOM } from 'jsdom';
import yauzl from 'yauzl';
import { ArchiveService } from '../src/backup/archive.service';
import { FakeLine } from './fake-line/fake-line';
import {
  makeFileEvent,
  makeImageEvent,
  makeLocationEvent,
  makeMemberJoinedEvent,
  makeMemberLeftEvent,
  makeStickerEvent,
  makeTextEvent,
  makeUnsendEvent,
  makeUsers,
  makeVideoEvent,
} from './fake-line/events';
import { postWebhook } from './fake-line/webhook';
import { waitForInboxDrained } from './support/inbox';
import { addBotToGroup, bearer, makeMember, signIn } from './support/sign-in';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

type Msg = Record<string, unknown> & {
  messageId: string | null;
  type: string;
  timestamp: string;
  text?: string;
};

const XSS = `<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes" 'single'`;
const T0 = Date.parse('2025-01-15T14:58:00Z'); // 23:58 in Tokyo: the chat crosses midnight there

describe('backup: export', () => {
  let fake: FakeLine;
  let t: TestApp;
  let token: string;
  let groupId: string;
  const [owner, alice] = makeUsers(['Owner', 'Alice <b>愛麗絲</b>']);
  const images = {
    png: Buffer.from('png bytes'),
    mp4: Buffer.from('mp4 bytes'),
    pdf: Buffer.from('%PDF-1.4 bytes'),
  };
  let archive: Msg[];

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({ lineBaseUrl: fake.url });
    token = await signIn(t, fake, owner.userId, owner.displayName);
    groupId = await addBotToGroup(t, fake, [owner, alice], 'Family 家族 <群組>');
    await makeMember(t, fake, { groupId, user: owner, role: 'owner' });
    await makeMember(t, fake, { groupId, user: alice, role: 'member' });
    await t
      .http()
      .patch(`/api/channels/${groupId}/config`)
      .set(bearer(token))
      .send({ timezone: 'Asia/Tokyo' })
      .expect(200);

    const at = (minutes: number) => ({ groupId, timestamp: T0 + minutes * 60_000 });
    const image = makeImageEvent({ ...at(0), userId: alice.userId });
    const again = makeImageEvent({ ...at(1), userId: owner.userId }); // the same bytes: one file in the zip
    const video = makeVideoEvent({ ...at(2), userId: alice.userId });
    const file = makeFileEvent({
      ...at(3),
      userId: alice.userId,
      fileName: '議程 agenda.pdf',
      fileSize: images.pdf.length,
    });
    fake.setContent(image.message.id, { body: images.png, contentType: 'image/png' });
    fake.setContent(again.message.id, { body: images.png, contentType: 'image/png' });
    fake.setContent(video.message.id, { body: images.mp4, contentType: 'video/mp4' });
    fake.setContent(file.message.id, { body: images.pdf, contentType: 'application/pdf' });
    const unsent = makeTextEvent({ ...at(5), userId: alice.userId, text: 'oops' });
    const events = [
      makeTextEvent({ ...at(-1), userId: owner.userId, text: '大家好,明天見!\n第二行' }),
      image,
      again,
      video,
      file,
      makeTextEvent({
        ...at(4),
        userId: alice.userId,
        text: `@Owner ${XSS}`,
        mention: { mentionees: [{ index: 0, length: 6, type: 'user', userId: owner.userId }] },
      }),
      unsent,
      makeTextEvent({ ...at(6), userId: owner.userId, text: '=SUM(A1:A9) -1 +1 @x' }),
      makeStickerEvent({ ...at(7), userId: owner.userId, keywords: ['OK'] }),
      makeLocationEvent({ ...at(8), userId: alice.userId, title: '東京タワー', address: '東京都港区' }),
      makeMemberJoinedEvent({ ...at(9), userIds: [owner.userId] }),
      makeMemberLeftEvent({ ...at(10), userIds: [alice.userId] }),
      makeImageEvent({
        ...at(11),
        userId: owner.userId,
        contentProvider: { type: 'external', originalContentUrl: 'javascript:alert(1)' },
      }),
    ];
    await postWebhook(t, events).expect(200);
    await postWebhook(
      t,
      makeUnsendEvent({ ...at(12), userId: alice.userId, messageId: unsent.message.id }),
    ).expect(200);
    await waitForInboxDrained(t);
    await waitFor(
      async () => {
        archive = (
          await t.http().get(`/api/channels/${groupId}/messages`).query({ limit: 500 }).set(bearer(token))
        ).body.messages;
        return archive.filter((m) => (m.content as { status?: string })?.status === 'stored').length === 4;
      },
      { what: 'the media to be stored' },
    );
    archive = archive.reverse(); // exports read oldest first
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  const download = (query: Record<string, string>) =>
    t
      .http()
      .get(`/api/channels/${groupId}/export`)
      .query(query)
      .set(bearer(token))
      .buffer(true)
      .parse(binary);

  it('JSON: one document with the channel and every message as the API shows it', async () => {
    const res = await download({ format: 'json' }).expect(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(
      new RegExp(`^attachment; filename="line-backup-${groupId}-\\d{8}\\.json"$`),
    );
    const doc = JSON.parse(res.body.toString('utf8'));
    expect(doc.channel).toEqual({
      channelId: groupId,
      type: 'group',
      name: 'Family 家族 <群組>',
      timezone: 'Asia/Tokyo',
    });
    expect(doc.from).toBeNull();
    expect(doc.messages).toEqual(archive);
    expect(doc.messages.find((m: Msg) => m.text?.includes('<script>')).text).toBe(`@Owner ${XSS}`);
  });

  it('JSON: only the period asked for', async () => {
    const from = new Date(T0 + 2 * 60_000).toISOString();
    const to = new Date(T0 + 4 * 60_000).toISOString();
    const doc = JSON.parse((await download({ format: 'json', from, to }).expect(200)).body.toString('utf8'));
    expect(doc).toMatchObject({ from, to });
    expect(doc.messages.map((m: Msg) => m.type)).toEqual(['video', 'file']);
    const bad = await t
      .http()
      .get(`/api/channels/${groupId}/export`)
      .query({ from: to, to: from })
      .set(bearer(token));
    expect([bad.status, bad.body]).toEqual([400, { error: 'from must be before to' }]);
  });

  it('CSV: UTF-8 with BOM, one row a message, safe in a spreadsheet', async () => {
    const res = await download({ format: 'csv' }).expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const body: Buffer = res.body;
    expect([...body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parseCsv(body.subarray(3).toString('utf8'));
    const [header, ...data] = rows;
    expect(header).toEqual([
      'messageId',
      'timestamp',
      'localTime',
      'userId',
      'displayName',
      'type',
      'text',
      'details',
      'unsentAt',
    ]);
    expect(data).toHaveLength(archive.length);
    data.forEach((row, i) => {
      const m = archive[i];
      const cell = Object.fromEntries(header.map((h, j) => [h, row[j]]));
      expect(cell).toMatchObject({
        messageId: m.messageId ?? '',
        timestamp: m.timestamp,
        userId: (m.userId as string) ?? '',
        type: m.type,
        unsentAt: (m.unsentAt as string) ?? '',
      });
      expect(unformula(cell.displayName)).toBe((m.displayName as string) ?? '');
      expect(unformula(cell.text)).toBe(typeof m.text === 'string' ? m.text : '');
    });
    const byText = (s: string) => data.find((r) => r[6].includes(s))!;
    expect(byText('SUM')[6]).toBe("'=SUM(A1:A9) -1 +1 @x");
    expect(byText('大家好')[6]).toBe('大家好,明天見!\n第二行');
    // 23:57 UTC+9 on the 15th, then past midnight in Tokyo.
    expect(byText('大家好')[2]).toBe('2025-01-15 23:57:00');
    expect(data.find((r) => r[5] === 'location')![2]).toBe('2025-01-16 00:06:00');
    expect(JSON.parse(data.find((r) => r[5] === 'sticker')![7])).toMatchObject({
      packageId: '446',
      keywords: ['OK'],
    });
  });

  it('HTML: one self-contained page that reads like the chat, with nothing executable in it', async () => {
    const res = await download({ format: 'html' }).expect(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = res.body.toString('utf8');
    const { document } = new JSDOM(html).window;
    expect(document.title).toBe('Family 家族 <群組>:聊天備份');
    expect(document.querySelectorAll('script')).toHaveLength(0);
    const handlers = [...document.querySelectorAll('*')].flatMap((el) =>
      el.getAttributeNames().filter((a) => a.startsWith('on')),
    );
    expect(handlers).toEqual([]);
    // No remote resource: it opens offline.
    const remote = [...document.querySelectorAll('[src], link[href]')].map(
      (el) => el.getAttribute('src') ?? el.getAttribute('href'),
    );
    expect(remote).toEqual([]);
    expect(
      document.querySelector('meta[http-equiv="Content-Security-Policy"]')!.getAttribute('content'),
    ).toContain("script-src 'none'");

    const articles = [...document.querySelectorAll('article.msg')];
    const systems = [...document.querySelectorAll('div.system')];
    expect(articles.map((a) => a.getAttribute('data-message-id'))).toEqual(
      archive.filter((m) => m.messageId).map((m) => m.messageId),
    );
    expect(systems.map((s) => s.getAttribute('data-type'))).toEqual(
      archive.filter((m) => !m.messageId).map((m) => m.type),
    );
    const byId = (id: string) => document.getElementById(`m-${id}`)!;
    const xss = archive.find((m) => m.text?.includes('<script>'))!;
    const xssEl = byId(xss.messageId!);
    expect(xssEl.querySelector('.text')!.textContent).toBe(`@Owner ${XSS}`);
    expect(xssEl.querySelector('.mention')!.textContent).toBe('@Owner');
    expect(xssEl.querySelector('.name')!.textContent).toBe('Alice <b>愛麗絲</b>');
    expect(xssEl.querySelector('b')).toBeNull();
    // Times in the channel's zone, and a new day at Tokyo's midnight.
    const first = byId(archive.find((m) => m.text?.startsWith('大家好'))!.messageId!);
    expect(first.querySelector('time')!.textContent).toBe('23:57');
    expect(first.querySelector('.text')!.textContent).toBe('大家好,明天見!\n第二行');
    // (The bot joined, and people said hello, today: after the 2025 messages.)
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Tokyo' }).format(new Date());
    expect([...document.querySelectorAll('.day')].map((d) => d.textContent)).toEqual([
      '2025-01-15',
      '2025-01-16',
      today,
    ]);
    expect(systems.map((s) => s.textContent)).toEqual([
      expect.stringContaining('Owner 加入了'),
      expect.stringContaining('Alice <b>愛麗絲</b> 離開了'),
      expect.stringContaining('機器人加入了聊天室'),
    ]);
    const unsent = archive.find((m) => m.unsentAt)!;
    expect(byId(unsent.messageId!).querySelector('.unsent')!.textContent).toBe('已收回');
    const sticker = archive.find((m) => m.type === 'sticker')!;
    expect(byId(sticker.messageId!).querySelector('.sticker')!.textContent).toBe('[貼圖] OK');
    // An external URL that is not http(s) is never a link.
    const ext = archive.filter((m) => m.type === 'image').pop()!;
    expect(byId(ext.messageId!).querySelector('a')).toBeNull();
    // Without the zip there are no files to point at.
    expect(document.querySelectorAll('img, video, audio')).toHaveLength(0);
  });

  it('zip: the HTML and JSON with every media file once, linked from inside', async () => {
    const res = await download({ format: 'zip' }).expect(200);
    expect(res.headers['content-type']).toBe('application/zip');
    const entries = await unzip(res.body);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect([...entries.keys()].sort()).toEqual(
      [
        'chat.html',
        'messages.json',
        `media/${sha(images.png)}.png`,
        `media/${sha(images.mp4)}.mp4`,
        `media/${sha(images.pdf)}.pdf`,
      ].sort(),
    );
    expect(entries.get(`media/${sha(images.mp4)}.mp4`)).toEqual(images.mp4);
    const doc = JSON.parse(entries.get('messages.json')!.toString('utf8'));
    expect(doc.messages).toHaveLength(archive.length);
    expect(
      doc.messages
        .filter((m: Msg) => (m.content as { file?: string })?.file)
        .map((m: Msg) => (m.content as { file: string }).file),
    ).toEqual([
      `media/${sha(images.png)}.png`,
      `media/${sha(images.png)}.png`,
      `media/${sha(images.mp4)}.mp4`,
      `media/${sha(images.pdf)}.pdf`,
    ]);
    const { document } = new JSDOM(entries.get('chat.html')!.toString('utf8')).window;
    const links = [...document.querySelectorAll('img[src], video[src], a[href^="media/"]')].map(
      (el) => el.getAttribute('src') ?? el.getAttribute('href'),
    );
    expect(links.length).toBeGreaterThanOrEqual(4);
    for (const link of links) expect(entries.has(link!)).toBe(true);
    expect(document.querySelector('a[download]')!.getAttribute('download')).toBe('議程 agenda.pdf');
  });

  it('streams exports larger than one page, in order', async () => {
    const big = await addBotToGroup(t, fake, [owner], 'Big');
    await makeMember(t, fake, { groupId: big, user: owner, role: 'owner' });
    const archiveService = t.app.get(ArchiveService);
    const n = 2_345;
    const start = Date.parse('2024-06-01T00:00:00Z');
    await archiveService.archive(
      Array.from({ length: n }, (_, i) => ({
        channelId: big,
        entryKey: `9${String(i).padStart(14, '0')}`,
        messageId: `9${String(i).padStart(14, '0')}`,
        eventId: `bulk-${i}`,
        type: 'text',
        userId: owner.userId,
        timestamp: start + Math.floor(i / 3) * 1000,
        text: `訊息 ${i}`,
        searchable: null,
        details: null,
        media: null,
      })),
    );
    const to = new Date(start + 10 * 86_400_000).toISOString();
    const res = await t
      .http()
      .get(`/api/channels/${big}/export`)
      .query({ format: 'json', to })
      .set(bearer(token))
      .buffer(true)
      .parse(binary)
      .expect(200);
    const texts = JSON.parse(res.body.toString('utf8')).messages.map((m: Msg) => m.text);
    expect(texts).toEqual(Array.from({ length: n }, (_, i) => `訊息 ${i}`));
    const csv = parseCsv(
      (
        await t
          .http()
          .get(`/api/channels/${big}/export`)
          .query({ format: 'csv', to })
          .set(bearer(token))
          .buffer(true)
          .parse(binary)
      ).body
        .subarray(3)
        .toString('utf8'),
    );
    expect(csv).toHaveLength(n + 1);
  });

  it('writes every export to the audit log', async () => {
    const res = await t.http().get(`/api/channels/${groupId}/audit`).set(bearer(token)).expect(200);
    const exports = res.body.entries.filter((e: { action: string }) => e.action === 'backup.export');
    expect(exports.length).toBeGreaterThanOrEqual(5);
    expect(JSON.stringify(res.body.entries)).toContain(owner.userId);
    const formats = JSON.stringify(exports);
    for (const f of ['json', 'csv', 'html', 'zip']) expect(formats).toContain(`"${f}"`);
  });
});

/** supertest: any body as a Buffer. */
function binary(res: unknown, done: (err: Error | null, body: Buffer) => void): void {
  const stream = res as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
  stream.on('error', (err: Error) => done(err, Buffer.alloc(0)));
}

/** RFC 4180: quoted fields with doubled quotes and line breaks, CRLF between records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

/** What a spreadsheet shows for a cell the export protected with a leading quote. */
const unformula = (s: string) => (/^'[=+\-@\t\r]/.test(s) ? s.slice(1) : s);

function unzip(buffer: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      const out = new Map<string, Buffer>();
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            out.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.on('end', () => resolve(out));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}
