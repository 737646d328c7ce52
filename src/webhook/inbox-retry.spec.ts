import { errorSummary, retryDelayMs } from './inbox-retry';

describe('retryDelayMs', () => {
  const mid = () => 0.5;

  it('doubles from the base per failed attempt up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, 1000, 5000, mid))).toEqual([
      1000, 2000, 4000, 5000, 5000,
    ]);
  });

  it('spreads retries by ±20%', () => {
    expect(retryDelayMs(1, 1000, 60_000, () => 0)).toBe(800);
    expect(retryDelayMs(1, 1000, 60_000, () => 0.999999)).toBe(1200);
  });
});

describe('errorSummary', () => {
  it('keeps the kind and message, bounded', () => {
    expect(errorSummary(new TypeError('bad'))).toBe('TypeError: bad');
    expect(errorSummary('plain')).toBe('plain');
    expect(errorSummary(new Error('x'.repeat(5000)))).toHaveLength(2000);
  });
});
