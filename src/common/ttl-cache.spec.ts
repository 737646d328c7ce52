import { TtlCache } from './ttl-cache';

function setup(maxEntries = 3, ttlMs = 1000) {
  const clock = { t: 0 };
  const cache = new TtlCache<string, number>({ maxEntries, ttlMs, now: () => clock.t });
  return { cache, clock };
}

describe('TtlCache', () => {
  it('answers a value until its TTL has passed, then forgets it', () => {
    const { cache, clock } = setup();
    cache.set('a', 1);
    clock.t = 999;
    expect(cache.get('a')).toBe(1);
    clock.t = 1000;
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('takes a TTL per entry', () => {
    const { cache, clock } = setup();
    cache.set('short', 1, { ttlMs: 10 });
    cache.set('forever', 2, { ttlMs: Infinity });
    clock.t = 10;
    expect(cache.get('short')).toBeUndefined();
    clock.t = 1e12;
    expect(cache.get('forever')).toBe(2);
  });

  it('evicts the least recently used beyond its bound', () => {
    const { cache } = setup(3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.get('a')).toBe(1);
    cache.set('d', 4);
    expect(cache.size).toBe(3);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.get('a'), cache.get('c'), cache.get('d')]).toEqual([1, 3, 4]);
  });

  it('drops expired entries at the old end when storing, so they do not linger', () => {
    const { cache, clock } = setup(100);
    cache.set('a', 1);
    cache.set('b', 2);
    clock.t = 500;
    cache.set('c', 3);
    clock.t = 1200;
    cache.set('d', 4);
    expect(cache.size).toBe(2);
    expect([cache.get('c'), cache.get('d')]).toEqual([3, 4]);
  });

  it('replaces a value and restarts its TTL', () => {
    const { cache, clock } = setup();
    cache.set('a', 1);
    clock.t = 900;
    cache.set('a', 2);
    clock.t = 1500;
    expect(cache.get('a')).toBe(2);
  });

  it('deletes one key and clears all', () => {
    const { cache } = setup();
    cache.set('a', 1);
    cache.set('b', 2);
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('b')).toBe(2);
    cache.clear();
    expect(cache.get('b')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  describe('a value read before an invalidation', () => {
    it('is not stored after a delete, even of a key that was not cached', () => {
      const { cache } = setup();
      const since = cache.stamp();
      cache.delete('a');
      cache.set('a', 1, { since });
      expect(cache.get('a')).toBeUndefined();
    });

    it('is not stored after a clear', () => {
      const { cache } = setup();
      const since = cache.stamp();
      cache.clear();
      cache.set('a', 1, { since });
      expect(cache.get('a')).toBeUndefined();
    });

    it('is stored when nothing was invalidated meanwhile', () => {
      const { cache } = setup();
      cache.delete('x');
      const since = cache.stamp();
      cache.set('a', 1, { since });
      expect(cache.get('a')).toBe(1);
    });
  });
});
