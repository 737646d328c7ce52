import { mediaRetryDelayMs } from './media-fetcher.service';

describe('mediaRetryDelayMs', () => {
  const settings = { mediaRetryBaseMs: 5000, mediaRetryMaxMs: 600_000 };

  it('doubles from the base after each failed attempt, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((a) => mediaRetryDelayMs(a, settings))).toEqual([
      5000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 600_000, 600_000,
    ]);
  });

  it('gives content that is not ready (defaults: 12 attempts) about 50 minutes', () => {
    const total = Array.from({ length: 11 }, (_, i) => mediaRetryDelayMs(i + 1, settings)).reduce(
      (a, b) => a + b,
    );
    expect(total).toBe(3_035_000);
  });
});
