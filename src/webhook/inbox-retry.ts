/**
 * Delay before attempt `attempts + 1` of a failed event: base doubled per failed attempt, capped,
 * with ±20% jitter so events that failed together do not retry together. `random` is for tests.
 */
export function retryDelayMs(attempts: number, baseMs: number, maxMs: number, random = Math.random): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.max(1, Math.round(exponential * (0.8 + 0.4 * random())));
}

/** What the inbox keeps of an error: its kind and message, never a stack, bounded. */
export function errorSummary(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.length > 2000 ? text.slice(0, 2000) : text;
}
