import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { AuthenticatedRequest, ChannelAccess } from './auth-user';

/**
 * The channel of a channel-scoped route and the caller's standing in it (`ChannelAccess`), as the
 * channel-role guard checked it. Only on routes with `@Roles(...)` or `@RolesFromConfig(...)`.
 */
export const ChannelParam = createParamDecorator((_data: unknown, ctx: ExecutionContext): ChannelAccess => {
  const access = ctx.switchToHttp().getRequest<AuthenticatedRequest>().channelAccess;
  if (!access) throw new Error('@ChannelParam() used on a route without @Roles() or @RolesFromConfig()');
  return access;
});
