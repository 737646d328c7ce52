import { DomainError } from '../common/errors/domain.errors';

/** LINE did not do what was asked (after the client's retries): 502, try again later. */
export class LineUnavailableError extends DomainError {
  readonly status = 502;
  constructor() {
    super('LINE did not answer; try again later');
  }
}
