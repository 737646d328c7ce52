import { withinTime } from './within-time';

describe('withinTime', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it("answers the work's outcome when it ends in time, and clears its timer", async () => {
    await expect(withinTime(Promise.resolve(7), 100, () => new Error('late'))).resolves.toBe(7);
    await expect(withinTime(Promise.reject(new Error('own')), 100, () => new Error('late'))).rejects.toThrow(
      'own',
    );
    expect(jest.getTimerCount()).toBe(0);
  });

  it('answers the timeout error once the time has passed, without waiting for the work', async () => {
    const answer = withinTime(new Promise<number>(() => undefined), 100, () => new Error('late'));
    jest.advanceTimersByTime(100);
    await expect(answer).rejects.toThrow('late');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('does not keep the process alive for work that never ends', () => {
    jest.useRealTimers();
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    void withinTime(new Promise(() => undefined), 60_000, () => new Error('late')).catch(() => undefined);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(before);
  });
});
