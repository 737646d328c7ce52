/**
 * When and how long to wait before calling LINE again. Pure: time and randomness come in as arguments,
 * so every rule here is unit-tested without a clock.
 */
export interface RetryPolicy {
  /** Retries after the first attempt (LINE_MAX_RETRIES). */
  maxRetries: number;
  /** Backoff ceiling of the first retry; it doubles with each one. */
  baseDelayMs: number;
  /** The most an exponential backoff waits. */
  maxDelayMs: number;
  /** The most a `Retry-After` header can make us wait: longer answers are cut to this. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 4,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 30_000,
};

/** What a failed attempt looked like. `status` 0 is a timeout or a network failure. */
export interface AttemptFailure {
  status: number;
  /** The raw `Retry-After` header, if LINE sent one. */
  retryAfter?: string | null;
  /** LINE's `message`, used to tell the monthly quota (which no retry fixes) from the rate limit. */
  lineMessage?: string;
}

/** 429 "You have reached your monthly limit." lasts until the month ends: retrying only wastes calls. */
const MONTHLY_LIMIT = /monthly limit/i;

export function isRetriable(failure: AttemptFailure): boolean {
  if (failure.status === 0) return true;
  if (failure.status === 429) return !MONTHLY_LIMIT.test(failure.lineMessage ?? '');
  return failure.status >= 500 && failure.status <= 599;
}

/**
 * `Retry-After` as delay-seconds ("2") or an HTTP date, in milliseconds from `nowMs`;
 * undefined when absent or unreadable. A date in the past means "now" (0).
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const raw = value.trim();
  if (/^\d+$/.test(raw)) return Number(raw) * 1000;
  if (!/[a-z]/i.test(raw)) return undefined;
  const at = Date.parse(raw);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/** "Full jitter": a uniform wait between 0 and min(max, base · 2^(retry-1)). `retry` counts from 1. */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/**
 * How long to wait before retry number `retry` (1 = the first retry) after `failure`,
 * or null when the call must not be retried: not retriable, or retries used up.
 */
export function retryDelayMs(
  retry: number,
  failure: AttemptFailure,
  policy: RetryPolicy,
  now: number,
  random: () => number,
): number | null {
  if (retry > policy.maxRetries || !isRetriable(failure)) return null;
  const retryAfter = parseRetryAfter(failure.retryAfter, now);
  if (retryAfter !== undefined) return Math.min(retryAfter, policy.maxRetryAfterMs);
  return backoffDelayMs(retry, policy, random);
}
