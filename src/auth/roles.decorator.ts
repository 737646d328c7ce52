import { SetMetadata } from '@nestjs/common';
import type { MemberRole } from '../members/member.entity';

export const CHANNEL_ROLES = 'auth:channel-roles';

/**
 * Declares a channel-scoped route (one with a `:channelId` parameter) and the roles that may call
 * it. The one channel-role guard enforces it: unknown channel 404, wrong or missing role 403;
 * operators pass everywhere.
 */
export const Roles = (...roles: MemberRole[]) => SetMetadata(CHANNEL_ROLES, roles);
