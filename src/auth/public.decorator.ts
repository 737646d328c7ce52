import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'auth:public';

/** A route that needs no token (webhook, health, login). Every other route needs a valid JWT. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
