import type { ChannelType } from '../channels/channel.entity';
import type { MemberRole } from '../members/member.entity';

/** The caller of a REST route, set by the JWT guard. */
export interface AuthUser {
  /** LINE userId (the token's `sub`). */
  userId: string;
  /** Listed in OPERATOR_USER_IDS: sees and manages every channel. */
  isOperator: boolean;
}

/** What the channel-role guard learned about a channel-scoped call. */
export interface ChannelAccess {
  channelId: string;
  channelType: ChannelType;
  userId: string;
  /** The caller's role as an active member; null for an operator who is not one. */
  role: MemberRole | null;
  isOperator: boolean;
}

/** Where the guards leave what they learned on the request. */
export interface AuthenticatedRequest {
  user?: AuthUser;
  channelAccess?: ChannelAccess;
  params: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
}
