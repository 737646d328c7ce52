import type { Readable } from 'node:stream';

export const MEDIA_STORE = Symbol('MEDIA_STORE');

export interface StoredContent {
  sha256: string;
  size: number;
}

/** Inclusive byte range. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where media bytes live, content-addressed by SHA-256 (the same bytes are stored once). Local disk
 * now; an S3-compatible bucket is another implementation of the same four calls.
 */
export interface MediaStore {
  /**
   * Streams `source` in (never whole in memory) and answers its hash and size. With `expectedSize`,
   * content of another length is refused (a cut download) and nothing is stored.
   */
  put(source: Readable, opts?: { expectedSize?: number }): Promise<StoredContent>;
  /** The stored size, or null when the store has no such content. */
  size(sha256: string): Promise<number | null>;
  open(sha256: string, range?: ByteRange): Promise<Readable>;
  delete(sha256: string): Promise<void>;
  /** Every stored hash with when it was written (for the sweep of unreferenced content). */
  list(): AsyncIterable<{ sha256: string; modifiedAt: Date }>;
}
