import { Injectable } from '@nestjs/common';

/**
 * Serializes "store content and point a row at it" (the fetcher) with "delete content nothing points
 * at" (retention), so the sweep can never delete bytes a download has just referenced. In-process:
 * when media moves to shared storage with several instances, this becomes a database lock.
 */
@Injectable()
export class MediaLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
