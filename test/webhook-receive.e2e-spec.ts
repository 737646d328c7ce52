import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { MAX_BODY_BYTES } from '../src/app.setup';
import { WalSync } from '../src/database/wal-sync';
import { EventContext, EventDispatcher } from '../src/webhook/event-dispatcher';
import { WebhookService } from '../src/webhook/webhook.service';
import {
  makeJoinEvent,
  makeTextEvent,
  randomGroupId,
  randomUserId,
  redeliver,
  ulid,
} from './fake-line/events';
import { FakeLine } from './fake-line/fake-line';
import { postRawWebhook, postWebhook, signBody, webhookBody } from './fake-line/webhook';
import { inboxRows, waitForInboxDrained } from './support/inbox';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

/** LINE's own sample webhook (line-bot-sdk-python's tests), the copy the fake platform keeps. */
const FIXTURE = resolve(__dirname, 'fake-line/fixtures/line-bot-sdk-python-webhook.json');

function loadFixture(): string {
  return readFileSync(FIXTURE, 'utf8');
}

describe('POST /webhook: receiving', () => {
  let fake: FakeLine;
  let t: TestApp;
  /** Every event the dispatcher handed on, in order, with its context. */
  const seen: { type: string; text?: string; ctx: EventContext }[] = [];

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({ lineBaseUrl: fake.url, env: { WEBHOOK_REORDER_WINDOW_MS: '0' } });
    t.app.get(EventDispatcher).on('*', 'test.seen', async (event, ctx) => {
      const text = event.type === 'message' && event.message.type === 'text' ? event.message.text : undefined;
      seen.push({ type: String(event.type), text, ctx });
    });
  });
  afterEach(async () => {
    await waitForInboxDrained(t);
    seen.length = 0;
    fake.reset();
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  const rowCount = async () => (await inboxRows(t)).length;

  it('does not flush answered webhooks by default (synchronous = NORMAL: a process crash loses nothing)', async () => {
    await postWebhook(t, [makeTextEvent({ text: 'normal', userId: randomUserId() })]).expect(200);
    expect(t.app.get(WalSync).flushes).toBe(0);
  });

  it('answers the console "Verify" (no events) with 200 and stores nothing', async () => {
    const before = await rowCount();
    await postWebhook(t, []).expect(200);
    expect(await rowCount()).toBe(before);
  });

  it('refuses a missing, wrong or other-secret signature with 401 and stores nothing', async () => {
    const before = await rowCount();
    const event = makeTextEvent({ text: 'hi', groupId: randomGroupId(), userId: randomUserId() });
    for (const signature of [null, '', 'AAAA', signBody('{}')]) {
      const res = await postWebhook(t, [event], { signature }).expect(401);
      expect(res.body).toEqual({ error: 'Invalid signature' });
    }
    const other = await postWebhook(t, [event], { secret: 'another-channel-secret' }).expect(401);
    expect(other.body).toEqual({ error: 'Invalid signature' });
    // The right signature of other bytes (a body changed on the way) is wrong for these.
    const raw = webhookBody([event]);
    await postRawWebhook(t, raw.replace('"hi"', '"ho"'), signBody(raw)).expect(401);
    expect(await rowCount()).toBe(before);
    expect(seen).toEqual([]);
  });

  it('checks the signature before parsing: malformed JSON with a bad signature is 401', async () => {
    await postRawWebhook(t, '{"events":[', 'not-a-signature').expect(401);
  });

  it('answers 400 to malformed JSON or a body without events that is correctly signed', async () => {
    const malformed = await postRawWebhook(t, '{"destination":"U1","events":[').expect(400);
    expect(malformed.body).toEqual({ error: 'Malformed JSON body' });
    const noEvents = await postRawWebhook(t, '{"destination":"U1"}').expect(400);
    expect(noEvents.body.error).toMatch(/events/);
    await postRawWebhook(t, '{"destination":"U1","events":[42]}').expect(400);
  });

  it('answers 413 to a body over 1 MB', async () => {
    const raw = webhookBody([makeTextEvent({ text: 'x'.repeat(1024 * 1024), userId: randomUserId() })]);
    const res = await postRawWebhook(t, raw).expect(413);
    expect(res.body).toEqual({ error: 'Request body too large' });
  });

  it('answers 415 to a compressed body, and leaves other methods and paths to the app', async () => {
    const raw = webhookBody([makeTextEvent({ text: 'zipped', userId: randomUserId() })]);
    const res = await postRawWebhook(t, raw).set('content-encoding', 'gzip').expect(415);
    expect(res.body).toEqual({ error: 'Unsupported body encoding' });
    expect((await t.http().get('/webhook').expect(404)).body).toEqual({ error: 'Not found' });
    await t.http().post('/webhooks').send({}).expect(404);
    // Express matched a trailing slash and a query string: so does the route.
    await postRawWebhook(t, webhookBody([]))
      .expect(200)
      .then(() => t.http().post('/webhook/?x=1').set('x-line-signature', 'bad').send('{}').expect(401));
  });

  it('stores and processes a redelivery or a repeat of a webhookEventId once', async () => {
    const groupId = randomGroupId();
    const event = makeTextEvent({ text: 'once', groupId, userId: randomUserId() });
    await postWebhook(t, [event]).expect(200);
    await postWebhook(t, [event]).expect(200);
    await postWebhook(t, [redeliver(event)]).expect(200);
    await waitForInboxDrained(t);
    const rows = (await inboxRows(t)).filter((r) => r.webhookEventId === event.webhookEventId);
    expect(rows).toHaveLength(1);
    expect(rows[0].state).toBe('done');
    expect(seen.filter((s) => s.ctx.webhookEventId === event.webhookEventId)).toHaveLength(1);
  });

  it('processes a first delivery that arrives as a redelivery, telling handlers so', async () => {
    const event = redeliver(
      makeTextEvent({ text: 'late', groupId: randomGroupId(), userId: randomUserId() }),
    );
    await postWebhook(t, [event]).expect(200);
    const got = await waitFor(() => seen.find((s) => s.ctx.webhookEventId === event.webhookEventId));
    expect(got.ctx.isRedelivery).toBe(true);
  });

  it('keeps an id repeated inside one body once', async () => {
    const groupId = randomGroupId();
    const first = makeTextEvent({ text: 'a', groupId, userId: randomUserId() });
    const copy = { ...makeTextEvent({ text: 'b', groupId }), webhookEventId: first.webhookEventId };
    await postWebhook(t, [first, copy]).expect(200);
    await waitForInboxDrained(t);
    const rows = (await inboxRows(t)).filter((r) => r.webhookEventId === first.webhookEventId);
    expect(rows).toHaveLength(1);
    expect(seen.filter((s) => s.ctx.webhookEventId === first.webhookEventId).map((s) => s.text)).toEqual([
      'a',
    ]);
    // Processed: the id stays for deduplication, the text does not (the archive decides what is kept).
    expect(rows[0]).toMatchObject({ state: 'done', payload: {} });
  });

  it('tells each webhook of one group commit how many of its events were new', async () => {
    const groupId = randomGroupId();
    const [a, b, c] = ['a', 'b', 'c'].map((text) => makeTextEvent({ text, groupId }));
    const service = t.app.get(WebhookService);
    const receive = (events: object[]) => {
      const body = webhookBody(events);
      return service.receive(Buffer.from(body), signBody(body));
    };
    await receive([a]);
    // Submitted in one turn of the event loop: written in one transaction.
    const results = await Promise.all([receive([b, c]), receive([a, b]), receive([c])]);
    expect(results.map((r) => r.stored)).toEqual([2, 0, 0]);
    await waitForInboxDrained(t);
    const ids = new Set([a, b, c].map((e) => e.webhookEventId));
    expect((await inboxRows(t)).filter((r) => ids.has(r.webhookEventId))).toHaveLength(3);
  });

  it('stores a body of more events than one INSERT holds, counting those already there once', async () => {
    const groupId = randomGroupId();
    const events = Array.from({ length: 450 }, (_, i) => makeTextEvent({ text: `n${i}`, groupId }));
    const service = t.app.get(WebhookService);
    const receive = (batch: object[]) => {
      const body = webhookBody(batch);
      return service.receive(Buffer.from(body), signBody(body));
    };
    await receive(events.slice(200, 210));
    // On MySQL three INSERT statements, in one transaction.
    expect(await receive(events)).toEqual({ received: 450, stored: 440 });
    const ids = new Set(events.map((e) => e.webhookEventId));
    expect((await inboxRows(t)).filter((r) => ids.has(r.webhookEventId))).toHaveLength(450);
    await waitForInboxDrained(t);
  });

  it('answers 500 to a webhook the database refuses, keeping none of it, and takes its redelivery', async () => {
    const ds = t.app.get(DataSource);
    const mysql = ds.options.type === 'mysql';
    // The database refuses one event type: as a full disk or a lost connection would, mid-batch.
    await ds.query(
      mysql
        ? "CREATE TRIGGER refuse_poison BEFORE INSERT ON webhook_events FOR EACH ROW BEGIN IF NEW.event_type = 'poison' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'; END IF; END"
        : "CREATE TRIGGER refuse_poison BEFORE INSERT ON webhook_events WHEN NEW.event_type = 'poison' BEGIN SELECT RAISE(ABORT, 'refused'); END",
    );
    const groupId = randomGroupId();
    const [a, b, c] = ['a', 'b', 'c'].map((text) => makeTextEvent({ text, groupId, userId: randomUserId() }));
    const poison = { ...makeJoinEvent({ groupId }), type: 'poison' };
    const refusedBody = webhookBody([a, poison, b]);
    const [refused, taken] = await Promise.all([
      postRawWebhook(t, refusedBody, signBody(refusedBody)),
      postWebhook(t, [c]),
    ]);
    await ds.query('DROP TRIGGER refuse_poison');
    expect({ status: refused.status, body: refused.body }).toEqual({
      status: 500,
      body: { error: 'Internal server error' },
    });
    expect(taken.status).toBe(200);
    const ids = (await inboxRows(t)).map((r) => r.webhookEventId);
    expect([a, poison, b, c].map((e) => ids.includes(e.webhookEventId))).toEqual([false, false, false, true]);
    // LINE sends it again, as it does after a non-2xx: every event is stored and processed once.
    await postRawWebhook(t, refusedBody, signBody(refusedBody)).expect(200);
    await waitForInboxDrained(t);
    const rows = (await inboxRows(t)).filter((r) =>
      [a, poison, b].some((e) => e.webhookEventId === r.webhookEventId),
    );
    expect(rows.map((r) => r.state)).toEqual(['done', 'done', 'done']);
    const texts = seen.filter((e) => e.ctx.channelId === groupId).map((e) => e.text ?? e.type);
    expect(texts.sort()).toEqual(['a', 'b', 'c', 'poison']);
  });

  it('stores every event of a body in one go, from many chats, before answering', async () => {
    const events = Array.from({ length: 30 }, (_, i) =>
      makeTextEvent({ text: `m${i}`, groupId: randomGroupId(), userId: randomUserId() }),
    );
    const ids = new Set(events.map((e) => e.webhookEventId));
    await postWebhook(t, events).expect(200);
    // Already there when the answer came, whatever their processing state.
    const stored = (await inboxRows(t)).filter((r) => ids.has(r.webhookEventId));
    expect(stored).toHaveLength(30);
    await waitForInboxDrained(t);
    expect(seen.filter((s) => ids.has(s.ctx.webhookEventId))).toHaveLength(30);
  });

  it('stores standby events and hands them on marked standby', async () => {
    const event = makeTextEvent({
      text: 'standby',
      groupId: randomGroupId(),
      userId: randomUserId(),
      mode: 'standby',
    });
    expect(event.replyToken).toBeUndefined();
    await postWebhook(t, [event]).expect(200);
    const got = await waitFor(() => seen.find((s) => s.ctx.webhookEventId === event.webhookEventId));
    expect(got.ctx.standby).toBe(true);
    await waitForInboxDrained(t);
    const [row] = (await inboxRows(t)).filter((r) => r.webhookEventId === event.webhookEventId);
    expect(row.state).toBe('done');
  });

  it('hands unsend, postback and unknown types to "*" subscribers without error', async () => {
    const groupId = randomGroupId();
    const userId = randomUserId();
    const events = [
      { ...makeJoinEvent({ groupId }), type: 'somethingNew', somethingNew: { a: 1 } },
      {
        type: 'unsend',
        mode: 'active',
        timestamp: Date.now(),
        source: { type: 'group', groupId, userId },
        webhookEventId: ulid(),
        deliveryContext: { isRedelivery: false },
        unsend: { messageId: '325708' },
      },
      {
        type: 'postback',
        mode: 'active',
        timestamp: Date.now(),
        replyToken: 'b60d432864f44d079f6d8efe86cf404b',
        source: { type: 'user', userId },
        webhookEventId: ulid(),
        deliveryContext: { isRedelivery: false },
        postback: { data: 'action=buy&itemid=111', params: { datetime: '2017-12-25T01:00' } },
      },
    ];
    await postWebhook(t, events).expect(200);
    await waitForInboxDrained(t);
    const rows = (await inboxRows(t)).filter((r) =>
      events.some((e) => e.webhookEventId === r.webhookEventId),
    );
    expect(rows.map((r) => [r.eventType, r.state]).sort()).toEqual([
      ['postback', 'done'],
      ['somethingNew', 'done'],
      ['unsend', 'done'],
    ]);
    expect(seen.map((s) => s.type).sort()).toEqual(['postback', 'somethingNew', 'unsend']);
  });

  it("accepts the official SDK's webhook fixture (28 events, 14 types, one shared id) and breaks nothing", async () => {
    const raw = loadFixture();
    const body = JSON.parse(raw) as { events: { webhookEventId: string; type: string }[] };
    expect(body.events).toHaveLength(28);
    expect(new Set(body.events.map((e) => e.type)).size).toBe(14);
    await postRawWebhook(t, raw).expect(200);
    await postRawWebhook(t, raw).expect(200);
    await waitForInboxDrained(t);
    // Every event there shares one webhookEventId: it is one event to us, the first.
    const rows = (await inboxRows(t)).filter((r) => r.webhookEventId === 'testwebhookeventid');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      eventType: 'message',
      state: 'done',
      channelId: 'U206d25c2ea6bd87c17655609a1c37cb8',
    });
    expect(seen.filter((s) => s.ctx.webhookEventId === 'testwebhookeventid')).toHaveLength(1);
    // The app still answers and processes afterwards.
    const after = makeTextEvent({ text: 'after', groupId: randomGroupId(), userId: randomUserId() });
    await postWebhook(t, [after]).expect(200);
    await waitFor(() => seen.find((s) => s.ctx.webhookEventId === after.webhookEventId));
  });

  it('accepts each event of the fixture on its own, every type stored and processed', async () => {
    const body = JSON.parse(loadFixture()) as { events: Record<string, unknown>[] };
    const events = body.events.map((e) => ({ ...e, webhookEventId: ulid() }));
    await postWebhook(t, events).expect(200);
    await waitForInboxDrained(t);
    const ids = new Set(events.map((e) => e.webhookEventId));
    const rows = (await inboxRows(t)).filter((r) => ids.has(r.webhookEventId));
    expect(rows).toHaveLength(28);
    expect(rows.filter((r) => r.state !== 'done').map((r) => [r.eventType, r.lastError])).toEqual([]);
    expect(new Set(rows.map((r) => r.eventType))).toEqual(new Set(body.events.map((e) => e.type)));
  });
});

