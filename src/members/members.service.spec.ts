import type { ConfigService } from '@nestjs/config';
import { FindOperator, type Repository } from 'typeorm';
import type { Settings } from '../config/settings';
import type { LineClient } from '../line/line-client.service';
import type { Member } from './member.entity';
import { MembersService } from './members.service';

const T0 = 1_700_000_000_000;
const MAX_AGE = 24 * 3600_000;
const group = { channelId: 'C1', type: 'group' as const };

/** The members table in memory, with the few repository calls MembersService makes. */
function fakeMembers() {
  const rows: Member[] = [];
  const matches = (where: Partial<Record<keyof Member, unknown>>) => (m: Member) =>
    Object.entries(where).every(([k, v]) =>
      v instanceof FindOperator && v.type === 'lessThanOrEqual'
        ? (m[k as keyof Member] as Date) <= (v.value as Date)
        : m[k as keyof Member] === v,
    );
  const repo = {
    query: jest.fn(async (_sql: string, [channelId, userId]: string[]) =>
      rows
        .filter(matches({ channelId, userId }))
        .map((m) => ({ status: m.status, profile_fetched_at: m.profileFetchedAt })),
    ),
    findOneBy: jest.fn(async (where: Partial<Member>) => {
      const found = rows.find(matches(where));
      return found ? { ...found } : null;
    }),
    findBy: jest.fn(async (where: Partial<Member>) => rows.filter(matches(where)).map((m) => ({ ...m }))),
    insert: jest.fn(async (row: Omit<Member, 'id'>) => {
      rows.push({ ...row, id: rows.length + 1 });
    }),
    update: jest.fn(async (where: Partial<Record<keyof Member, unknown>>, patch: Partial<Member>) => {
      const matched = rows.filter(matches(where));
      matched.forEach((m) => Object.assign(m, patch));
      return { affected: matched.length };
    }),
  };
  // One table in memory: a transaction's repository is the same one.
  const withManager = Object.assign(repo, {
    manager: { transaction: (work: (em: unknown) => unknown) => work({ getRepository: () => repo }) },
  });
  return { rows, repo: withManager };
}

const nothingAlongside = async () => {};

function setup() {
  const { rows, repo } = fakeMembers();
  const line = { getMemberProfile: jest.fn(async () => ({ displayName: 'Ann' })) };
  const config = { get: () => MAX_AGE } as unknown as ConfigService<Settings, true>;
  const members = new MembersService(
    repo as unknown as Repository<Member>,
    line as unknown as LineClient,
    config,
  );
  const seed = (over: Partial<Member> = {}) =>
    rows.push({
      id: rows.length + 1,
      channelId: 'C1',
      userId: 'U1',
      displayName: 'Ann',
      pictureUrl: null,
      role: 'member',
      status: 'active',
      joinedAt: new Date(T0 - 60_000),
      leftAt: null,
      updatedAt: new Date(T0),
      profileFetchedAt: new Date(T0),
      ...over,
    });
  const send = (at = new Date()) => members.recordSender(group, 'U1', at);
  return { members, rows, repo, line, seed, send };
}

describe('MembersService.recordSender cache', () => {
  beforeEach(() => jest.useFakeTimers({ now: T0 }));
  afterEach(() => jest.useRealTimers());

  it('answers an active sender with a fresh profile from memory after one query', async () => {
    const { repo, seed, send } = setup();
    seed();
    await send();
    await send();
    await send();
    expect(repo.query).toHaveBeenCalledTimes(1);
    expect(repo.update).not.toHaveBeenCalled();
  });

  it('reads a member marked left again: their next message makes them active again', async () => {
    const { members, rows, repo, seed, send } = setup();
    seed();
    await send();
    await members.markLeft(group, ['U1'], new Date(T0 + 1), nothingAlongside);
    expect(rows[0].status).toBe('left');
    await send(new Date(T0 + 2));
    expect(repo.query).toHaveBeenCalledTimes(2);
    expect(rows[0]).toMatchObject({ status: 'active', leftAt: null });
  });

  it('reads again a member a sync found gone', async () => {
    const { members, rows, repo, seed, send } = setup();
    seed();
    await send();
    await members.reconcile(group, [], new Date(T0 + 1));
    expect(rows[0].status).toBe('left');
    await send(new Date(T0 + 2));
    expect(repo.query).toHaveBeenCalledTimes(2);
    expect(rows[0].status).toBe('active');
  });

  it('does not keep what it read while a write to that member ran', async () => {
    const { members, rows, repo, seed, send } = setup();
    seed();
    let answer!: (rows: { status: Member['status']; profile_fetched_at: Date | null }[]) => void;
    repo.query.mockImplementationOnce(() => new Promise((resolve) => (answer = resolve)));
    const racing = send();
    await members.markLeft(group, ['U1'], new Date(T0 + 1), nothingAlongside);
    answer([{ status: 'active', profile_fetched_at: new Date(T0) }]);
    await racing;
    await send(new Date(T0 + 2));
    expect(repo.query).toHaveBeenCalledTimes(2);
    expect(rows[0].status).toBe('active');
  });

  it("sees another process's change within a second", async () => {
    const { rows, repo, seed, send } = setup();
    seed();
    await send();
    rows[0].status = 'left';
    jest.advanceTimersByTime(999);
    await send();
    expect(repo.query).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(1);
    await send();
    expect(repo.query).toHaveBeenCalledTimes(2);
    expect(rows[0].status).toBe('active');
  });

  it('asks LINE again once the profile turns stale, even within the second', async () => {
    const { repo, line, seed, send } = setup();
    seed({ profileFetchedAt: new Date(T0 - MAX_AGE + 500) });
    await send();
    jest.advanceTimersByTime(500);
    await send();
    expect(repo.query).toHaveBeenCalledTimes(2);
    expect(line.getMemberProfile).toHaveBeenCalledTimes(1);
  });
});
