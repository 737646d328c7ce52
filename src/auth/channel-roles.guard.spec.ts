import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ChannelConfig } from '../channels/channel-config';
import { defaultChannelConfig } from '../channels/channel-config';
import type { Channel } from '../channels/channel.entity';
import type { ChannelsService } from '../channels/channels.service';
import {
  ChannelNotFoundError,
  PermissionDeniedError,
  UnauthorizedError,
} from '../common/errors/domain.errors';
import type { MemberRole } from '../members/member.entity';
import type { MemberRolesService } from '../members/member-roles.service';
import type { AuthenticatedRequest, AuthUser } from './auth-user';
import { ChannelRolesGuard } from './channel-roles.guard';
import { Roles, RolesFromConfig } from './roles.decorator';

class Routes {
  @Roles('owner', 'admin')
  manage(): void {}

  @RolesFromConfig((c) =>
    c.backup.visibleTo === 'member' ? ['owner', 'admin', 'member'] : ['owner', 'admin'],
  )
  archive(): void {}

  open(): void {}
}

function setup(
  o: { channel?: Partial<Channel> | null; role?: MemberRole | null; config?: ChannelConfig } = {},
) {
  const channels = {
    get: jest.fn(async () =>
      o.channel === null ? null : ({ channelId: 'C1', type: 'group', ...o.channel } as Channel),
    ),
    getConfig: jest.fn(async () => o.config ?? defaultChannelConfig('en')),
  };
  const roles = { roleOf: jest.fn(async () => (o.role === undefined ? 'member' : o.role)) };
  const guard = new ChannelRolesGuard(
    new Reflector(),
    channels as unknown as ChannelsService,
    roles as unknown as MemberRolesService,
  );
  const run = (handler: keyof Routes, user: AuthUser | null = { userId: 'U1', isOperator: false }) => {
    const req: AuthenticatedRequest = { user: user ?? undefined, params: { channelId: 'C1' }, headers: {} };
    const ctx = {
      getType: () => 'http',
      getHandler: () => Routes.prototype[handler],
      getClass: () => Routes,
      switchToHttp: () => ({ getRequest: () => req }),
    } as unknown as ExecutionContext;
    return { result: guard.canActivate(ctx), req };
  };
  return { channels, roles, run };
}

describe('ChannelRolesGuard', () => {
  it('lets through routes without role metadata, untouched', async () => {
    const { run, channels } = setup();
    await expect(run('open').result).resolves.toBe(true);
    expect(channels.get).not.toHaveBeenCalled();
  });

  it('answers Channel not found before looking at roles', async () => {
    const { run, roles } = setup({ channel: null });
    await expect(run('manage').result).rejects.toBeInstanceOf(ChannelNotFoundError);
    expect(roles.roleOf).not.toHaveBeenCalled();
  });

  it.each<[MemberRole | null, boolean]>([
    ['owner', true],
    ['admin', true],
    ['member', false],
    [null, false],
  ])('with @Roles(owner, admin), role %p passes: %p', async (role, passes) => {
    const { run } = setup({ role });
    const { result, req } = run('manage');
    if (passes) {
      await expect(result).resolves.toBe(true);
      expect(req.channelAccess).toEqual({
        channelId: 'C1',
        channelType: 'group',
        userId: 'U1',
        role,
        isOperator: false,
      });
    } else {
      await expect(result).rejects.toBeInstanceOf(PermissionDeniedError);
    }
  });

  it('lets operators pass everywhere, with their real role (or none)', async () => {
    const { run, channels } = setup({ role: null });
    const { result, req } = run('archive', { userId: 'U9', isOperator: true });
    await expect(result).resolves.toBe(true);
    expect(req.channelAccess).toMatchObject({ role: null, isOperator: true });
    expect(channels.getConfig).not.toHaveBeenCalled();
  });

  it('takes the allowed roles from the channel config with @RolesFromConfig, loading it only then', async () => {
    const adminsOnly = setup({ role: 'member' });
    await expect(adminsOnly.run('archive').result).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(adminsOnly.channels.getConfig).toHaveBeenCalledWith('C1');

    const config = defaultChannelConfig('en');
    config.backup.visibleTo = 'member';
    const everyone = setup({ role: 'member', config });
    await expect(everyone.run('archive').result).resolves.toBe(true);
    await expect(setup({ role: null, config }).run('archive').result).rejects.toBeInstanceOf(
      PermissionDeniedError,
    );

    const fixed = setup({ role: 'admin' });
    await fixed.run('manage').result;
    expect(fixed.channels.getConfig).not.toHaveBeenCalled();
  });

  it('refuses a channel-scoped call without a signed-in user', async () => {
    await expect(setup().run('manage', null).result).rejects.toBeInstanceOf(UnauthorizedError);
  });
});
