import { Logger } from '@nestjs/common';
import type { Repository } from 'typeorm';
import type { AssistantSettings } from './entities/assistant-settings.entity';
import type { QaRuleFire } from './entities/qa-rule-fire.entity';
import type { QaRule } from './entities/qa-rule.entity';
import { QaEngine } from './qa-engine.service';

/** The channel's stored revision and enabled rules, as the engine reads them. */
function setup() {
  const db = { revision: 1, triggers: [] as string[] };
  const settings = { findOne: jest.fn(async () => ({ channelId: 'C1', qaRevision: db.revision })) };
  const rows = () =>
    db.triggers.map((t, i) => ({
      id: i + 1,
      triggers: JSON.stringify([t]),
      mode: null,
      priority: 0,
      cooldownSeconds: 0,
    }));
  const qb: Record<string, unknown> = new Proxy(
    {},
    { get: (_, name) => (name === 'getRawMany' ? async () => rows() : () => qb) },
  );
  const rules = { createQueryBuilder: () => qb };
  const engine = new QaEngine(
    rules as unknown as Repository<QaRule>,
    settings as unknown as Repository<AssistantSettings>,
    {} as Repository<QaRuleFire>,
  );
  const matches = async (text: string) => (await engine.match('C1', text, 'keyword')).length;
  return { db, settings, engine, matches };
}

describe('QaEngine revision cache', () => {
  beforeEach(() => {
    jest.useFakeTimers();
    jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('reads the revision once a second', async () => {
    const { settings, matches } = setup();
    await matches('hello');
    await matches('hello');
    expect(settings.findOne).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(1000);
    await matches('hello');
    expect(settings.findOne).toHaveBeenCalledTimes(2);
  });

  it('answers with a rule saved in this process from the very next message', async () => {
    const { db, engine, matches } = setup();
    expect(await matches('hello')).toBe(0);
    Object.assign(db, { revision: 2, triggers: ['hello'] });
    engine.revisionChanged('C1');
    expect(await matches('hello')).toBe(1);
  });

  it("sees another process's change within a second", async () => {
    const { db, matches } = setup();
    await matches('hello');
    Object.assign(db, { revision: 2, triggers: ['hello'] });
    jest.advanceTimersByTime(999);
    expect(await matches('hello')).toBe(0);
    jest.advanceTimersByTime(1);
    expect(await matches('hello')).toBe(1);
  });

  it('does not keep a revision read while a change was committed', async () => {
    const { settings, engine, matches } = setup();
    let answer!: (row: { channelId: string; qaRevision: number }) => void;
    settings.findOne.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)));
    const racing = matches('hello');
    engine.revisionChanged('C1');
    answer({ channelId: 'C1', qaRevision: 1 });
    await racing;
    await matches('hello');
    expect(settings.findOne).toHaveBeenCalledTimes(2);
  });
});
