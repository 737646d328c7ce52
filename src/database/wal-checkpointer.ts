import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DataSource } from 'typeorm';
import { sqliteConnection, sqliteFile } from './sqlite-connection';
import { sqliteExclusive, sqliteHoldBackground } from './sqlite-serializer';

/** SQLite's own default: the writer copies the WAL into the file once it holds this many pages. */
const DEFAULT_AUTOCHECKPOINT = 1000;
/**
 * With the thread copying, the writer checkpoints only when the WAL reaches this size without the
 * thread having caught up at the start of a write (what lets SQLite start the WAL over): then only
 * the frames the thread has not copied yet are left to it.
 */
const BACKSTOP_AUTOCHECKPOINT = 40_000;
/**
 * The WAL size (32 MB) at which the thread asks for a quiet moment to start it over (see the
 * worker): far enough below the backstop that the thread catches up and the request gets its turn
 * first (at a fifth of it: with half, the writer still reached the backstop now and then in the
 * webhook benchmark). A quiet moment holds the app's database work for about 10 ms whatever the
 * WAL's size (the frames written since the thread's last pass, and two fsyncs): at 2,000 pages
 * (8 MB) they held a drain for a tenth of its time; at 8,000 a drain alone ran 19 % faster (mean
 * of five alternated pairs).
 */
const QUIET_FRAMES = 8000;
/** A quiet moment holds the app's writes; a thread that does not answer must not hold them long. */
const QUIET_TIMEOUT_MS = 1000;
/** Look again this soon when frames were left, else this much later. */
const BUSY_MS = 5;
const IDLE_MS = 200;
const STOP_TIMEOUT_MS = 5000;

/**
 * Copies SQLite's write-ahead log into the database file from a worker thread. The connection
 * that commits otherwise does it itself, every 1,000 pages, with two fsyncs, inside whichever
 * commit crosses the line: a webhook's answer or the inbox worker's batch waits for it. Measured
 * with the webhook benchmark's drain phase, alternated runs on the 2-core VM: 2,370-2,410 events/s
 * drained before, 2,920-2,990 with the thread (the same as with no checkpoints at all), and a
 * commit took 1.1-1.35 ms instead of 1.7-3.3. If the thread fails, the writer checkpoints as before.
 * Under sustained writes the thread is never caught up when a write starts, which is when SQLite
 * starts the WAL over: the thread then asks for a quiet moment (see the worker), so that the writer's
 * backstop, a checkpoint on the event loop (README: its cost to the p99), is not reached.
 */
@Injectable()
export class WalCheckpointer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(WalCheckpointer.name);
  private worker?: Worker;
  /** Read when the thread starts; tests set a smaller one. */
  quietFrames = QUIET_FRAMES;
  /** Quiet moments held so far (for tests). */
  quietMoments = 0;

  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  onApplicationBootstrap(): void {
    const file = sqliteFile(this.ds);
    if (!file) return;
    const worker = new Worker(join(__dirname, 'wal-checkpoint.worker.js'), {
      workerData: { file, busyMs: BUSY_MS, idleMs: IDLE_MS, quietFrames: this.quietFrames },
    });
    this.worker = worker;
    // Shutdown stops it (onModuleDestroy); it must not keep a process alive that forgot to.
    worker.unref();
    worker.once('online', () => this.autocheckpoint(BACKSTOP_AUTOCHECKPOINT));
    worker.once('error', (err) => {
      this.logger.error({ err }, 'WAL checkpoint thread failed; the writer checkpoints again');
      this.autocheckpoint(DEFAULT_AUTOCHECKPOINT);
    });
    worker.once('exit', () => {
      if (this.worker === worker) this.worker = undefined;
    });
    worker.on('message', (message) => {
      if (message === 'quiet') void this.quietMoment(worker);
    });
  }

  /**
   * Lets the thread copy the last frames with the app's writes held, in two steps: while the
   * background writers (worker, archive, index: nearly all the frames) wait and webhook commits go
   * on, the thread copies what they left; then, with every write held, the few frames those
   * commits added. Holding webhooks for the whole copy (10 to 80 ms under load) set the answers'
   * p99 at saturation.
   */
  private async quietMoment(worker: Worker): Promise<void> {
    await sqliteHoldBackground(this.ds, async () => {
      const copied = await this.askThread(worker, 'quiet-go');
      // Sent even when the first step timed out: it is what lets the thread ask again.
      const ended = await sqliteExclusive(this.ds, () => this.askThread(worker, 'quiet-end'), true);
      if (copied && ended) this.quietMoments++;
    });
  }

  /** Sends the thread a step of a quiet moment; answers whether it said it was done in time. */
  private askThread(worker: Worker, step: 'quiet-go' | 'quiet-end'): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const done = (answered: boolean) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', exited);
        resolve(answered);
      };
      const onMessage = (message: unknown) => {
        if (message === 'quiet-done') done(true);
      };
      const exited = () => done(false);
      const timer = setTimeout(() => done(false), QUIET_TIMEOUT_MS);
      worker.on('message', onMessage);
      worker.once('exit', exited);
      worker.postMessage(step);
    });
  }

  async onModuleDestroy(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const exited = once(worker, 'exit');
    worker.postMessage('stop');
    const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
    await exited.catch(() => undefined);
    clearTimeout(timer);
  }

  private autocheckpoint(pages: number): void {
    if (!this.ds.isInitialized) return;
    sqliteConnection(this.ds).pragma(`wal_autocheckpoint = ${pages}`);
  }
}
