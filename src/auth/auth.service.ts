import { Injectable, Logger } from '@nestjs/common';
import { UnauthorizedError } from '../common/errors/domain.errors';
import { LineApiError, LineNotConfiguredError } from '../line/line-api.error';
import { LineClient } from '../line/line-client.service';
import { KnownProfile, MembersAdminService } from '../members/members-admin.service';
import { AuthTokensService, IssuedToken } from './auth-tokens.service';
import type { AuthUser } from './auth-user';
import { LoginCodesService } from './login-codes.service';

export interface LoginResult extends IssuedToken {
  user: KnownProfile;
}

/** Sign-in with a code the bot gave, who the caller is, and revoking every token of a user. */
@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly codes: LoginCodesService,
    private readonly tokens: AuthTokensService,
    private readonly members: MembersAdminService,
    private readonly line: LineClient,
  ) {}

  async login(code: string): Promise<LoginResult> {
    const userId = await this.codes.consume(code);
    if (!userId) throw new UnauthorizedError('Invalid or expired code');
    const token = await this.tokens.issue(userId);
    this.logger.log({ userId }, 'Signed in');
    return { ...token, user: await this.profile(userId) };
  }

  async me(user: AuthUser): Promise<KnownProfile & { isOperator: boolean }> {
    return { ...(await this.profile(user.userId)), isOperator: user.isOperator };
  }

  async logoutAll(user: AuthUser): Promise<void> {
    await this.tokens.revokeAll(user.userId);
    this.logger.log({ userId: user.userId }, 'Every token revoked');
  }

  /** The latest profile the bot has seen in any chat; else LINE's (friends only); else just the id. */
  private async profile(userId: string): Promise<KnownProfile> {
    const known = await this.members.latestProfile(userId);
    if (known) return known;
    try {
      const p = await this.line.getProfile(userId);
      return { userId, displayName: p.displayName ?? null, pictureUrl: p.pictureUrl ?? null };
    } catch (err) {
      if (!(err instanceof LineApiError || err instanceof LineNotConfiguredError)) throw err;
      this.logger.warn({ userId }, 'No profile known for a signed-in user');
      return { userId, displayName: null, pictureUrl: null };
    }
  }
}
