import type { ConfigService } from '@nestjs/config';
import type { Settings } from '../config/settings';
import type { InboxStore, PendingEvent } from './inbox.store';
import { InboxRecovery } from './inbox-recovery';

const row = (id: number, attempts: number) => ({ id, attempts }) as PendingEvent;

async function started(maxPendingId: number, maxAttempts = 3) {
  const store = {
    maxPendingId: jest.fn(async () => maxPendingId),
    countAttempt: jest.fn(async () => undefined),
  };
  const config = { get: () => ({ maxAttempts }) } as unknown as ConfigService<Settings, true>;
  const recovery = new InboxRecovery(store as unknown as InboxStore, config);
  await recovery.start();
  return { recovery, store };
}

describe('InboxRecovery', () => {
  it("counts an earlier process's row once, before its first run here", async () => {
    const { recovery, store } = await started(10);
    await recovery.beforeRun(row(7, 0));
    await recovery.beforeRun(row(7, 1)); // run again after a failure here: the runner counted that
    expect(store.countAttempt.mock.calls).toEqual([[7]]);
  });

  it('leaves rows this process stored to the runner', async () => {
    const { recovery, store } = await started(10);
    await recovery.beforeRun(row(11, 0));
    expect(store.countAttempt).not.toHaveBeenCalled();
    expect(recovery.usedUp(row(11, 3))).toBe(false);
  });

  it('fails a row whose attempts ended in exits, but not once it has begun an attempt here', async () => {
    const { recovery } = await started(10);
    expect(recovery.usedUp(row(5, 3))).toBe(true);
    expect(recovery.usedUp(row(6, 2))).toBe(false);
    await recovery.beforeRun(row(6, 2));
    expect(recovery.usedUp(row(6, 3))).toBe(false);
  });
});
