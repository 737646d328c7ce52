import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FakeLine } from './fake-line/fake-line';
import { makeAudioEvent, makeFileEvent, makeImageEvent, makeUsers, makeVideoEvent } from './fake-line/events';
import { postWebhook } from './fake-line/webhook';
import { waitForInboxDrained } from './support/inbox';
import { addBotToGroup, bearer, makeMember, signIn } from './support/sign-in';
import { createTestApp, TestApp } from './support/test-app';
import { createTestDatabase, TestDatabase } from './support/test-database';
import { waitFor } from './support/wait-for';

const MB = 1024 * 1024;
const MAX_ATTEMPTS = 4;

/** Fast retries, no retries inside the LINE client: the archive's own backoff is what is tested. */
const env = {
  LINE_MAX_RETRIES: '0',
  LINE_TIMEOUT_MS: '400',
  BACKUP_MEDIA_RETRY_BASE_MS: '30',
  BACKUP_MEDIA_RETRY_MAX_MS: '100',
  BACKUP_MEDIA_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
};

/** `count` chunks of 64 KB, made only when read. */
function generated(bytes: number): () => Readable {
  return () => {
    let sent = 0;
    return new Readable({
      read() {
        if (sent >= bytes) return void this.push(null);
        const n = Math.min(64 * 1024, bytes - sent);
        this.push(Buffer.alloc(n, (sent / 65536) % 251));
        sent += n;
      },
    });
  };
}

