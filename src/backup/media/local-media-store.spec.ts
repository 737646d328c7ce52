import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { LocalMediaStore } from './local-media-store';

const MB = 1024 * 1024;

/** `count` chunks of 1 MB made on demand; `onRead` runs before each one is made. */
function lazySource(count: number, onRead: (index: number) => void = () => undefined): Readable {
  let i = 0;
  return new Readable({
    read() {
      if (i === count) return void this.push(null);
      onRead(i);
      this.push(Buffer.alloc(MB, i % 251));
      i++;
    },
  });
}

function expectedSha(count: number): string {
  const h = createHash('sha256');
  for (let i = 0; i < count; i++) h.update(Buffer.alloc(MB, i % 251));
  return h.digest('hex');
}

describe('LocalMediaStore', () => {
  let root: string;
  let store: LocalMediaStore;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'lgm-media-'));
    store = new LocalMediaStore(root);
    await store.init();
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('stores content under its SHA-256, once for the same bytes', async () => {
    const a = await store.put(Readable.from([Buffer.from('hello '), Buffer.from('world')]));
    const sha = createHash('sha256').update('hello world').digest('hex');
    expect(a).toEqual({ sha256: sha, size: 11 });
    expect(statSync(join(root, sha.slice(0, 2), sha.slice(2, 4), sha)).size).toBe(11);
    const b = await store.put(Readable.from([Buffer.from('hello world')]));
    expect(b).toEqual(a);
    expect(readdirSync(join(root, sha.slice(0, 2), sha.slice(2, 4)))).toEqual([sha]);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
    expect(await text(await store.open(sha, { start: 6, end: 10 }))).toBe('world');
    expect(await store.size(sha)).toBe(11);
    const listed = [];
    for await (const f of store.list()) listed.push(f.sha256);
    expect(listed).toEqual([sha]);
    await store.delete(sha);
    expect(await store.size(sha)).toBeNull();
  });

  it('writes to disk while the source is still producing: 96 MB are never held at once', async () => {
    const chunks = 96;
    let maxLagBytes = 0;
    const source = lazySource(chunks, (index) => {
      const tmpFiles = readdirSync(join(root, 'tmp'));
      const written = tmpFiles.length === 1 ? statSync(join(root, 'tmp', tmpFiles[0])).size : 0;
      maxLagBytes = Math.max(maxLagBytes, index * MB - written);
    });
    const stored = await store.put(source);
    expect(stored).toEqual({ sha256: expectedSha(chunks), size: chunks * MB });
    // Only a few chunks are ever between the source and the file (the rest is garbage to collect).
    expect(maxLagBytes).toBeLessThan(8 * MB);
  });

  it('refuses content of another length than announced and keeps nothing', async () => {
    await expect(store.put(lazySource(2), { expectedSize: 3 * MB })).rejects.toThrow(/cut short/);
    expect(readdirSync(root).sort()).toEqual(['tmp']);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });

  it('keeps nothing when the source fails midway', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(1024));
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(store.put(failing)).rejects.toThrow('connection reset');
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });

  it('clears old half-written downloads on start-up', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(root, 'tmp', 'leftover'), 'x');
    await new LocalMediaStore(root).init();
    expect(readdirSync(join(root, 'tmp'))).toEqual(['leftover']); // maybe another process's download
    await new LocalMediaStore(root).init(Date.now() + 2 * 3600_000);
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });
});
