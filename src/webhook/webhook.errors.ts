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

/**
 * The inbox did not store a webhook within WEBHOOK_STORE_TIMEOUT_MS (MySQL unreachable or stalled),
 * or is still stuck on one that did not: answered 503 so that LINE counts a failure, and redelivers
 * the webhook where redelivery is on. Its events may still be stored late; the redelivery is then a
 * repeat, which the inbox ignores.
 */
export class StorageUnavailableError extends DomainError {
  readonly status = 503;
  /** StoreDeadline logs the stall once when it begins and once, with the count refused, when it ends. */
  override readonly logEachRequest = false;
  constructor() {
    super('Storage unavailable; redeliver the webhook later');
  }
}