/**
 * Posts `body`, correctly signed, as a client that does not know its length does: chunked transfer
 * encoding, no Content-Length, each chunk sent once the previous one is. With `stopAfter`, stops
 * writing (without ending the body) once more than that many bytes are sent, and waits for the
 * answer. Answers the status and body of the answer.
 */
function postChunked(
  port: number,
  body: Buffer,
  {
    stopAfter = Infinity,
    chunkBytes = 64 * 1024,
    keepSending = false,
    contentLength = false,
  }: { stopAfter?: number; chunkBytes?: number; keepSending?: boolean; contentLength?: boolean } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolvePost, reject) => {
    let answered = false;
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/webhook',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'LineBotWebhook/2.0',
          'x-line-signature': signBody(body),
          ...(contentLength ? { 'content-length': String(body.length) } : { 'transfer-encoding': 'chunked' }),
        },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolvePost({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          req.destroy();
        });
        res.on('error', reject);
      },
    );
    // Once answered, the server may close the connection under the rest of the body: not a failure.
    req.on('error', (err) => !answered && reject(err));
    let sent = 0;
    const sendNext = (): void => {
      if ((answered && !keepSending) || sent > stopAfter) return;
      if (sent >= body.length) return void req.end();
      const chunk = body.subarray(sent, sent + chunkBytes);
      sent += chunk.length;
      req.write(chunk, () => setImmediate(sendNext));
    };
    sendNext();
  });
}

