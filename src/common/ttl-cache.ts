/**
 * Entries each per-event read cache keeps: far more chats or senders than are active within one
 * TTL in a busy deployment, so entries expire before the bound evicts them, while memory stays at
 * a few MB however many chats exist. (At the benchmark's full drain rate, over 10,000 events/s of
 * wholly distinct senders would evict early: that costs a re-read, never a wrong answer.)
 */
export const EVENT_CACHE_ENTRIES = 10_000;

/** How long another process's write may go unseen by a per-event read cache. */
export const EVENT_CACHE_TTL_MS = 1000;

export interface TtlCacheOptions {
  maxEntries: number;
  /** Default time to live of an entry; Infinity keeps it until evicted or deleted. */
  ttlMs: number;
  /** Milliseconds; monotonic by default, so a wall-clock change cannot stretch a TTL. */
  now?: () => number;
}

interface Entry<V> {
  value: V;
  expiresAt: number;
}

/**
 * A bounded LRU map whose entries expire. For values read from the database:
 *
 *     const since = cache.stamp();
 *     const value = await read();
 *     cache.set(key, value, { since });
 *
 * `set` then stores nothing if a `delete` or `clear` ran meanwhile (for any key), so a read that
 * raced a write and its invalidation cannot put the old value back.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly now: () => number;
  private invalidations = 0;

  constructor(private readonly options: TtlCacheOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  /** A mark to pass to `set` as `since`, taken before reading the value. */
  stamp(): number {
    return this.invalidations;
  }

  set(key: K, value: V, opts: { ttlMs?: number; since?: number } = {}): void {
    if (opts.since !== undefined && opts.since !== this.invalidations) return;
    const now = this.now();
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: now + (opts.ttlMs ?? this.options.ttlMs) });
    // Least recently used first: over the bound, or expired at the front (dropped without a sweep).
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.options.maxEntries && entry.expiresAt > now) break;
      this.entries.delete(oldest);
    }
  }

  /** Also voids every read stamped before it, even when `key` is not cached. */
  delete(key: K): void {
    this.invalidations++;
    this.entries.delete(key);
  }

  clear(): void {
    this.invalidations++;
    this.entries.clear();
  }
}
