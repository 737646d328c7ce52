import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { UnauthorizedError } from '../common/errors/domain.errors';
import { AuthTokensService } from './auth-tokens.service';
import type { AuthenticatedRequest } from './auth-user';
import { IS_PUBLIC } from './public.decorator';

/**
 * Global: every HTTP route needs `Authorization: Bearer <jwt>` unless it is `@Public()`.
 * Missing, malformed, expired or revoked tokens all answer 401 `{"error":"Unauthorized"}`.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AuthTokensService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    req.user = await this.tokens.verify(bearerToken(req.headers.authorization));
    return true;
  }
}

function bearerToken(header: string | string[] | undefined): string {
  const match = typeof header === 'string' ? /^Bearer[ \t]+(\S+)\s*$/i.exec(header) : null;
  if (!match) throw new UnauthorizedError();
  return match[1];
}
