import { InboxStateBuffer, statementsFor } from './inbox-state-buffer';

const at = new Date('2026-11-22T00:00:00.000Z');
const later = new Date('2026-11-22T00:00:00.040Z');

describe('InboxStateBuffer', () => {
  it('adds later changes of a row to earlier ones: a retry survives the progress after it', () => {
    const buffer = new InboxStateBuffer();
    buffer.record(1, {
      state: 'pending',
      completedHandlers: [],
      attempts: 2,
      lastError: 'E',
      nextAttemptAt: at,
    });
    buffer.record(1, { state: 'pending', completedHandlers: ['a'] });
    expect(buffer.latest(1)).toEqual({
      state: 'pending',
      completedHandlers: ['a'],
      attempts: 2,
      lastError: 'E',
      nextAttemptAt: at,
    });
  });

  it('counts the outcomes not written yet, once per row, being written or buffered', () => {
    const buffer = new InboxStateBuffer();
    buffer.record(1, { state: 'done', completedHandlers: ['a'], processedAt: at });
    buffer.record(2, { state: 'pending', completedHandlers: ['a'] });
    buffer.take();
    buffer.record(2, {
      state: 'failed',
      completedHandlers: ['a'],
      attempts: 5,
      lastError: 'E',
      processedAt: at,
    });
    buffer.record(3, { state: 'pending', completedHandlers: [], attempts: 1, nextAttemptAt: later });
    expect(buffer.unwrittenOutcomes()).toBe(2);
    buffer.settle(true);
    expect(buffer.unwrittenOutcomes()).toBe(1);
    buffer.take();
    buffer.settle(true);
    expect(buffer.unwrittenOutcomes()).toBe(0);
  });

  it('shows changes being written, under newer ones, and keeps them when the write fails', () => {
    const buffer = new InboxStateBuffer();
    buffer.record(1, { state: 'pending', completedHandlers: ['a'], attempts: 1 });
    buffer.record(2, { state: 'done', completedHandlers: ['a'], processedAt: at });
    expect([...buffer.take().keys()]).toEqual([1, 2]);
    expect(buffer.size).toBe(0);
    buffer.record(1, { state: 'done', completedHandlers: ['a', 'b'], processedAt: later });
    expect(buffer.latest(1)).toEqual({
      state: 'done',
      completedHandlers: ['a', 'b'],
      attempts: 1,
      processedAt: later,
    });
    expect(buffer.latest(2)?.state).toBe('done');
    buffer.settle(false);
    expect(buffer.size).toBe(2);
    expect(buffer.latest(1)).toEqual({
      state: 'done',
      completedHandlers: ['a', 'b'],
      attempts: 1,
      processedAt: later,
    });
    buffer.take();
    buffer.settle(true);
    expect(buffer.latest(1)).toBeUndefined();
    expect(buffer.size).toBe(0);
  });
});

describe('InboxStateBuffer reads beside a write', () => {
  const done = { state: 'done' as const, completedHandlers: ['a'], processedAt: at };

  it('keeps written changes visible to a read that started before their commit', () => {
    const buffer = new InboxStateBuffer();
    buffer.record(1, done);
    buffer.take();
    const early = buffer.readStarted(); // may answer the row as it was before the commit
    buffer.settle(true);
    const late = buffer.readStarted(); // starts after the commit: reads the row as written
    expect(buffer.latest(1)).toEqual(done);
    buffer.readEnded(early);
    expect(buffer.latest(1)).toBeUndefined();
    buffer.readEnded(late);
  });

  it('forgets written changes at once when no read is under way', () => {
    const buffer = new InboxStateBuffer();
    buffer.record(1, done);
    buffer.take();
    buffer.settle(true);
    expect(buffer.latest(1)).toBeUndefined();
  });

  it('merges written, writing and buffered changes of a row, oldest first', () => {
    const buffer = new InboxStateBuffer();
    buffer.record(1, { state: 'pending', completedHandlers: ['a'], attempts: 2, lastError: 'E' });
    buffer.take();
    const read = buffer.readStarted();
    buffer.settle(true);
    buffer.record(1, { state: 'pending', completedHandlers: ['a', 'b'] });
    buffer.take();
    buffer.record(1, { state: 'done', completedHandlers: ['a', 'b', 'c'], processedAt: at });
    expect(buffer.latest(1)).toEqual({
      state: 'done',
      completedHandlers: ['a', 'b', 'c'],
      attempts: 2,
      lastError: 'E',
      processedAt: at,
    });
    buffer.readEnded(read);
  });
});

