import { DomainError, UnauthorizedError } from '../common/errors/domain.errors';

export class InvalidSignatureError extends UnauthorizedError {
  constructor() {
    super('Invalid signature');
  }
}

/** LINE_CHANNEL_SECRET is not set: no webhook can be verified, so none is accepted. */
export class WebhookNotConfiguredError extends DomainError {
  readonly status = 503;
  constructor() {
    super('Webhook is not configured: set LINE_CHANNEL_SECRET');
  }
}
