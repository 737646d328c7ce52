import { DomainError, NotFoundError } from '../common/errors/domain.errors';

export class MessageNotFoundError extends NotFoundError {
  constructor() {
    super('Message not found');
  }
}

export class ContentNotFoundError extends NotFoundError {
  constructor() {
    super('Content not found');
  }
}

export class RangeNotSatisfiableError extends DomainError {
  readonly status = 416;
  constructor() {
    super('Range not satisfiable');
  }
}