describe('statementsFor', () => {
  const changes = () =>
    new Map([
      [1, { state: 'done' as const, completedHandlers: ['a'], processedAt: at }],
      [2, { state: 'done' as const, completedHandlers: ['a'], processedAt: later }],
      [3, { state: 'done' as const, completedHandlers: ['b'], processedAt: at }],
      [4, { state: 'failed' as const, completedHandlers: [], attempts: 5, lastError: 'E', processedAt: at }],
    ]);
  const iso = (d: Date) => d.toISOString();

  it('writes each row exactly when statements are cheap (SQLite)', () => {
    const statements = statementsFor(changes(), iso, false);
    expect(statements).toHaveLength(4);
    expect(statements[1].params).toEqual(['["a"]', iso(later), 2]);
    expect(statements[3].params).toEqual(['failed', '[]', 5, 'E', null, iso(at), 4]);
  });

  it('groups plain progress apart from outcomes on MySQL, and leaves the state alone', () => {
    const progress = new Map([
      [1, { state: 'pending' as const, completedHandlers: ['a'] }],
      [2, { state: 'pending' as const, completedHandlers: ['a'] }],
      [3, { state: 'done' as const, completedHandlers: ['a'], processedAt: at }],
      [4, { state: 'pending' as const, completedHandlers: ['a'], attempts: 1, nextAttemptAt: at }],
    ]);
    const statements = statementsFor(progress, iso, true);
    expect(statements.map((s) => s.params)).toEqual([
      ['pending', '["a"]', 1, null, iso(at), null, 4],
      ['["a"]', 1, 2],
      ['["a"]', iso(at), 3],
    ]);
    expect(statements[1].sql).toBe('UPDATE webhook_events SET completed_handlers = ? WHERE id IN (?, ?)');
  });

  it('clears the payload of finished rows only, in every shape', () => {
    const clears = (s: { sql: string }) => s.sql.includes("payload = '{}'");
    for (const grouped of [false, true]) {
      const statements = statementsFor(changes(), iso, grouped);
      expect(statements.filter((s) => s.params.includes('failed')).map(clears)).toEqual([false]);
      expect(statements.filter((s) => !s.params.includes('failed')).every(clears)).toBe(true);
    }
    const doneAfterRetry = new Map([
      [5, { state: 'done' as const, completedHandlers: ['a'], attempts: 2, processedAt: at }],
    ]);
    expect(statementsFor(doneAfterRetry, iso, false).map(clears)).toEqual([true]);
    const progress = new Map([[6, { state: 'pending' as const, completedHandlers: ['a'] }]]);
    expect(statementsFor(progress, iso, true).map(clears)).toEqual([false]);
  });

  it('groups plain outcomes by their handlers when each statement is a round trip (MySQL)', () => {
    const statements = statementsFor(changes(), iso, true);
    expect(statements).toHaveLength(3);
    expect(statements[0].params).toEqual(['failed', '[]', 5, 'E', null, iso(at), 4]);
    expect(statements[1].sql).toContain('WHERE id IN (?, ?)');
    expect(statements[1].params).toEqual(['["a"]', iso(later), 1, 2]);
    expect(statements[2].params).toEqual(['["b"]', iso(at), 3]);
  });
});
