/**
 * `work`'s outcome, or the error `timedOut` makes once `ms` have passed, whichever comes first. The
 * work itself goes on: this only stops waiting for it. The timer is unref'd (work that never ends
 * must not keep a stopping process alive) and cleared as soon as either side settles.
 */
export function withinTime<T>(work: Promise<T>, ms: number, timedOut: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), ms);
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
