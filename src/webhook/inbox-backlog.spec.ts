import { InboxBacklog, LONGEST_WAIT_MS } from './inbox-backlog';

describe('InboxBacklog', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const started = (limit: number, pending = 0, waitMs = 100) => {
    const backlog = new InboxBacklog(limit, waitMs);
    backlog.start(pending);
    return backlog;
  };
  /** Whether the promise has settled, after the microtasks queued so far. */
  const settledYet = async (p: Promise<void> | undefined) => {
    if (!p) return true;
    let done = false;
    void p.then(() => (done = true));
    await Promise.resolve();
    await Promise.resolve();
    return done;
  };

  it('admits at once while the backlog is under its limit, and counts what it admits', () => {
    const backlog = started(10, 8);
    expect(backlog.admit(5)).toBeUndefined();
    expect(backlog.size).toBe(13);
  });

  it('counts failed rows put back in the queue, so that their outcomes do not lower the count below it', () => {
    const backlog = started(10, 4);
    backlog.requeued(3);
    expect(backlog.size).toBe(7);
    backlog.settled(3);
    expect(backlog.size).toBe(4);
  });

  it('holds a webhook once the limit is reached, until processing makes room', async () => {
    const backlog = started(10, 10);
    const wait = backlog.admit(3);
    expect(wait).toBeDefined();
    expect(await settledYet(wait)).toBe(false);
    backlog.settled(1);
    expect(await settledYet(wait)).toBe(true);
    expect(backlog.size).toBe(12);
  });

  it('lets waiting webhooks through in the order they came', async () => {
    const backlog = started(2, 2);
    const order: string[] = [];
    const first = backlog.admit(1)!.then(() => order.push('first'));
    const second = backlog.admit(1)!.then(() => order.push('second'));
    // Room for one: the second waits although the first's events could be counted later.
    backlog.settled(1);
    await first;
    expect(order).toEqual(['first']);
    backlog.settled(1);
    await second;
    expect(order).toEqual(['first', 'second']);
  });

  it('lets through as many waiting webhooks as there is room for at once', async () => {
    const backlog = started(4, 4);
    const waits = [backlog.admit(1), backlog.admit(1), backlog.admit(1)];
    backlog.settled(2);
    expect(await Promise.all(waits.map(settledYet))).toEqual([true, true, false]);
    expect(backlog.size).toBe(4);
  });

  it('stores a webhook anyway after the longest wait', async () => {
    const backlog = started(10, 10, 100);
    const wait = backlog.admit(2);
    jest.advanceTimersByTime(99);
    expect(await settledYet(wait)).toBe(false);
    jest.advanceTimersByTime(1);
    expect(await settledYet(wait)).toBe(true);
    expect(backlog.size).toBe(12);
  });

  it('keeps the order they came when a later webhook has the shorter wait (the backlog shrank)', async () => {
    const backlog = started(100, 200, 15);
    const order: string[] = [];
    void backlog.admit(1)!.then(() => order.push('first'));
    backlog.settled(80);
    void backlog.admit(1)!.then(() => order.push('second'));
    // The second one's wait (about 200 ms) ends long before the first one's (1 s).
    jest.advanceTimersByTime(300);
    await Promise.resolve();
    expect(order).toEqual(['first', 'second']);
  });

  it('waits longer the further the backlog is over its limit, up to a second at twice the limit', () => {
    const waitAt = (pending: number) => started(1000, pending, 20).longestWait();
    expect(waitAt(1000)).toBe(20);
    expect(waitAt(1500)).toBe(510);
    expect(waitAt(2000)).toBe(LONGEST_WAIT_MS);
    expect(waitAt(50_000)).toBe(LONGEST_WAIT_MS);
  });

  it('hands back what was reserved and not stored (duplicates, a failed commit)', () => {
    const backlog = started(10, 0);
    backlog.admit(5);
    backlog.inserted(5, 3);
    expect(backlog.size).toBe(3);
    backlog.admit(2);
    backlog.inserted(2, 2);
    expect(backlog.size).toBe(5);
  });

  it('takes its count from the table at a recount, plus the webhooks whose insert has not ended', () => {
    const backlog = started(100, 10);
    backlog.admit(4);
    backlog.admit(3);
    backlog.inserted(3, 3);
    // The table holds 20 pending rows (another process put 7 back): the 4 reserved are not in it yet.
    backlog.recount(20);
    expect(backlog.size).toBe(24);
    backlog.inserted(4, 4);
    expect(backlog.size).toBe(24);
    backlog.settled(24);
    expect(backlog.size).toBe(0);
  });

  it('errs high, until the next recount, where a scan saw rows whose insert had not ended here', () => {
    const backlog = started(100, 0);
    backlog.admit(2);
    // The insert committed; the scan's count came back before the insert's end did.
    backlog.recount(2);
    backlog.inserted(2, 2);
    expect(backlog.size).toBe(4);
    backlog.recount(2);
    expect(backlog.size).toBe(2);
  });

  it('lets waiting webhooks through when a recount finds room', async () => {
    const backlog = started(10, 10);
    const wait = backlog.admit(2);
    expect(await settledYet(wait)).toBe(false);
    backlog.recount(12);
    expect(await settledYet(wait)).toBe(false);
    backlog.recount(6);
    expect(await settledYet(wait)).toBe(true);
    expect(backlog.size).toBe(8);
  });

  it('never counts below zero (rows stored by another process were processed here)', () => {
    const backlog = started(10, 1);
    backlog.settled(4);
    expect(backlog.size).toBe(0);
  });

  it('holds nothing where this process does not drain the inbox, or with no limit', () => {
    const notStarted = new InboxBacklog(1, 100);
    expect(notStarted.admit(50)).toBeUndefined();
    const unlimited = started(0, 1_000_000);
    expect(unlimited.admit(50)).toBeUndefined();
  });

  it('lets every waiting webhook through when it stops (shutdown)', async () => {
    const backlog = started(1, 1);
    const waits = [backlog.admit(1), backlog.admit(2)];
    backlog.stop();
    for (const w of waits) expect(await settledYet(w)).toBe(true);
    expect(backlog.admit(1)).toBeUndefined();
  });
});
