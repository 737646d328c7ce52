import { QueryFailedError } from 'typeorm';
import { DatabaseOutage } from './database-outage';

/** An error as mysql2 gives it for a connection the server (or the network) reset. */
const connectionReset = () =>
  Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', fatal: true });
const lostStatement = () =>
  new QueryFailedError('SELECT 1', [], Object.assign(new Error('write ECONNRESET'), { code: 'ECONNRESET' }));

describe('DatabaseOutage', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** A database that answers while `up`, and every check made of it. */
  const world = (up = false) => {
    const state = { up, hang: false, checks: [] as number[], recovered: 0 };
    const logger = { warn: jest.fn(), log: jest.fn(), debug: jest.fn() };
    const outage = new DatabaseOutage({
      baseMs: 100,
      maxMs: 1000,
      logger,
      pingTimeoutMs: 500,
      ping: async () => {
        state.checks.push(Date.now());
        // A stalled network: mysql2 neither answers nor fails.
        if (state.hang) return new Promise(() => undefined);
        if (!state.up) throw connectionReset();
      },
    });
    outage.onRecovered(() => state.recovered++);
    return { state, logger, outage };
  };
  /** Lets the promises queued so far settle. */
  const flushPromises = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };

  it('counts a check not answered within its timeout as unreachable, so that nothing waits on it for good', async () => {
    const { state, logger, outage } = world(true);
    state.hang = true;
    const answer = outage.unreachable(connectionReset());
    let settled: boolean | undefined;
    void answer.then((v) => (settled = v));
    jest.advanceTimersByTime(499);
    await flushPromises();
    expect(settled).toBeUndefined();
    jest.advanceTimersByTime(1);
    for (let i = 0; i < 4; i++) await flushPromises(); // the race, the check and their finally steps
    expect(settled).toBe(true);
    expect(outage.down).toBe(true);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    // The network comes back: the next check answers and the worker resumes.
    state.hang = false;
    jest.advanceTimersByTime(100);
    for (let i = 0; i < 4; i++) await flushPromises();
    expect(outage.down).toBe(false);
    expect(state.recovered).toBe(1);
    outage.stop();
  });

  it('leaves every other error to the caller, without a check', async () => {
    const { state, outage } = world();
    expect(await outage.unreachable(new Error('boom'))).toBe(false);
    expect(await outage.unreachable(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(
      false,
    );
    expect(state.checks).toEqual([]);
    expect(outage.down).toBe(false);
  });

  it('takes a lost connection for an ordinary failure when the database answers the check', async () => {
    const { state, logger, outage } = world(true);
    expect(await outage.unreachable(lostStatement())).toBe(false);
    expect(state.checks).toHaveLength(1);
    expect(outage.down).toBe(false);
    expect(logger.warn).not.toHaveBeenCalled();
  });

  it('confirms an outage with one check shared by every caller, and warns once', async () => {
    const { state, logger, outage } = world();
    const answers = await Promise.all(Array.from({ length: 50 }, () => outage.unreachable(lostStatement())));
    expect(answers.every((a) => a)).toBe(true);
    expect(state.checks).toHaveLength(1);
    expect(outage.down).toBe(true);
    // Known now: no further check for the errors that follow.
    expect(await outage.unreachable(connectionReset())).toBe(true);
    expect(state.checks).toHaveLength(1);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0][1]).toMatch(/^Database unreachable/);
    expect(logger.log).not.toHaveBeenCalled();
    outage.stop();
  });

  it('checks again after pauses doubling from the base up to the cap, one at a time', async () => {
    const { state, outage } = world();
    const start = Date.now();
    await outage.unreachable(connectionReset());
    for (let i = 0; i < 7; i++) {
      await jest.advanceTimersByTimeAsync(1000);
      await flushPromises();
    }
    expect(state.checks.map((at) => at - start)).toEqual([
      0, 100, 300, 700, 1500, 2500, 3500, 4500, 5500, 6500,
    ]);
    // One timer at a time, never holding the process open.
    expect(jest.getTimerCount()).toBe(1);
    outage.stop();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('says once that the database is back, resumes its listeners, and starts the next outage from the base again', async () => {
    const { state, logger, outage } = world();
    await outage.unreachable(connectionReset());
    await jest.advanceTimersByTimeAsync(100 + 200 + 400);
    state.up = true;
    await jest.advanceTimersByTimeAsync(800);
    expect(outage.down).toBe(false);
    expect(state.recovered).toBe(1);
    expect(logger.log).toHaveBeenCalledTimes(1);
    expect(logger.log.mock.calls[0][1]).toMatch(/^Database reachable again/);
    expect(logger.log.mock.calls[0][0]).toEqual({ downForMs: 1500, failedChecks: 3 });
    expect(jest.getTimerCount()).toBe(0);

    state.up = false;
    const before = state.checks.length;
    expect(await outage.unreachable(connectionReset())).toBe(true);
    await jest.advanceTimersByTimeAsync(100);
    expect(state.checks.length - before).toBe(2);
    expect(logger.warn).toHaveBeenCalledTimes(2);
    outage.stop();
  });

  it('checks at once when something else shows the database answers', async () => {
    const { state, outage } = world();
    await outage.unreachable(connectionReset());
    await jest.advanceTimersByTimeAsync(100 + 200 + 400); // the next check is 800 ms away
    state.up = true;
    outage.checkSoon();
    await flushPromises();
    expect(outage.down).toBe(false);
    expect(state.recovered).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('stops checking when stopped', async () => {
    const { state, outage } = world();
    await outage.unreachable(connectionReset());
    outage.stop();
    await jest.advanceTimersByTimeAsync(10_000);
    expect(state.checks).toHaveLength(1);
  });
});
