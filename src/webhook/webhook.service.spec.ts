import { createHmac } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import type { Settings } from '../config/settings';
import { QueryFailedError } from 'typeorm';
import { WalSync } from '../database/wal-sync';
import { DatabaseOutage } from './database-outage';
import { InboxBacklog } from './inbox-backlog';
import type { InboxProcessor } from './inbox-processor';
import type { InboxStore } from './inbox.store';
import { StorageUnavailableError } from './webhook.errors';
import { WebhookService } from './webhook.service';

const SECRET = 'store-deadline-secret';
const TIMEOUT_MS = 1500;

/** A signed body of `n` text events of one group. */
function signedBody(ids: string[]): { body: Buffer; signature: string } {
  const events = ids.map((id, i) => ({
    type: 'message',
    mode: 'active',
    timestamp: 1_700_000_000_000 + i,
    source: { type: 'group', groupId: 'Cgroup', userId: 'Uuser' },
    webhookEventId: id,
    deliveryContext: { isRedelivery: false },
    message: { type: 'text', id: `m-${id}`, text: 'hi' },
  }));
  const body = Buffer.from(JSON.stringify({ destination: 'Ubot', events }));
  return { body, signature: createHmac('sha256', SECRET).update(body).digest('base64') };
}

/** Inserts that end when the test says. */
class FakeStore {
  readonly calls: Array<{ ids: string[]; end: (stored: number) => void; fail: (e: Error) => void }> = [];
  insert(events: Array<{ webhookEventId: string }>): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.calls.push({ ids: events.map((e) => e.webhookEventId), end: resolve, fail: reject });
    });
  }
}

function world(database: 'mysql' | 'sqlite') {
  const store = new FakeStore();
  const backlog = new InboxBacklog(1000, 15);
  backlog.start(0);
  const notified: string[][] = [];
  const processor = {
    notify: (earliest: ReadonlyMap<string | null, number>) => notified.push([...earliest.keys()] as string[]),
  } as unknown as InboxProcessor;
  const settings = {
    line: { channelSecret: SECRET },
    webhook: { reorderWindowMs: 200, storeTimeoutMs: TIMEOUT_MS },
    database: { type: database },
  };
  const config = { get: (key: keyof typeof settings) => settings[key] } as unknown as ConfigService<
    Settings,
    true
  >;
  const pings = { answer: true, count: 0 };
  const outage = new DatabaseOutage({
    baseMs: 100,
    maxMs: 1000,
    pingTimeoutMs: 1000,
    ping: async () => {
      pings.count++;
      if (!pings.answer) throw unreachable();
    },
  });
  const service = new WebhookService(
    store as unknown as InboxStore,
    backlog,
    new WalSync(undefined),
    processor,
    outage,
    config,
  );
  const receive = (ids: string[]) => {
    const { body, signature } = signedBody(ids);
    const seen: { value?: unknown; error?: unknown; settled: boolean } = { settled: false };
    service.receive(body, signature).then(
      (value) => Object.assign(seen, { value, settled: true }),
      (error: unknown) => Object.assign(seen, { error, settled: true }),
    );
    return seen;
  };
  return { store, backlog, notified, receive, outage, pings };
}

/** What TypeORM throws for a statement whose connection was reset. */
const unreachable = () =>
  new QueryFailedError('INSERT', [], Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));