describe('POST /webhook: a body streamed without Content-Length', () => {
  let fake: FakeLine;
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({ lineBaseUrl: fake.url, env: { WEBHOOK_REORDER_WINDOW_MS: '0' } });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  /** A webhook of `count` long text messages (4,000 characters, 12 KB in UTF-8) in one group. */
  const longMessages = (count: number) => {
    const groupId = randomGroupId();
    const userId = randomUserId();
    const events = Array.from({ length: count }, (_, i) =>
      makeTextEvent({ text: `${i} ${'長'.repeat(4000)}`, groupId, userId }),
    );
    return { events, body: Buffer.from(webhookBody(events), 'utf8') };
  };

  it('answers 413 once the body grows past 1 MB, without waiting for its end, and stores none of it', async () => {
    const { events, body } = longMessages(100);
    expect(body.length).toBeGreaterThan(MAX_BODY_BYTES);
    const before = (await inboxRows(t)).length;
    // The client stops writing once past 1 MB: only the server's own count can end this request.
    const res = await postChunked(port, body, { stopAfter: MAX_BODY_BYTES });
    expect({ status: res.status, body: JSON.parse(res.body) }).toEqual({
      status: 413,
      body: { error: 'Request body too large' },
    });
    const rows = await inboxRows(t);
    expect(rows).toHaveLength(before);
    const ids = new Set(events.map((e) => e.webhookEventId));
    expect(rows.filter((r) => ids.has(r.webhookEventId))).toEqual([]);
  });

  it.each([
    ['streamed', false],
    ['with its Content-Length', true],
  ])(
    'lets a client that sends a body over 1 MB to its end (%s) read the 413: the rest is read, not reset',
    async (_how, contentLength) => {
      const { body } = longMessages(150);
      const before = (await inboxRows(t)).length;
      const res = await postChunked(port, body, { keepSending: true, contentLength });
      expect({ status: res.status, body: JSON.parse(res.body) }).toEqual({
        status: 413,
        body: { error: 'Request body too large' },
      });
      expect(await inboxRows(t)).toHaveLength(before);
    },
  );

  it('cuts the connection of a client that never finishes its body, a while after the 413', async () => {
    const { body } = longMessages(150);
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    const closed = new Promise<number>((resolveClose) =>
      socket.once('close', () => resolveClose(Date.now())),
    );
    socket.write(
      'POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        `X-Line-Signature: ${signBody(body)}\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    const part = body.subarray(0, MAX_BODY_BYTES + 1024);
    socket.write(`${part.length.toString(16)}\r\n`);
    socket.write(part);
    socket.write('\r\n');
    await waitFor(() => received.includes('Request body too large'), { what: 'the 413' });
    const answeredAt = Date.now();
    expect(received.startsWith('HTTP/1.1 413')).toBe(true);
    // The body's end never comes: the server stops waiting for it.
    const closedAt = await closed;
    expect(closedAt - answeredAt).toBeGreaterThanOrEqual(1000);
    expect(closedAt - answeredAt).toBeLessThan(10_000);
  });

  it('takes a body under 1 MB streamed the same way', async () => {
    const { events, body } = longMessages(80);
    expect(body.length).toBeLessThan(MAX_BODY_BYTES);
    const res = await postChunked(port, body);
    expect({ status: res.status, body: JSON.parse(res.body) }).toEqual({ status: 200, body: {} });
    const ids = new Set(events.map((e) => e.webhookEventId));
    expect((await inboxRows(t)).filter((r) => ids.has(r.webhookEventId))).toHaveLength(80);
    await waitForInboxDrained(t);
  });
});

describe('POST /webhook without LINE_CHANNEL_SECRET', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { LINE_CHANNEL_SECRET: '' } });
  });
  afterAll(() => t?.close());

  it('refuses every webhook with 503 and stores nothing', async () => {
    const event = makeTextEvent({ text: 'hi', userId: randomUserId() });
    const res = await postWebhook(t, [event]).expect(503);
    expect(res.body).toEqual({ error: 'Webhook is not configured: set LINE_CHANNEL_SECRET' });
    const [{ n }] = await t.app.get(DataSource).query('SELECT COUNT(*) AS n FROM webhook_events');
    expect(Number(n)).toBe(0);
  });
});

