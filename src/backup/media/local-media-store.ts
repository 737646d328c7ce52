import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, opendir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ByteRange, MediaStore, StoredContent } from './media-store';

const SHA256 = /^[0-9a-f]{64}$/;
const STALE_TMP_MS = 3600_000;

/**
 * Content under `root/ab/cd/<sha256>`. A download is written to `root/tmp/`, hashed on the way,
 * flushed to disk, then renamed into place: a file under its hash is always complete.
 */
export class LocalMediaStore implements MediaStore {
  private readonly tmpDir: string;

  constructor(private readonly root: string) {
    this.tmpDir = join(root, 'tmp');
  }

  /**
   * Removes downloads a crash left half-written. Only old ones: another process sharing this
   * directory may be writing the fresh ones.
   */
  async init(now = Date.now()): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    for (const name of await readdir(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      const info = await stat(path).catch(() => null);
      if (info && now - info.mtimeMs > STALE_TMP_MS) await rm(path, { recursive: true, force: true });
    }
  }

  pathOf(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error('Not a SHA-256 hex digest');
    return join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async put(source: Readable, opts: { expectedSize?: number } = {}): Promise<StoredContent> {
    await mkdir(this.tmpDir, { recursive: true });
    const tmp = join(this.tmpDir, randomUUID());
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    // `flush`: the bytes are on disk before the file is renamed under its hash.
    const file = createWriteStream(tmp, { flags: 'wx', flush: true });
    try {
      await pipeline(source, meter, file);
      if (opts.expectedSize !== undefined && size !== opts.expectedSize) {
        throw new Error(`Content cut short: ${size} of ${opts.expectedSize} bytes`);
      }
    } catch (err) {
      // A source that fails at once can leave the file still opening: removed before it existed,
      // it would be created afterwards and left behind.
      if (!file.closed) await new Promise<void>((resolve) => file.once('close', () => resolve()));
      await rm(tmp, { force: true });
      throw err;
    }
    const sha256 = hash.digest('hex');
    const dest = this.pathOf(sha256);
    await mkdir(dirname(dest), { recursive: true });
    // Same name, same bytes: replacing an existing copy is harmless and atomic.
    await rename(tmp, dest);
    return { sha256, size };
  }

  async size(sha256: string): Promise<number | null> {
    try {
      return (await stat(this.pathOf(sha256))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async open(sha256: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(sha256);
    await stat(path);
    return createReadStream(path, range ? { start: range.start, end: range.end } : {});
  }

  async delete(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  async *list(): AsyncIterable<{ sha256: string; modifiedAt: Date }> {
    for (const a of await dirNames(this.root)) {
      if (!/^[0-9a-f]{2}$/.test(a)) continue;
      for (const b of await dirNames(join(this.root, a))) {
        const dir = await opendir(join(this.root, a, b));
        for await (const entry of dir) {
          if (!entry.isFile() || !SHA256.test(entry.name)) continue;
          const info = await stat(join(this.root, a, b, entry.name)).catch(() => null);
          if (info) yield { sha256: entry.name, modifiedAt: info.mtime };
        }
      }
    }
  }
}

async function dirNames(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
