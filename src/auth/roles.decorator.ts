import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import type { ChannelConfig } from '../channels/channel-config';
import type { MemberRole } from '../members/member.entity';
import { ApiErrors } from './api-errors';

export const CHANNEL_ROLES = 'auth:channel-roles';
export const CHANNEL_ROLES_FROM_CONFIG = 'auth:channel-roles-from-config';

/** Picks the roles allowed on a route from the channel's settings. */
export type RolesFromConfigFn = (config: ChannelConfig) => readonly MemberRole[];

/**
 * Declares a channel-scoped route (one with a `:channelId` parameter) and the roles that may call
 * it. The one channel-role guard (ChannelRolesGuard, global) enforces it, before the handler runs:
 * - the channel does not exist: 404 `{"error":"Channel not found"}`;
 * - the caller is not an active member of it, or their role is not listed: 403 `{"error":"Permission denied"}`;
 * - operators (OPERATOR_USER_IDS) pass everywhere.
 * Roles are not ranked: list every role that may call (`@Roles('owner', 'admin', 'member')` for reads).
 * The handler reads the outcome with `@ChannelParam()`. Also documents the route's 401/403/404 in OpenAPI.
 */
export const Roles = (...roles: MemberRole[]) =>
  applyDecorators(SetMetadata(CHANNEL_ROLES, roles), ApiBearerAuth(), ApiErrors(401, 403, 404));

/**
 * Like `@Roles()`, for a route whose audience is a channel setting: the guard loads the channel's
 * config (ChannelsService.getConfig) and allows the roles `pick` answers, e.g.
 * `@RolesFromConfig((c) => (c.backup.visibleTo === 'member' ? ['owner', 'admin', 'member'] : ['owner', 'admin']))`.
 * Same answers as `@Roles()` (404, 403, operators pass). Use one or the other on a route; if both are
 * present, this one decides.
 */
export const RolesFromConfig = (pick: RolesFromConfigFn) =>
  applyDecorators(SetMetadata(CHANNEL_ROLES_FROM_CONFIG, pick), ApiBearerAuth(), ApiErrors(401, 403, 404));