const turn = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('WebhookService: the deadline on storing a webhook', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('on MySQL answers 503 at the deadline, refuses the next webhooks without storing them, and settles the late insert when it ends', async () => {
    const { store, backlog, notified, receive } = world('mysql');
    // In time: answered as before.
    const ok = receive(['e0']);
    await turn();
    jest.advanceTimersByTime(TIMEOUT_MS - 1);
    store.calls[0].end(1);
    await turn();
    expect(ok.value).toEqual({ received: 1, stored: 1 });
    expect(notified).toEqual([['Cgroup']]);
    store.calls.shift();
    notified.length = 0;
    backlog.settled(1);

    const stuck = receive(['e1', 'e2']);
    await turn();
    expect(store.calls).toHaveLength(1);
    expect(backlog.size).toBe(2);
    jest.advanceTimersByTime(TIMEOUT_MS);
    await turn();
    expect(stuck.error).toBeInstanceOf(StorageUnavailableError);

    // Stalled: refused at once, not queued, nothing reserved.
    const refused = receive(['e3']);
    await turn();
    expect(refused.error).toBeInstanceOf(StorageUnavailableError);
    expect(store.calls).toHaveLength(1);
    expect(backlog.size).toBe(2);
    expect(notified).toEqual([]);

    // The insert ends late with both rows stored: they are pending, and the worker is told.
    store.calls[0].end(2);
    await turn();
    expect(backlog.size).toBe(2);
    expect(notified).toEqual([['Cgroup']]);
    // Taken again; a failed late insert gives its reservation back.
    const next = receive(['e4']);
    await turn();
    expect(store.calls).toHaveLength(2);
    expect(backlog.size).toBe(3);
    jest.advanceTimersByTime(TIMEOUT_MS);
    await turn();
    expect(next.error).toBeInstanceOf(StorageUnavailableError);
    store.calls[1].fail(new Error('connection lost'));
    await turn();
    expect(backlog.size).toBe(2);
    expect(notified).toHaveLength(1);
    // A late insert that found its events already there gives their reservation back too.
    const repeat = receive(['e1']);
    await turn();
    jest.advanceTimersByTime(TIMEOUT_MS);
    await turn();
    expect(repeat.error).toBeInstanceOf(StorageUnavailableError);
    store.calls[2].end(0);
    await turn();
    expect(backlog.size).toBe(2);
  });

  it('on SQLite has no deadline and no timer: the answer waits for the insert (as before the deadline)', async () => {
    const { store, receive } = world('sqlite');
    const slow = receive(['e1']);
    await turn();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(10 * TIMEOUT_MS);
    await turn();
    expect(slow.settled).toBe(false);
    store.calls[0].end(1);
    await turn();
    expect(slow.value).toEqual({ received: 1, stored: 1 });
  });
});

describe('WebhookService: a database that cannot be reached', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  it('answers 503 at once for a database that cannot be reached, has the outage confirmed once, and any other failure as it was', async () => {
    const { store, receive, outage, pings } = world('mysql');
    pings.answer = false;
    const first = receive(['e1']);
    await turn();
    store.calls[0].fail(unreachable());
    await turn();
    expect(first.error).toBeInstanceOf(StorageUnavailableError);
    expect(pings.count).toBe(1);
    expect(outage.down).toBe(true);
    // Known down: no further check per webhook.
    const second = receive(['e2']);
    await turn();
    store.calls[1].fail(unreachable());
    await turn();
    expect(second.error).toBeInstanceOf(StorageUnavailableError);
    expect(pings.count).toBe(1);
    // A failure of the statement itself stays what it was (a 500 with the row refused, for example).
    const bad = new Error('ER_DATA_TOO_LONG');
    const third = receive(['e3']);
    await turn();
    store.calls[2].fail(bad);
    await turn();
    expect(third.error).toBe(bad);
    outage.stop();
  });

  it('does not wait for the check to answer: a check that hangs (a stalled network) still gets a 503 at once', async () => {
    const { store, receive, outage } = world('mysql');
    const hung = jest.spyOn(outage, 'unreachable').mockReturnValue(new Promise<boolean>(() => undefined));
    const r = receive(['e1']);
    await turn();
    store.calls[0].fail(unreachable());
    await turn();
    expect(hung).toHaveBeenCalledTimes(1);
    expect(r.error).toBeInstanceOf(StorageUnavailableError);
  });

  it('leaves the worker running when the check finds the database answering (one connection lost)', async () => {
    const { store, receive, outage, pings } = world('mysql');
    const r = receive(['e1']);
    await turn();
    store.calls[0].fail(unreachable());
    await turn();
    expect(pings.count).toBe(1);
    expect(r.error).toBeInstanceOf(StorageUnavailableError);
    expect(outage.down).toBe(false);
  });
});