function generatedSha(bytes: number): string {
  const h = createHash('sha256');
  for (let sent = 0; sent < bytes; sent += 64 * 1024)
    h.update(Buffer.alloc(Math.min(64 * 1024, bytes - sent), (sent / 65536) % 251));
  return h.digest('hex');
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

type Content = { status: string; sha256?: string; size?: number; contentType?: string; error?: string };

describe('backup: media content', () => {
  let fake: FakeLine;
  let t: TestApp;
  let db: TestDatabase;
  let token: string;
  let groupId: string;
  const [owner, alice] = makeUsers(['Owner', 'Alice']);

  beforeAll(async () => {
    fake = await FakeLine.start();
    // The database outlives the app: one test restarts it.
    db = await createTestDatabase();
    t = await createTestApp({ db, lineBaseUrl: fake.url, env });
    token = await signIn(t, fake, owner.userId, owner.displayName);
    groupId = await addBotToGroup(t, fake, [owner, alice]);
    await makeMember(t, fake, { groupId, user: owner, role: 'owner' });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
    await fake?.stop();
  });

  const mediaDir = () => join(t.settings.dataDir, 'media');
  const contentPath = (messageId: string) => `/api/channels/${groupId}/messages/${messageId}/content`;

  async function send(events: object[]): Promise<void> {
    await postWebhook(t, events).expect(200);
    await waitForInboxDrained(t);
  }

  async function contentOf(messageId: string, app = t): Promise<Content | undefined> {
    const res = await app
      .http()
      .get(`/api/channels/${groupId}/messages`)
      .query({ limit: 500 })
      .set(bearer(token))
      .expect(200);
    return res.body.messages.find((m: { messageId: string }) => m.messageId === messageId)?.content;
  }

  const settled = (messageId: string, app = t, timeoutMs = 15_000) =>
    waitFor(
      async () => {
        const c = await contentOf(messageId, app);
        return c && (c.status === 'stored' || c.status === 'failed') ? c : undefined;
      },
      { what: `media of ${messageId}`, timeoutMs },
    );

  const downloads = (messageId: string) => fake.requestsTo('GET', `/v2/bot/message/${messageId}/content`);

  it('downloads content soon after the message, stores it by SHA-256 and serves it back', async () => {
    const bytes = Buffer.from('‰PNG fake image bytes 圖片');
    const image = makeImageEvent({ groupId, userId: alice.userId });
    fake.setContent(image.message.id, { body: bytes, contentType: 'image/png' });
    await send([image]);
    const content = await settled(image.message.id);
    expect(content).toEqual({
      status: 'stored',
      sha256: sha(bytes),
      size: bytes.length,
      contentType: 'image/png',
    });
    const file = join(mediaDir(), sha(bytes).slice(0, 2), sha(bytes).slice(2, 4), sha(bytes));
    expect(statSync(file).size).toBe(bytes.length);
    const res = await t
      .http()
      .get(contentPath(image.message.id))
      .set(bearer(token))
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(Buffer.compare(res.body, bytes)).toBe(0);
  });

  it('stores the same bytes once', async () => {
    const bytes = Buffer.from('the very same video bytes');
    const a = makeVideoEvent({ groupId, userId: alice.userId });
    const b = makeVideoEvent({ groupId, userId: owner.userId });
    fake.setContent(a.message.id, { body: bytes, contentType: 'video/mp4' });
    fake.setContent(b.message.id, { body: bytes, contentType: 'video/mp4' });
    await send([a, b]);
    expect((await settled(a.message.id)).sha256).toBe(sha(bytes));
    expect((await settled(b.message.id)).sha256).toBe(sha(bytes));
    expect(readdirSync(join(mediaDir(), sha(bytes).slice(0, 2), sha(bytes).slice(2, 4)))).toEqual([
      sha(bytes),
    ]);
  });

  it('retries content that is not ready yet (202)', async () => {
    const video = makeVideoEvent({ groupId, userId: alice.userId });
    fake.setContent(video.message.id, {
      body: Buffer.from('transcoded'),
      contentType: 'video/mp4',
      notReadyTimes: 2,
    });
    await send([video]);
    expect(await settled(video.message.id)).toMatchObject({ status: 'stored', size: 10 });
    expect(downloads(video.message.id).map((r) => r.status)).toEqual([202, 202, 200]);
  });

  it.each([
    ['404', { status: 404 }],
    ['500', { status: 500 }],
    ['a timeout', 'timeout' as const],
  ])('retries after %s', async (_name, failure) => {
    const audio = makeAudioEvent({ groupId, userId: alice.userId });
    const path = `/v2/bot/message/${audio.message.id}/content`;
    fake.setContent(audio.message.id, { body: Buffer.from('voice'), contentType: 'audio/x-m4a' });
    fake.failNext('GET', path, failure as never, 2);
    await send([audio]);
    expect(await settled(audio.message.id)).toMatchObject({ status: 'stored', contentType: 'audio/x-m4a' });
    expect(downloads(audio.message.id)).toHaveLength(3);
  });

  it('retries a download that stalls midway', async () => {
    const file = makeFileEvent({ groupId, userId: alice.userId, fileName: 'notes.txt', fileSize: 11 });
    let calls = 0;
    fake.setContent(file.message.id, {
      contentType: 'text/plain',
      body: () => {
        calls++;
        if (calls > 1) return Readable.from([Buffer.from('hello world')]);
        // Sends a little, then nothing more, never ending.
        return new Readable({
          read() {
            if (!this.readableLength) this.push(Buffer.from('hel'));
          },
        }).once('data', () => undefined);
      },
    });
    await send([file]);
    expect(await settled(file.message.id)).toMatchObject({ status: 'stored', size: 11 });
    expect(calls).toBe(2);
  });

  it('records a download that keeps failing, and keeps the message', async () => {
    const image = makeImageEvent({
      groupId,
      userId: alice.userId,
      imageSet: { id: 'S', index: 1, total: 1 },
    });
    fake.failNext('GET', `/v2/bot/message/${image.message.id}/content`, { status: 500 }, 50);
    await send([image]);
    const content = await settled(image.message.id);
    expect(content).toEqual({ status: 'failed', error: 'HTTP 500 Internal server error' });
    expect(downloads(image.message.id)).toHaveLength(MAX_ATTEMPTS);
    const res = await t.http().get(contentPath(image.message.id)).set(bearer(token));
    expect([res.status, res.body]).toEqual([404, { error: 'Content not found' }]);
    const messages = await t
      .http()
      .get(`/api/channels/${groupId}/messages`)
      .query({ type: 'image' })
      .set(bearer(token));
    expect(messages.body.messages[0]).toMatchObject({ messageId: image.message.id, imageSet: { id: 'S' } });
  });

  it('never holds a large download in memory (256 MB streamed through)', async () => {
    const size = 256 * MB;
    const video = makeVideoEvent({ groupId, userId: alice.userId });
    fake.setContent(video.message.id, { body: generated(size), contentType: 'video/mp4' });
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    try {
      await send([video]);
      const content = await settled(video.message.id, t, 60_000);
      expect(content).toMatchObject({ status: 'stored', size, sha256: generatedSha(size) });
    } finally {
      clearInterval(sampler);
    }
    // Buffering it would add at least 256 MB; streaming stays within a small, size-independent margin.
    expect(peak - baseline).toBeLessThan(96 * MB);
  }, 120_000);

  it('serves ranges (video seeking), and 404 where there is no content', async () => {
    const bytes = Buffer.from('0123456789abcdefghij');
    const video = makeVideoEvent({ groupId, userId: alice.userId });
    fake.setContent(video.message.id, { body: bytes, contentType: 'video/mp4' });
    await send([video]);
    await settled(video.message.id);
    const get = (range?: string) => {
      const req = t.http().get(contentPath(video.message.id)).set(bearer(token)).buffer(true).parse(binary);
      return range ? req.set('Range', range) : req;
    };
    const part = await get('bytes=2-5').expect(206);
    expect(part.body.toString()).toBe('2345');
    expect(part.headers['content-range']).toBe('bytes 2-5/20');
    expect(part.headers['content-length']).toBe('4');
    expect((await get('bytes=-3').expect(206)).body.toString()).toBe('hij');
    expect((await get('bytes=15-').expect(206)).body.toString()).toBe('fghij');
    expect((await get('bytes=20-').expect(416)).status).toBe(416);
    expect((await get().expect(200)).body.toString()).toBe(bytes.toString());

    const text = (
      await t.http().get(`/api/channels/${groupId}/messages`).query({ type: 'text' }).set(bearer(token))
    ).body.messages[0].messageId;
    let res = await t.http().get(contentPath(text)).set(bearer(token));
    expect([res.status, res.body]).toEqual([404, { error: 'Content not found' }]);
    res = await t.http().get(contentPath('123456789')).set(bearer(token));
    expect([res.status, res.body]).toEqual([404, { error: 'Message not found' }]);
  });

  it('keeps only the URLs of external content', async () => {
    const image = makeImageEvent({
      groupId,
      userId: alice.userId,
      contentProvider: { type: 'external', originalContentUrl: 'https://example.com/x.jpg' },
    });
    await send([image]);
    expect(await contentOf(image.message.id)).toEqual({
      status: 'external',
      originalContentUrl: 'https://example.com/x.jpg',
    });
    expect(downloads(image.message.id)).toHaveLength(0);
  });

  it('resumes pending downloads after a restart', async () => {
    const image = makeImageEvent({ groupId, userId: alice.userId });
    fake.setContent(image.message.id, {
      body: Buffer.from('later'),
      contentType: 'image/jpeg',
      notReadyTimes: 1000,
    });
    await send([image]);
    await waitFor(() => downloads(image.message.id).length >= 1, { what: 'a first download attempt' });
    await t.close();
    t = await createTestApp({ db, lineBaseUrl: fake.url, env });
    fake.setContent(image.message.id, { body: Buffer.from('later'), contentType: 'image/jpeg' });
    expect(await settled(image.message.id)).toMatchObject({ status: 'stored', size: 5 });
    expect(existsSync(join(mediaDir(), sha(Buffer.from('later')).slice(0, 2)))).toBe(true);
  });
});

/** supertest: collect any body as a Buffer. */
function binary(res: unknown, done: (err: Error | null, body: Buffer) => void): void {
  const stream = res as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
  stream.on('error', (err: Error) => done(err, Buffer.alloc(0)));
}
