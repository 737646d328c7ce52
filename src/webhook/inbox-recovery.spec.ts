import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigService } from '@nestjs/config';
import type { Settings } from '../config/settings';
import type { InboxStore, PendingEvent } from './inbox.store';
import { InboxRecovery } from './inbox-recovery';

const row = (id: number, attempts: number) => ({ id, attempts }) as PendingEvent;

describe('InboxRecovery', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'lgm-recovery-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));
  const marker = () => join(dataDir, 'inbox-worker.running');

  async function started({ unclean = true, maxPendingId = 10, maxAttempts = 3 } = {}) {
    if (unclean) writeFileSync(marker(), '1\n');
    const store = {
      maxPendingId: jest.fn(async () => maxPendingId),
      countAttempt: jest.fn(async () => undefined),
    };
    const config = {
      get: (key: string) => (key === 'dataDir' ? dataDir : { maxAttempts }),
    } as unknown as ConfigService<Settings, true>;
    const recovery = new InboxRecovery(store as unknown as InboxStore, config);
    await recovery.start();
    return { recovery, store };
  }

  it('counts the row of a process that exited once, before its first run here', async () => {
    const { recovery, store } = await started();
    await recovery.beforeRun(row(7, 0));
    await recovery.beforeRun(row(7, 1)); // run again after a failure here: the runner counted that
    expect(store.countAttempt.mock.calls).toEqual([[7]]);
  });

  it('leaves rows this process stored to the runner', async () => {
    const { recovery, store } = await started();
    await recovery.beforeRun(row(11, 0));
    expect(store.countAttempt).not.toHaveBeenCalled();
    expect(recovery.usedUp(row(11, 3))).toBe(false);
  });

  it('fails a row whose attempts ended in exits, but not once it has begun an attempt here', async () => {
    const { recovery } = await started();
    expect(recovery.usedUp(row(5, 3))).toBe(true);
    expect(recovery.usedUp(row(6, 2))).toBe(false);
    await recovery.beforeRun(row(6, 2));
    expect(recovery.usedUp(row(6, 3))).toBe(false);
  });

  it('suspects nothing after a clean stop, and marks its own run until it stops cleanly', async () => {
    const { recovery, store } = await started({ unclean: false });
    expect(existsSync(marker())).toBe(true);
    await recovery.beforeRun(row(7, 0));
    expect(recovery.usedUp(row(7, 3))).toBe(false);
    expect(store.countAttempt).not.toHaveBeenCalled();
    expect(store.maxPendingId).not.toHaveBeenCalled();
    recovery.stoppedCleanly();
    expect(existsSync(marker())).toBe(false);
  });
});
