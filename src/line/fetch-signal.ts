import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * @line/bot-sdk calls the global `fetch` without a signal and has no timeout option. Rather than
 * re-implement its clients, we wrap the global `fetch` once: inside `withFetchSignal(signal, fn)` any
 * `fetch` without its own signal gets `signal`; everywhere else the wrapper passes calls through as is.
 */
const scope = new AsyncLocalStorage<AbortSignal>();
const SCOPE = Symbol.for('line-group-manager.fetchSignalScope');

type ScopedFetch = typeof fetch & { [SCOPE]?: AsyncLocalStorage<AbortSignal> };

export function installFetchSignal(): void {
  const current = globalThis.fetch as ScopedFetch;
  if (current[SCOPE] === scope) return;
  const wrapped: ScopedFetch = (input, init) => {
    const signal = scope.getStore();
    return current(input, signal && !init?.signal ? { ...init, signal } : init);
  };
  wrapped[SCOPE] = scope;
  globalThis.fetch = wrapped;
}

export function withFetchSignal<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
  installFetchSignal();
  return scope.run(signal, fn);
}
