import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { yieldToEventLoop } from '../common/yield-to-event-loop';
import type { Settings, WebhookSettings } from '../config/settings';
import { DatabaseOutage } from './database-outage';
import { InboxBacklog } from './inbox-backlog';
import { InboxEventRunner, RunOutcome, Settling } from './inbox-event-runner';
import { InboxProcessor } from './inbox-processor';
import { InboxRecovery } from './inbox-recovery';
import { InboxPosition, InboxStore } from './inbox.store';

/** Chat key: the channelId, or '' for events without a chat. */
type ChatKey = string;
const NO_CHAT: ChatKey = '';
const keyOf = (channelId: string | null): ChatKey => channelId ?? NO_CHAT;
const channelOf = (key: ChatKey): string | null => (key === NO_CHAT ? null : key);

/** Rows fetched per query, and processed per turn before a busy chat lets others have its slot. */
const BATCH = 20;
const TURN = 100;
const PRUNE_EVERY_MS = 3600_000;
/** Chats whose place in their rows is remembered; beyond this the longest unused is forgotten. */
const MAX_POSITIONS = 10_000;
/**
 * On SQLite, where the database work of an event is synchronous, an event still running after this
 * long is stalled, waiting on LINE (a profile, a member list, retries after a 429): its chat stops
 * counting against `concurrency`, so that a slow LINE does not hold up the chats behind it; at most
 * MAX_STALLED such chats beyond `concurrency`. On MySQL a long event may be waiting for the
 * connection pool, where more chats would only queue in front of the webhooks' inserts.
 */
const STALLED_AFTER_MS = 100;
const MAX_STALLED = 32;

/**
 * Drains the inbox inside this process. Events of one chat run one at a time in (timestamp, id)
 * order; up to `concurrency` chats run at once. The head event of a chat waits until it is due:
 * the reorder window after it arrived, or its backoff after a failure (the chat waits with it, so
 * order holds; after the last attempt it is marked failed and the chat goes on).
 *
 * Nothing is claimed in the table: a row is pending until its outcome is written (InboxStore
 * writes outcomes behind, within 50 ms), so whatever a crash interrupts is simply pending again at
 * start-up; after an unclean stop, its next run counts as an attempt (InboxRecovery). That holds
 * for one process at a time; several instances need a shared queue behind InboxProcessor (see
 * inbox-processor.ts).
 *
 * While the database cannot be reached (DatabaseOutage) no chat starts and the scan does not run:
 * the chats it stopped, and any that became ready meanwhile, wait in `ready` until it answers.
 */
