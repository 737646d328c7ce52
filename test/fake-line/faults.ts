import type { ErrorDetail, Failure } from './types';

interface Fault {
  method: string;
  path: string | RegExp;
  failure: Failure;
  remaining: number;
}

/** LINE's own wording for the failures tests inject most. */
const DEFAULT_MESSAGES: Record<number, string> = {
  400: 'The request body has 1 error(s)',
  401: 'Authentication failed. Confirm that the access token in the authorization header is valid.',
  403: 'Access to this API is not available for your account',
  404: 'Not found',
  409: 'The retry key is already accepted',
  413: 'Request entity too large',
  429: 'The API rate limit has been exceeded. Try again later.',
  500: 'Internal server error',
  503: 'Service unavailable',
};

export function defaultMessage(status: number): string {
  return DEFAULT_MESSAGES[status] ?? `HTTP ${status}`;
}

/** Failures queued by `failNext`, consumed in the order they were added. */
export class FaultQueue {
  private faults: Fault[] = [];

  add(method: string, path: string | RegExp, failure: Failure, times: number): void {
    if (!Number.isInteger(times) || times < 1) throw new Error(`failNext: times must be >= 1, got ${times}`);
    this.faults.push({ method: method.toUpperCase(), path, failure, remaining: times });
  }

  /** Takes one use of the first fault matching this request, if any. */
  take(method: string, path: string): Failure | undefined {
    const fault = this.faults.find((f) => f.method === method && matchesPath(f.path, path));
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.faults.splice(this.faults.indexOf(fault), 1);
    return fault.failure;
  }

  /** How many injected failures are still waiting to be consumed. */
  pending(): number {
    return this.faults.reduce((sum, f) => sum + f.remaining, 0);
  }

  clear(): void {
    this.faults = [];
  }
}

export function matchesPath(pattern: string | RegExp, path: string): boolean {
  if (typeof pattern === 'string') return pattern === path;
  pattern.lastIndex = 0;
  return pattern.test(path);
}

export interface ErrorAnswer {
  status: number;
  body: { message: string; details?: ErrorDetail[] };
  headers: Record<string, string>;
}

export function failureAnswer(failure: Exclude<Failure, string>): ErrorAnswer {
  const headers: Record<string, string> = {};
  if (failure.retryAfterSeconds !== undefined) headers['retry-after'] = String(failure.retryAfterSeconds);
  const body: ErrorAnswer['body'] = { message: failure.message ?? defaultMessage(failure.status) };
  if (failure.details) body.details = failure.details;
  return { status: failure.status, body, headers };
}
