import { applyDecorators, CanActivate, ExecutionContext, Injectable, UseGuards } from '@nestjs/common';
import { ApiUnsupportedMediaTypeResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { DomainError } from '../common/errors/domain.errors';
import { ErrorBodyDto } from './api-errors';

export class UnsupportedMediaTypeError extends DomainError {
  readonly status = 415;
  constructor() {
    super('Content-Type must be application/json');
  }
}

/** Without it a text/plain body reaches the handler as an empty object and could pass as "no change". */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<Request>();
    if (!req.is('application/json')) throw new UnsupportedMediaTypeError();
    return true;
  }
}

/** The route takes a JSON body only: any other content type answers 415 `{"error"}`. */
export const RequireJsonBody = () =>
  applyDecorators(
    UseGuards(JsonBodyGuard),
    ApiUnsupportedMediaTypeResponse({
      type: ErrorBodyDto,
      description: '"Content-Type must be application/json"',
    }),
  );