@Injectable()
export class InboxWorker implements InboxProcessor, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(InboxWorker.name);
  private readonly settings: WebhookSettings;
  /** Chats that may have due work and are not being processed. */
  private readonly ready = new Set<ChatKey>();
  private readonly running = new Set<ChatKey>();
  /** The event each running chat is processing: its row, and when it started. */
  private readonly runningEvents = new Map<ChatKey, { rowId: number; startedAt: number }>();
  private stalledTimer?: NodeJS.Timeout;
  /** Chats whose head is not due yet, and when it is. */
  private readonly waiting = new Map<ChatKey, number>();
  /**
   * The earliest event time of the rows notified since the chat last read its head: a row that
   * sorts before one the runner has read must be read (and run) first.
   */
  private readonly arrived = new Map<ChatKey, number>();
  /**
   * Where each chat has got to: every row of the chat up to there has run (or is settling), so its
   * next read starts after it instead of reading those rows again while their outcomes wait for the
   * write-behind. Dropped whenever a row may sort before it (see `arrived`, `rewind`).
   */
  private readonly positions = new Map<ChatKey, InboxPosition>();
  /** Rows of each chat that ran but whose writes are still being committed. */
  private readonly settling = new Map<ChatKey, Map<Promise<void>, Settling>>();
  /** Chat turns and settling rows: shutdown waits for both. */
  private readonly inFlight = new Set<Promise<void>>();
  private started = false;
  private stopping = false;
  private pollTimer?: NodeJS.Timeout;
  private wakeTimer?: NodeJS.Timeout;
  private wakeAt = Infinity;
  private pumpScheduled = false;
  private scanning = false;
  private lastPrune = 0;
  private readonly maxStalled: number;

  constructor(
    private readonly store: InboxStore,
    private readonly runner: InboxEventRunner,
    private readonly backlog: InboxBacklog,
    private readonly recovery: InboxRecovery,
    private readonly outage: DatabaseOutage,
    config: ConfigService<Settings, true>,
  ) {
    this.settings = config.get('webhook', { infer: true });
    this.maxStalled = config.get('database', { infer: true }).type === 'sqlite' ? MAX_STALLED : 0;
    // Writes what waited in the write-behind, finds every chat with work, and starts the ready ones.
    outage.onRecovered(() => {
      // A process with its worker off (WEBHOOK_WORKER=off, another instance processes) only noticed.
      if (!this.started || this.stopping) return;
      void this.scan();
      this.schedulePump();
    });
  }

  /** After every module's onModuleInit: all handlers are registered before the first event runs. */
  async onApplicationBootstrap(): Promise<void> {
    if (!this.settings.workerEnabled) {
      this.logger.warn('WEBHOOK_WORKER=off: events are stored but not processed');
      return;
    }
    // Before the server listens: no webhook is stored while the rows are counted.
    this.backlog.start(await this.store.countPending());
    await this.recovery.start();
    this.started = true;
    this.pollTimer = setInterval(() => void this.scan(), this.settings.pollIntervalMs);
    this.pollTimer.unref();
    void this.scan();
  }

  notify(earliestByChat: ReadonlyMap<string | null, number>): void {
    if (!this.started || this.stopping) return;
    // These rows were just committed: the database answers again.
    if (this.outage.down) this.outage.checkSoon();
    for (const [channelId, earliest] of earliestByChat) {
      const key = keyOf(channelId);
      this.arrived.set(key, Math.min(earliest, this.arrived.get(key) ?? Infinity));
      // Its head may now be an earlier, not yet due, event: the runner finds out.
      this.waiting.delete(key);
      this.ready.add(key);
    }
    this.schedulePump();
  }

  /**
   * As if rows from before every other had arrived: each chat reads again from its first row. They
   * are counted in the backlog like stored rows, so that their outcomes do not lower it.
   */
  requeued(channelIds: Iterable<string | null>, rows: number): void {
    this.backlog.requeued(rows);
    this.notify(new Map([...channelIds].map((id) => [id, -Infinity])));
  }

  /** Stops taking work, lets what runs finish (up to the grace period); the rest stays pending. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.outage.stop();
    this.backlog.stop();
    clearInterval(this.pollTimer);
    clearTimeout(this.wakeTimer);
    clearTimeout(this.stalledTimer);
    const finished = await this.finishInFlight();
    try {
      await this.store.flush();
      // As after a crash, an event still running counts as an attempt: one that never finishes
      // must not run again at every start without ever failing. The rows waiting behind it do not.
      if (!finished)
        for (const { rowId } of this.runningEvents.values()) await this.store.countAttempt(rowId);
      if (this.started) this.recovery.stoppedCleanly();
    } catch (err) {
      this.logger.error(
        { err },
        'Shutdown: processing state not written; those events run again at the next start',
      );
    }
  }

  /** False when the grace period ran out with work still under way. */
  private async finishInFlight(): Promise<boolean> {
    if (this.inFlight.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.settings.shutdownGraceMs);
    });
    // A turn that ends leaves rows settling behind it: wait for those too.
    const drained = (async () => {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    })();
    const outcome = await Promise.race([drained, grace]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn(
        { chats: [...this.running] },
        'Shutdown: events still running after the grace period; they resume at the next start',
      );
    }
    return outcome !== 'timeout';
  }

  /** Finds every chat with due work (start-up, work not signalled in-process, due retries). */
  private async scan(): Promise<void> {
    if (!this.started || this.stopping || this.scanning || this.outage.down) return;
    this.scanning = true;
    try {
      const now = Date.now();
      // Every slot is busy and chats wait for one: reading every pending row (50 to 160 ms of the
      // event loop with a large backlog) would find nothing the worker could start sooner.
      const saturated = !this.hasSlot() && this.ready.size > 0;
      const overview = saturated ? undefined : await this.store.pendingOverview();
      // Rows another process stored or put back (the CLI's retry) are counted from here on.
      if (overview) this.backlog.recount(overview.pending);
      for (const { channelId, dueAt } of overview?.chats ?? []) {
        const key = keyOf(channelId);
        if (this.running.has(key)) continue;
        // Whatever the scan finds is read from the chat's first pending row: a row that was never
        // notified (committed by a webhook that then failed) cannot hide behind a position.
        this.positions.delete(key);
        if (dueAt.getTime() <= now) this.ready.add(key);
        else this.waitUntil(key, dueAt.getTime());
      }
      this.schedulePump();
      if (this.settings.retentionDays > 0 && now - this.lastPrune >= PRUNE_EVERY_MS) {
        this.lastPrune = now;
        const pruned = await this.store.pruneDone(new Date(now - this.settings.retentionDays * 86400_000));
        if (pruned > 0) this.logger.log({ pruned }, 'Deleted processed webhook events past retention');
      }
    } catch (err) {
      if (!this.stopping && !(await this.outage.unreachable(err)))
        this.logger.error({ err }, 'Inbox scan failed');
    } finally {
      this.scanning = false;
    }
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.outage.down) return; // the ready chats start once the database answers
    for (const key of this.ready) {
      if (this.stopping) return;
      if (!this.hasSlot()) return this.pumpWhenStalled();
      if (this.running.has(key)) continue; // stays ready: runs again when the current turn ends
      this.ready.delete(key);
      this.running.add(key);
      const turn = this.runChat(key).finally(() => {
        this.inFlight.delete(turn);
        this.running.delete(key);
        this.pump();
      });
      this.inFlight.add(turn);
    }
  }

  /** Whether another chat may start: fewer than `concurrency` chats run without waiting on LINE. */
  private hasSlot(): boolean {
    if (this.running.size < this.settings.concurrency) return true;
    if (this.running.size >= this.settings.concurrency + this.maxStalled) return false;
    const stalledSince = Date.now() - STALLED_AFTER_MS;
    let stalled = 0;
    for (const { startedAt } of this.runningEvents.values()) if (startedAt <= stalledSince) stalled++;
    return this.running.size - stalled < this.settings.concurrency;
  }

  /** Every slot is taken and chats wait for one: look again once a running event may count as stalled. */
  private pumpWhenStalled(): void {
    if (this.stalledTimer || this.ready.size === 0) return;
    this.stalledTimer = setTimeout(() => {
      this.stalledTimer = undefined;
      this.pump();
    }, STALLED_AFTER_MS);
    this.stalledTimer.unref();
  }

  /** One turn of a chat: its due events in order, until none is due or the turn is used up. */
  private async runChat(key: ChatKey): Promise<void> {
    let processed = 0;
    try {
      while (!this.stopping && processed < TURN) {
        const position = this.positionToRead(key);
        // Rows still settling are pending in the table: reading them again would run them again.
        // A position is past them; without one, wait until they are recorded. A chat also waits
        // once a turn's worth of its writes is pending, so that it cannot run ahead without bound.
        if (!position || (this.settling.get(key)?.size ?? 0) >= TURN) await this.settled(key);
        if (this.stopping) return;
        const rows = await this.store.headOf(channelOf(key), BATCH, position);
        if (rows.length === 0) return;
        for (const row of rows) {
          if (this.stopping) return;
          // A row that arrived meanwhile sorts before this one: read the head again.
          if (this.arrivedBefore(key, row)) break;
          const due = row.nextAttemptAt.getTime();
          if (due > Date.now()) return this.waitUntil(key, due);
          let outcome: RunOutcome | 'settling';
          if (this.recovery.usedUp(row)) {
            outcome = this.runner.failInterrupted(row);
          } else {
            await this.recovery.beforeRun(row);
            this.runningEvents.set(key, { rowId: row.id, startedAt: Date.now() });
            const result = await this.runner.run(row).finally(() => this.runningEvents.delete(key));
            outcome = typeof result === 'string' ? result : this.track(key, result);
          }
          // The database is unreachable: the row stays pending, ahead of the position.
          if (outcome === 'unreachable') return void this.ready.add(key);
          // A retry stays ahead of the position: the chat waits for it.
          if (outcome !== 'retry') this.advance(key, row);
          processed++;
          // SQLite calls complete synchronously: without this, a turn would hold the event loop
          // and webhooks would wait for their answer behind it.
          await yieldToEventLoop();
          if (outcome === 'retry') break; // read the head again: it now waits for its backoff
        }
      }
      if (processed >= TURN) this.ready.add(key);
    } catch (err) {
      // The database failed under us: the row is still pending; try the chat again later, or once
      // the database answers if it is unreachable (the outage's one warning says so).
      if (this.stopping) return;
      this.rewind(key);
      if (await this.outage.unreachable(err)) return void this.ready.add(key);
      this.logger.error({ channelId: channelOf(key), err }, 'Processing a chat failed; will retry');
      this.waitUntil(key, Date.now() + this.settings.retryBaseMs);
    }
  }

  /** The position the chat's next read starts after, or none: read from its first pending row. */
  private positionToRead(key: ChatKey): InboxPosition | undefined {
    const earliest = this.arrived.get(key);
    this.arrived.delete(key);
    const position = this.positions.get(key);
    if (position && earliest !== undefined && earliest < position.ts) this.positions.delete(key);
    return this.positions.get(key);
  }

  /** Whether a row notified since the last read sorts before `row` (same time: after, by id). */
  private arrivedBefore(key: ChatKey, row: { eventTimestamp: number }): boolean {
    const earliest = this.arrived.get(key);
    return earliest !== undefined && earliest < row.eventTimestamp;
  }

  /** `row` has run: the chat's next read starts after it, unless a row arrived before it meanwhile. */
  private advance(key: ChatKey, row: { eventTimestamp: number; id: number }): void {
    this.positions.delete(key); // re-inserted last: the map's order is least recently used first
    if (this.arrivedBefore(key, row)) return;
    this.positions.set(key, { ts: row.eventTimestamp, id: row.id });
    if (this.positions.size > MAX_POSITIONS) this.positions.delete(this.positions.keys().next().value!);
  }

  /** A row before the chat's position is pending again: its next read starts from the first. */
  private rewind(key: ChatKey): void {
    this.positions.delete(key);
    // Also stops a turn under way from advancing past it (see `arrivedBefore`).
    this.arrived.set(key, -Infinity);
  }

  /** Keeps a settling row in view; a retry it settles on wakes its chat to wait for the backoff. */
  private track(key: ChatKey, settling: Settling): 'settling' {
    const chat = this.settling.get(key) ?? new Map<Promise<void>, Settling>();
    this.settling.set(key, chat);
    const tracked: Promise<void> = settling.settled
      .then((outcome: RunOutcome) => {
        // A retry, or a row the outage stopped: the chat reads from its first pending row again.
        if ((outcome !== 'retry' && outcome !== 'unreachable') || this.stopping) return;
        this.rewind(key);
        this.ready.add(key);
        this.schedulePump();
      })
      .catch((err: unknown) => {
        // Recording the outcome failed: the row is still pending and runs again.
        this.logger.error({ channelId: channelOf(key), err }, 'Recording an event outcome failed');
      })
      .finally(() => {
        chat.delete(tracked);
        if (chat.size === 0 && this.settling.get(key) === chat) this.settling.delete(key);
        this.inFlight.delete(tracked);
      });
    chat.set(tracked, settling);
    this.inFlight.add(tracked);
    return 'settling';
  }

  private async settled(key: ChatKey): Promise<void> {
    const chat = this.settling.get(key);
    if (!chat) return;
    for (const settling of chat.values()) settling.commitNow();
    await Promise.all([...chat.keys()]);
  }

  private waitUntil(key: ChatKey, due: number): void {
    if (this.stopping) return;
    const known = this.waiting.get(key);
    if (known !== undefined && known <= due) return;
    this.waiting.set(key, due);
    if (due < this.wakeAt) this.armWakeTimer(due);
  }

  private armWakeTimer(due: number): void {
    clearTimeout(this.wakeTimer);
    this.wakeAt = due;
    this.wakeTimer = setTimeout(() => this.wake(), Math.max(0, due - Date.now()));
    this.wakeTimer.unref();
  }

  private wake(): void {
    this.wakeAt = Infinity;
    if (this.stopping) return;
    const now = Date.now();
    let next = Infinity;
    for (const [key, due] of this.waiting) {
      if (due <= now) {
        this.waiting.delete(key);
        this.ready.add(key);
      } else next = Math.min(next, due);
    }
    if (next < Infinity) this.armWakeTimer(next);
    this.pump();
  }
}
