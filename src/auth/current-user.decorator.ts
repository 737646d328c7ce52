import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { UnauthorizedError } from '../common/errors/domain.errors';
import type { AuthenticatedRequest, AuthUser } from './auth-user';

/** The signed-in caller (`AuthUser`), as the JWT guard found it. Not for `@Public()` routes. */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthUser => {
  const user = ctx.switchToHttp().getRequest<AuthenticatedRequest>().user;
  if (!user) throw new UnauthorizedError();
  return user;
});
