/**
 * Services throw these instead of HttpException, because the same code runs in the webhook worker
 * where there is no HTTP caller. The global filter maps `status` and `message` to the response.
 */
export abstract class DomainError extends Error {
  abstract readonly status: number;
  /** False where something else reports the condition once (a stalled store): no line per request. */
  readonly logEachRequest: boolean = true;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends DomainError {
  readonly status = 400;
}
export class UnauthorizedError extends DomainError {
  readonly status = 401;
  constructor(message = 'Unauthorized') {
    super(message);
  }
}
export class PermissionDeniedError extends DomainError {
  readonly status = 403;
  constructor(message = 'Permission denied') {
    super(message);
  }
}
export class NotFoundError extends DomainError {
  readonly status = 404;
  constructor(message = 'Not found') {
    super(message);
  }
}
export class ChannelNotFoundError extends NotFoundError {
  constructor() {
    super('Channel not found');
  }
}
export class ConflictError extends DomainError {
  readonly status = 409;
}
export class ServiceUnavailableError extends DomainError {
  readonly status = 503;
}
