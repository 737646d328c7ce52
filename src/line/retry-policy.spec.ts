import {
  backoffDelayMs,
  DEFAULT_RETRY_POLICY,
  isRetriable,
  parseRetryAfter,
  RetryPolicy,
  retryDelayMs,
} from './retry-policy';

const policy: RetryPolicy = { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 };
const NOW = Date.parse('2025-01-01T00:00:00Z');
const max = () => 0.999999;
const min = () => 0;

describe('isRetriable', () => {
  it.each([0, 429, 500, 502, 503, 504, 599])('retries %i', (status) => {
    expect(isRetriable({ status })).toBe(true);
  });

  it.each([200, 400, 401, 403, 404, 409, 413, 600])('does not retry %i', (status) => {
    expect(isRetriable({ status })).toBe(false);
  });

  it('retries the rate limit but not the monthly quota', () => {
    const rate = 'The API rate limit has been exceeded. Try again later.';
    expect(isRetriable({ status: 429, lineMessage: rate })).toBe(true);
    expect(isRetriable({ status: 429, lineMessage: 'You have reached your monthly limit.' })).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('1', NOW)).toBe(1_000);
    expect(parseRetryAfter(' 120 ', NOW)).toBe(120_000);
    expect(parseRetryAfter('0', NOW)).toBe(0);
  });

  it('reads an HTTP date relative to now', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:07 GMT', NOW)).toBe(7_000);
  });

  it('treats a date in the past as now', () => {
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', NOW)).toBe(0);
  });

  it.each([undefined, null, '', '-1', '1.5', 'soon', '12abc'])('ignores %p', (value) => {
    expect(parseRetryAfter(value, NOW)).toBeUndefined();
  });
});

describe('backoffDelayMs (full jitter)', () => {
  it('doubles the ceiling with each retry', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, policy, max))).toEqual([99, 199, 399, 799]);
  });

  it('never exceeds maxDelayMs', () => {
    expect(backoffDelayMs(10, policy, max)).toBe(999);
    expect(backoffDelayMs(60, policy, max)).toBe(999);
  });

  it('can be anywhere from zero up to the ceiling', () => {
    expect(backoffDelayMs(3, policy, min)).toBe(0);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(200);
  });

  it('spreads delays out', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const delays = Array.from({ length: 200 }, () => backoffDelayMs(4, policy, random));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(800);
    expect(new Set(delays).size).toBeGreaterThan(100);
  });
});

describe('retryDelayMs', () => {
  it('allows exactly maxRetries retries', () => {
    const failure = { status: 500 };
    expect(retryDelayMs(1, failure, policy, NOW, max)).not.toBeNull();
    expect(retryDelayMs(3, failure, policy, NOW, max)).not.toBeNull();
    expect(retryDelayMs(4, failure, policy, NOW, max)).toBeNull();
  });

  it('never retries with maxRetries 0', () => {
    expect(retryDelayMs(1, { status: 0 }, { ...policy, maxRetries: 0 }, NOW, max)).toBeNull();
  });

  it('does not retry a non-retriable status', () => {
    expect(retryDelayMs(1, { status: 400, lineMessage: 'Invalid reply token' }, policy, NOW, max)).toBeNull();
    expect(retryDelayMs(1, { status: 409 }, policy, NOW, max)).toBeNull();
  });

  it('waits what Retry-After says instead of the backoff', () => {
    expect(retryDelayMs(1, { status: 429, retryAfter: '2' }, policy, NOW, min)).toBe(2_000);
    expect(
      retryDelayMs(1, { status: 503, retryAfter: 'Wed, 01 Jan 2025 00:00:03 GMT' }, policy, NOW, min),
    ).toBe(3_000);
  });

  it('caps a long Retry-After', () => {
    expect(retryDelayMs(1, { status: 429, retryAfter: '3600' }, policy, NOW, min)).toBe(5_000);
  });

  it('falls back to the backoff when Retry-After is unreadable', () => {
    expect(retryDelayMs(2, { status: 429, retryAfter: 'later' }, policy, NOW, max)).toBe(199);
  });

  it('has sane defaults', () => {
    expect(DEFAULT_RETRY_POLICY.maxRetryAfterMs).toBeLessThanOrEqual(60_000);
    expect(DEFAULT_RETRY_POLICY.baseDelayMs).toBeLessThan(DEFAULT_RETRY_POLICY.maxDelayMs);
  });
});
