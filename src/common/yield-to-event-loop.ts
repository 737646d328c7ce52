/** Resolves after a turn of the event loop: I/O that arrived meanwhile (webhooks) is read first. */
export const yieldToEventLoop = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
