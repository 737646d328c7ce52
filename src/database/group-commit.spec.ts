import { GroupCommit, GroupCommitOptions } from './group-commit';

describe('GroupCommit', () => {
  it('writes what is submitted in one turn as one batch, and answers each caller its own result', async () => {
    const batches: number[][] = [];
    const commit = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      return items.map((n) => n * 10);
    });
    const results = await Promise.all([1, 2, 3].map((n) => commit.submit(n)));
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(await commit.submit(4)).toBe(40);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('after a failed batch, writes each item alone: only the bad item fails', async () => {
    const batches: number[][] = [];
    const commit = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      if (items.includes(2)) throw new Error('refused: 2');
      return items;
    });
    const outcomes = await Promise.allSettled([1, 2, 3].map((n) => commit.submit(n)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toEqual(new Error('refused: 2'));
    expect(batches).toEqual([[1, 2, 3], [1], [2], [3]]);
  });

  it('a batch of one that fails rejects once, without a second attempt', async () => {
    let calls = 0;
    const commit = new GroupCommit<number, number>(async () => {
      calls++;
      throw new Error('down');
    });
    await expect(commit.submit(1)).rejects.toThrow('down');
    expect(calls).toBe(1);
  });
});

describe('GroupCommit under a slow write', () => {
  it('writes one batch at a time: what arrives meanwhile forms the next batch', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const commit = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await new Promise<void>((r) => (release = r));
      return items;
    });
    const first = commit.submit(1);
    await new Promise((r) => setImmediate(r));
    const rest = [2, 3, 4].map((n) => commit.submit(n));
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1]]);
    release();
    expect(await Promise.all([first, ...rest])).toEqual([1, 2, 3, 4]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });
});

describe('GroupCommit gathering for a while', () => {
  /** A commit that records each batch it writes and answers the items themselves. */
  const recording = (options: GroupCommitOptions) => {
    const batches: number[][] = [];
    const commit = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      return items;
    }, options);
    return { batches, commit };
  };

  it('gathers items submitted over several turns into one batch, until maxItems', async () => {
    // The gathering timer is fake: a slow turn of a busy CI machine must not end it early.
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    const { batches, commit } = recording({ gatherMs: 30, maxItems: 5 });
    const turn = () => new Promise((r) => setImmediate(r));
    const first = [commit.submit(1)];
    await turn();
    first.push(commit.submit(2));
    await turn();
    expect(batches).toEqual([]);
    jest.advanceTimersByTime(30);
    jest.useRealTimers();
    expect(await Promise.all(first)).toEqual([1, 2]);
    expect(batches).toEqual([[1, 2]]);
    const full = [3, 4, 5, 6, 7].map((n) => commit.submit(n));
    await turn();
    expect(batches).toEqual([
      [1, 2],
      [3, 4, 5, 6, 7],
    ]);
    await Promise.all(full);
  });

  it('writeNow() ends the gathering: what is queued is written at the end of the turn', async () => {
    const { batches, commit } = recording({ gatherMs: 60_000 });
    const items = [commit.submit(1), commit.submit(2)];
    commit.writeNow();
    commit.writeNow();
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1, 2]]);
    expect(await Promise.all(items)).toEqual([1, 2]);
    commit.writeNow(); // nothing queued: no empty batch
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1, 2]]);
  });

  it('settle() writes what is queued now instead of waiting, and resolves once it is written', async () => {
    const { batches, commit } = recording({ gatherMs: 60_000 });
    const item = commit.submit(1);
    await commit.settle();
    expect(batches).toEqual([[1]]);
    expect(await item).toBe(1);
    await commit.settle(); // nothing queued: resolves at once
  });

  it('settle() also waits for a batch being written and for items queued behind it', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const commit = new GroupCommit<number, number>(
      async (items) => {
        batches.push(items);
        if (batches.length === 1) await new Promise<void>((r) => (release = r));
        return items;
      },
      { gatherMs: 60_000, maxItems: 1 },
    );
    void commit.submit(1);
    await new Promise((r) => setImmediate(r));
    void commit.submit(2).catch(() => undefined);
    let settled = false;
    const settling = commit.settle().then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    release();
    await settling;
    expect(batches).toEqual([[1], [2]]);
  });

  it('settle() answers whether everything it waited for was written', async () => {
    const commit = new GroupCommit<number, number>(async (items) => {
      if (items.includes(2)) throw new Error('refused: 2');
      return items;
    });
    void commit.submit(1);
    const refused = commit.submit(2).catch(() => 'refused');
    expect(await commit.settle()).toBe(false);
    expect(await refused).toBe('refused');
    void commit.submit(3);
    expect(await commit.settle()).toBe(true);
  });

  it('settle() counts the batch being written: a failure in it answers false', async () => {
    let release!: () => void;
    const commit = new GroupCommit<number, number>(async (items) => {
      await new Promise<void>((r) => (release = r));
      if (items.includes(1)) throw new Error('refused: 1');
      return items;
    });
    const refused = commit.submit(1).catch(() => 'refused');
    await new Promise((r) => setImmediate(r));
    const settling = commit.settle();
    release();
    expect(await settling).toBe(false);
    expect(await refused).toBe('refused');
  });
});
