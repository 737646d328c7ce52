import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ChannelsService } from '../channels/channels.service';
import {
  ChannelNotFoundError,
  PermissionDeniedError,
  UnauthorizedError,
} from '../common/errors/domain.errors';
import type { MemberRole } from '../members/member.entity';
import { MemberRolesService } from '../members/member-roles.service';
import type { AuthenticatedRequest } from './auth-user';
import { CHANNEL_ROLES, CHANNEL_ROLES_FROM_CONFIG, RolesFromConfigFn } from './roles.decorator';

/**
 * Global, after the JWT guard: the one place that decides who may call a channel-scoped route
 * (`@Roles(...)` or `@RolesFromConfig(...)` with a `:channelId` parameter). Unknown channel 404,
 * not an active member or a role not allowed 403, operators pass. Leaves `ChannelAccess` on the
 * request for `@ChannelParam()`.
 */
@Injectable()
export class ChannelRolesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly channels: ChannelsService,
    private readonly roles: MemberRolesService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    const fromConfig = this.reflector.getAllAndOverride<RolesFromConfigFn | undefined>(
      CHANNEL_ROLES_FROM_CONFIG,
      targets,
    );
    const fixed = this.reflector.getAllAndOverride<MemberRole[] | undefined>(CHANNEL_ROLES, targets);
    if (!fromConfig && !fixed) return true;

    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const user = req.user;
    if (!user) throw new UnauthorizedError();
    const channelId = req.params?.channelId;
    if (channelId === undefined) {
      throw new Error(
        `${context.getClass().name}.${context.getHandler().name} has @Roles() but no :channelId`,
      );
    }
    const channel = await this.channels.get(channelId);
    if (!channel) throw new ChannelNotFoundError();
    const role = await this.roles.roleOf(channelId, user.userId);
    if (!user.isOperator) {
      const allowed = fromConfig ? fromConfig(await this.channels.getConfig(channelId)) : fixed!;
      if (role === null || !allowed.includes(role)) throw new PermissionDeniedError();
    }
    req.channelAccess = {
      channelId,
      channelType: channel.type,
      userId: user.userId,
      role,
      isOperator: user.isOperator,
    };
    return true;
  }
}
