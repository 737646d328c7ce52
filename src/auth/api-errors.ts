import { applyDecorators } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiProperty,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

/** Every error leaves the service as this body (see the global exception filter). */
export class ErrorBodyDto {
  @ApiProperty({ example: 'Permission denied', description: 'What went wrong, for a person to read.' })
  error: string;
}

const describe: Record<number, (message: string) => MethodDecorator & ClassDecorator> = {
  400: (example) =>
    ApiBadRequestResponse({ type: ErrorBodyDto, description: `Invalid input, e.g. "${example}"` }),
  401: (example) =>
    ApiUnauthorizedResponse({
      type: ErrorBodyDto,
      description: `"${example}": missing, malformed, expired or revoked token`,
    }),
  403: (example) => ApiForbiddenResponse({ type: ErrorBodyDto, description: `"${example}"` }),
  404: (example) => ApiNotFoundResponse({ type: ErrorBodyDto, description: `"${example}"` }),
  429: (example) => ApiTooManyRequestsResponse({ type: ErrorBodyDto, description: `"${example}"` }),
  502: (example) => ApiBadGatewayResponse({ type: ErrorBodyDto, description: `"${example}"` }),
};

const defaults: Record<number, string> = {
  400: 'role must be one of the following values: admin, member',
  401: 'Unauthorized',
  403: 'Permission denied',
  404: 'Channel not found',
  429: 'Too many requests',
  502: 'LINE did not answer; try again later',
};

/**
 * Documents error answers in OpenAPI: `@ApiErrors(400, 401)` or with the exact message,
 * `@ApiErrors([404, 'Member not found'])`.
 */
export function ApiErrors(...errors: Array<number | [number, string]>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...errors.map((e) => {
      const [status, message] = Array.isArray(e) ? e : [e, defaults[e]];
      return describe[status](message);
    }),
  );
}
