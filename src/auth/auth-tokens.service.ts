import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { InjectRepository } from '@nestjs/typeorm';
import { QueryFailedError, Repository } from 'typeorm';
import { UnauthorizedError } from '../common/errors/domain.errors';
import type { Settings } from '../config/settings';
import type { AuthUser } from './auth-user';
import { UserTokenVersion } from './user-token-version.entity';

export interface IssuedToken {
  accessToken: string;
  /** Seconds until it expires. */
  expiresIn: number;
}

interface TokenClaims {
  sub?: unknown;
  /** The user's token version when it was issued. */
  ver?: unknown;
}

/** JWTs (HS256, `sub` = LINE userId) and their revocation by a per-user version. */
@Injectable()
export class AuthTokensService {
  constructor(
    private readonly jwt: JwtService,
    @InjectRepository(UserTokenVersion) private readonly versions: Repository<UserTokenVersion>,
    private readonly config: ConfigService<Settings, true>,
  ) {}

  async issue(userId: string): Promise<IssuedToken> {
    const expiresIn = this.config.get('auth', { infer: true }).jwtTtlSeconds;
    const ver = await this.currentVersion(userId);
    const accessToken = await this.jwt.signAsync({ sub: userId, ver }, { algorithm: 'HS256', expiresIn });
    return { accessToken, expiresIn };
  }

  /** The caller behind a bearer token; any flaw (signature, expiry, revocation) is 401 alike. */
  async verify(token: string): Promise<AuthUser> {
    let claims: TokenClaims;
    try {
      claims = await this.jwt.verifyAsync<TokenClaims>(token, { algorithms: ['HS256'] });
    } catch {
      throw new UnauthorizedError();
    }
    if (typeof claims.sub !== 'string' || !claims.sub || typeof claims.ver !== 'number') {
      throw new UnauthorizedError();
    }
    if (claims.ver !== (await this.currentVersion(claims.sub))) throw new UnauthorizedError();
    return { userId: claims.sub, isOperator: this.isOperator(claims.sub) };
  }

  isOperator(userId: string): boolean {
    return this.config.get('auth', { infer: true }).operatorUserIds.includes(userId);
  }

  /** Every token issued to `userId` so far stops working. */
  async revokeAll(userId: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const now = new Date();
      const bumped = await this.versions
        .createQueryBuilder()
        .update(UserTokenVersion)
        .set({ tokenVersion: () => 'token_version + 1', updatedAt: now })
        .where({ userId })
        .execute();
      if (bumped.affected) return;
      try {
        await this.versions.insert({ userId, tokenVersion: 1, updatedAt: now });
        return;
      } catch (err) {
        // Someone inserted the row at the same moment: bump it instead.
        if (!(err instanceof QueryFailedError) || attempt >= 2) throw err;
      }
    }
  }

  private async currentVersion(userId: string): Promise<number> {
    const row = await this.versions.findOne({
      where: { userId },
      select: { userId: true, tokenVersion: true },
    });
    return row?.tokenVersion ?? 0;
  }
}
