import { Logger } from '@nestjs/common';
import { StoreDeadline } from './store-deadline';
import { StorageUnavailableError } from './webhook.errors';

/** A store whose end the test decides. */
function pendingStore<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The outcome of a promise so far, without waiting for it. */
function watch<T>(p: Promise<T>) {
  const seen: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  p.then(
    (value) => Object.assign(seen, { value, settled: true }),
    (error: unknown) => Object.assign(seen, { error, settled: true }),
  );
  return seen;
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('StoreDeadline', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  describe('with fake timers', () => {
    beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));
    afterEach(() => jest.useRealTimers());

    it('answers what the store answers when it ends in time, and leaves no timer behind', async () => {
      const deadline = new StoreDeadline(1500);
      const store = pendingStore<number>();
      const answer = watch(deadline.within(store.promise));
      jest.advanceTimersByTime(1000);
      store.resolve(3);
      await flush();
      expect(answer).toEqual({ value: 3, settled: true });
      // The one timer fires once more, finds nothing due, and is not armed again.
      jest.advanceTimersByTime(500);
      expect(jest.getTimerCount()).toBe(0);
      expect(deadline.stalled).toBe(false);

      const failing = pendingStore<number>();
      const failed = watch(deadline.within(failing.promise));
      failing.reject(new Error('duplicate entry'));
      await flush();
      expect(failed.error).toEqual(new Error('duplicate entry'));
      expect(deadline.stalled).toBe(false);
    });

    it('answers StorageUnavailableError at the deadline and is stalled until that store ends', async () => {
      const deadline = new StoreDeadline(1500);
      const stuck = pendingStore<number>();
      const answer = watch(deadline.within(stuck.promise));
      jest.advanceTimersByTime(1499);
      await flush();
      expect(answer.settled).toBe(false);
      expect(deadline.stalled).toBe(false);
      jest.advanceTimersByTime(1);
      await flush();
      expect(answer.error).toBeInstanceOf(StorageUnavailableError);
      expect((answer.error as StorageUnavailableError).status).toBe(503);
      expect(deadline.stalled).toBe(true);
      expect(deadline.refuse()).toBeInstanceOf(StorageUnavailableError);

      // It ends late, stored: its answer was given, and webhooks are taken again.
      stuck.resolve(1);
      await flush();
      expect(deadline.stalled).toBe(false);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('ends the stall when the late store fails too', async () => {
      const deadline = new StoreDeadline(100);
      const stuck = pendingStore<number>();
      const answer = watch(deadline.within(stuck.promise));
      jest.advanceTimersByTime(100);
      await flush();
      expect(answer.error).toBeInstanceOf(StorageUnavailableError);
      stuck.reject(new Error('connection reset'));
      await flush();
      // The first answer stands: the late failure changes nothing for the webhook.
      expect(answer.error).toBeInstanceOf(StorageUnavailableError);
      expect(deadline.stalled).toBe(false);
    });

    it('gives each store its own deadline with one timer for all of them', async () => {
      const deadline = new StoreDeadline(1000);
      const stores = Array.from({ length: 100 }, () => pendingStore<number>());
      const answers = stores.slice(0, 50).map((s) => watch(deadline.within(s.promise)));
      jest.advanceTimersByTime(400);
      answers.push(...stores.slice(50).map((s) => watch(deadline.within(s.promise))));
      expect(jest.getTimerCount()).toBe(1);
      // The first ten end in time; the other forty of the first half are refused at 1000 ms.
      stores.slice(0, 10).forEach((s) => s.resolve(1));
      await flush();
      jest.advanceTimersByTime(600);
      await flush();
      expect(answers.map((a) => (a.error ? 'refused' : a.settled ? 'stored' : 'waiting'))).toEqual([
        ...Array<string>(10).fill('stored'),
        ...Array<string>(40).fill('refused'),
        ...Array<string>(50).fill('waiting'),
      ]);
      expect(deadline.stalled).toBe(true);
      expect(jest.getTimerCount()).toBe(1);
      // The second half is due at 1400 ms: at 1399 nothing more, at 1400 all of it.
      jest.advanceTimersByTime(399);
      await flush();
      expect(answers.filter((a) => a.error)).toHaveLength(40);
      jest.advanceTimersByTime(1);
      await flush();
      expect(answers.filter((a) => a.error)).toHaveLength(90);
      expect(jest.getTimerCount()).toBe(0);
      // Stalled until every store that passed its deadline has ended.
      stores.slice(10, 99).forEach((s) => s.resolve(1));
      await flush();
      expect(deadline.stalled).toBe(true);
      stores[99].resolve(0);
      await flush();
      expect(deadline.stalled).toBe(false);
    });
  });

  it('keeps no process alive: its timer is unref’d', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const deadline = new StoreDeadline(100);
    const stuck = pendingStore<number>();
    const answer = deadline.within(stuck.promise);
    expect(timers()).toBe(before);
    await expect(answer).rejects.toBeInstanceOf(StorageUnavailableError);
    stuck.resolve(0);
  });
});
