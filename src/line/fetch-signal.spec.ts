import { installFetchSignal, withFetchSignal } from './fetch-signal';

describe('withFetchSignal', () => {
  const original = globalThis.fetch;
  let seen: (RequestInit | undefined)[];

  beforeEach(() => {
    seen = [];
    globalThis.fetch = ((_input: unknown, init?: RequestInit) => {
      seen.push(init);
      return Promise.resolve(new Response('{}'));
    }) as typeof fetch;
  });

  afterEach(() => {
    globalThis.fetch = original;
  });

  it('gives fetch calls inside the scope its signal, and leaves others alone', async () => {
    const controller = new AbortController();
    await withFetchSignal(controller.signal, async () => {
      await Promise.resolve();
      await fetch('http://127.0.0.1/a', { method: 'POST', headers: { a: '1' } });
    });
    await fetch('http://127.0.0.1/b', { method: 'GET' });

    expect(seen[0]).toEqual({ method: 'POST', headers: { a: '1' }, signal: controller.signal });
    expect(seen[1]).toEqual({ method: 'GET' });
  });

  it("keeps a caller's own signal", async () => {
    const own = new AbortController().signal;
    await withFetchSignal(new AbortController().signal, () => fetch('http://127.0.0.1/', { signal: own }));
    expect(seen[0]?.signal).toBe(own);
  });

  it('wraps only once', async () => {
    installFetchSignal();
    const wrapped = globalThis.fetch;
    installFetchSignal();
    await withFetchSignal(new AbortController().signal, () => fetch('http://127.0.0.1/'));
    expect(globalThis.fetch).toBe(wrapped);
    expect(seen).toHaveLength(1);
  });
});
