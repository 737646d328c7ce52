import type { ConfigService } from '@nestjs/config';
import type { Repository } from 'typeorm';
import type { AuditService } from '../audit/audit.service';
import type { Settings } from '../config/settings';
import type { LineClient } from '../line/line-client.service';
import type { MemberRolesService } from '../members/member-roles.service';
import type { MembersService } from '../members/members.service';
import type { ChannelConfigRow } from './channel-config.entity';
import type { Channel } from './channel.entity';
import { ChannelsAdminService } from './channels-admin.service';
import { ChannelsService } from './channels.service';

/** channel_configs in memory, with the calls the two services make (the update is a compare-and-set). */
function fakeConfigs() {
  const rows = new Map<string, ChannelConfigRow>();
  return {
    rows,
    query: jest.fn(async (_sql: string, [channelId]: string[]) => {
      const row = rows.get(channelId);
      return row ? [{ data: JSON.stringify(row.data) }] : [];
    }),
    findOneBy: jest.fn(async ({ channelId }: { channelId: string }) => {
      const row = rows.get(channelId);
      return row ? { ...row } : null;
    }),
    insert: jest.fn(async (row: ChannelConfigRow) => void rows.set(row.channelId, { ...row })),
    createQueryBuilder: () => {
      let patch: Partial<ChannelConfigRow> = {};
      let where!: ChannelConfigRow;
      const qb = {
        update: () => qb,
        set: (p: Partial<ChannelConfigRow>) => ((patch = p), qb),
        where: (w: ChannelConfigRow) => ((where = w), qb),
        execute: async () => {
          const row = rows.get(where.channelId);
          if (row?.updatedAt.getTime() !== where.updatedAt.getTime()) return { affected: 0 };
          Object.assign(row, patch);
          return { affected: 1 };
        },
      };
      return qb;
    },
  };
}

function setup() {
  const configs = fakeConfigs();
  const channelRows = {
    query: jest.fn(async (): Promise<unknown[]> => []),
    insert: jest.fn(),
    manager: { connection: { options: { type: 'better-sqlite3' } } },
  };
  const settings = { get: () => 'en' } as unknown as ConfigService<Settings, true>;
  const channels = new ChannelsService(
    channelRows as unknown as Repository<Channel>,
    configs as unknown as Repository<ChannelConfigRow>,
    {} as MembersService,
    {} as LineClient,
    settings,
  );
  const admin = new ChannelsAdminService(
    channelRows as unknown as Repository<Channel>,
    configs as unknown as Repository<ChannelConfigRow>,
    channels,
    {} as MemberRolesService,
    {} as LineClient,
    { record: jest.fn() } as unknown as AuditService,
    settings,
  );
  return { channels, admin, configs, channelRows };
}

describe('ChannelsService.configForEvent', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reads the config once a second, as an object no event can change for the next', async () => {
    const { channels, configs } = setup();
    const first = await channels.configForEvent('C1');
    expect(await channels.configForEvent('C1')).toBe(first);
    expect(configs.query).toHaveBeenCalledTimes(1);
    expect(Object.isFrozen(first.assistant.qa)).toBe(true);
  });

  it('sees a config change made in this process at once, first write and later ones', async () => {
    const { channels, admin } = setup();
    expect((await channels.configForEvent('C1')).assistant.qa.enabled).toBe(true);
    await admin.updateConfig('C1', 'U1', { assistant: { qa: { enabled: false } } });
    expect((await channels.configForEvent('C1')).assistant.qa.enabled).toBe(false);
    jest.advanceTimersByTime(1);
    await admin.updateConfig('C1', 'U1', { language: 'ja' });
    expect(await channels.configForEvent('C1')).toMatchObject({
      language: 'ja',
      assistant: { qa: { enabled: false } },
    });
  });

  it("sees another process's change within a second, while getConfig always reads", async () => {
    const { channels, configs } = setup();
    await channels.configForEvent('C1');
    configs.rows.set('C1', { channelId: 'C1', data: { language: 'ja' }, updatedAt: new Date() });
    expect((await channels.getConfig('C1')).language).toBe('ja');
    jest.advanceTimersByTime(999);
    expect((await channels.configForEvent('C1')).language).toBe('en');
    jest.advanceTimersByTime(1);
    expect((await channels.configForEvent('C1')).language).toBe('ja');
  });
});

describe('ChannelsService.ensure', () => {
  it('asks the database about a channel until it has seen it exist and read from LINE, then no more', async () => {
    const { channels, channelRows } = setup();
    const ref = { channelId: 'C1', type: 'group' as const };
    let row: { r: Date | null } | undefined;
    channelRows.query.mockImplementation(async () => (row ? [row] : []));
    channelRows.insert.mockImplementation(async () => void (row = { r: null }));
    await expect(channels.ensure(ref, new Date())).resolves.toEqual({ unread: true });
    expect(channelRows.query).toHaveBeenCalledTimes(2);
    // Its read from LINE failed: the next event is told again.
    await expect(channels.ensure(ref, new Date())).resolves.toEqual({ unread: true });
    expect(channelRows.insert).toHaveBeenCalledTimes(1);
    row = { r: new Date() };
    await expect(channels.ensure(ref, new Date())).resolves.toEqual({ unread: false });
    await expect(channels.ensure(ref, new Date())).resolves.toEqual({ unread: false });
    expect(channelRows.query).toHaveBeenCalledTimes(4);
  });
});
