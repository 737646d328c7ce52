import { HTTPFetchError } from '@line/bot-sdk';
import { LineApiError } from './line-api.error';

/** Why an attempt's signal was aborted; tells a timeout from a shutdown. */
export class AttemptTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`LINE API call timed out after ${timeoutMs} ms`);
  }
}

export class ClientClosing extends Error {
  constructor() {
    super('LINE client is shutting down');
  }
}

/** Turns what an SDK call or `fetch` threw into a LineApiError (HTTP status, or 0 for timeout/network). */
export function toLineApiError(err: unknown, signal: AbortSignal): LineApiError {
  if (err instanceof LineApiError) return err;
  if (err instanceof HTTPFetchError) return fromResponse(err.status, err.headers, err.body);
  if (signal.aborted) {
    const reason = signal.reason as unknown;
    const message = reason instanceof Error ? reason.message : 'LINE API call aborted';
    return new LineApiError(message, { status: 0 });
  }
  const cause = (err as { cause?: { code?: unknown } })?.cause?.code;
  const what = typeof cause === 'string' ? cause : err instanceof Error ? err.message : 'unknown error';
  return new LineApiError(`LINE API call failed (${what})`, { status: 0 });
}

/** An error answer: `{ message, details? }` and `x-line-request-id`, as LINE documents them. */
export function fromResponse(status: number, headers: Headers, text: string): LineApiError {
  const body = parseJson(text);
  const fields = (body ?? {}) as { message?: unknown; details?: unknown };
  const lineMessage = typeof fields.message === 'string' ? fields.message : undefined;
  return new LineApiError(`LINE API answered ${status}${lineMessage ? `: ${lineMessage}` : ''}`, {
    status,
    lineMessage,
    details: Array.isArray(fields.details) ? (fields.details as LineApiError['details']) : undefined,
    requestId: headers.get('x-line-request-id') ?? undefined,
    retryAfter: headers.get('retry-after') ?? undefined,
    acceptedRequestId: headers.get('x-line-accepted-request-id') ?? undefined,
    body,
  });
}

/**
 * GET of message content with `signal` covering the headers only: once they are in, the body belongs
 * to the caller and neither a timeout nor a shutdown cuts it off. Error answers come out as LineApiError.
 */
export async function fetchContent(url: string, token: string, signal: AbortSignal): Promise<Response> {
  const headersPhase = new AbortController();
  const forward = () => headersPhase.abort(signal.reason);
  signal.addEventListener('abort', forward, { once: true });
  try {
    const init = { headers: { Authorization: `Bearer ${token}` }, signal: headersPhase.signal };
    const response = await fetch(url, init);
    if (!response.ok) throw fromResponse(response.status, response.headers, await response.text());
    return response;
  } finally {
    signal.removeEventListener('abort', forward);
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