describe('POST /webhook with WEBHOOK_FSYNC=on', () => {
  let fake: FakeLine;
  let t: TestApp;
  let walSync: WalSync;
  const handled: string[] = [];

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({
      lineBaseUrl: fake.url,
      env: { WEBHOOK_FSYNC: 'on', WEBHOOK_REORDER_WINDOW_MS: '0' },
    });
    walSync = t.app.get(WalSync);
    t.app.get(EventDispatcher).on('*', 'test.handled', async (_event, ctx) => {
      handled.push(ctx.webhookEventId);
    });
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  it("answers once the events are stored and on the disk (SQLite's WAL flushed; MySQL's commit is the server's)", async () => {
    const mysql = t.app.get(DataSource).options.type === 'mysql';
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const flush = walSync.sync.bind(walSync);
    jest.spyOn(walSync, 'sync').mockImplementationOnce(async () => {
      await held;
      return flush();
    });
    const flushesBefore = walSync.flushes;
    const event = makeTextEvent({ text: 'kept', groupId: randomGroupId(), userId: randomUserId() });
    let answered = false;
    const answer = postWebhook(t, [event]).then((res) => {
      answered = true;
      return res;
    });
    await waitFor(async () => (await inboxRows(t)).some((r) => r.webhookEventId === event.webhookEventId));
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toBe(false);
    release();
    expect((await answer).status).toBe(200);
    expect(walSync.flushes - flushesBefore).toBe(mysql ? 0 : 1);
  });

  it('answers 500 when the flush fails, keeps the events, and takes the redelivery as a repeat', async () => {
    jest
      .spyOn(walSync, 'sync')
      .mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
    const event = makeTextEvent({ text: 'flush failed', groupId: randomGroupId(), userId: randomUserId() });
    const failed = await postWebhook(t, [event]);
    expect({ status: failed.status, body: failed.body }).toEqual({
      status: 500,
      body: { error: 'Internal server error' },
    });
    await postWebhook(t, [redeliver(event)]).expect(200);
    await waitForInboxDrained(t);
    const rows = (await inboxRows(t)).filter((r) => r.webhookEventId === event.webhookEventId);
    expect(rows.map((r) => r.state)).toEqual(['done']);
    expect(handled.filter((id) => id === event.webhookEventId)).toHaveLength(1);
  });
});
