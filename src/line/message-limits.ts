import type { messagingApi } from '@line/bot-sdk';
import { BadRequestError } from '../common/errors/domain.errors';
import { LineMessageLimitError } from './line-api.error';

export const MAX_MESSAGES_PER_CALL = 5;
/** LINE counts UTF-16 code units, which is what `String.length` counts. */
export const MAX_TEXT_LENGTH = 5_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Throws what LINE would answer with a 400, before anything leaves (and before a push spends quota). */
export function assertSendable(messages: messagingApi.Message[]): void {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new LineMessageLimitError('At least one message is required');
  }
  if (messages.length > MAX_MESSAGES_PER_CALL) {
    throw new LineMessageLimitError(
      `At most ${MAX_MESSAGES_PER_CALL} messages can be sent at once (got ${messages.length})`,
    );
  }
  messages.forEach((message, i) => {
    if (message.type !== 'text' && message.type !== 'textV2') return;
    if (typeof message.text !== 'string' || message.text.length === 0) {
      throw new LineMessageLimitError(`Message ${i + 1} has an empty text`);
    }
    if (message.text.length > MAX_TEXT_LENGTH) {
      throw new LineMessageLimitError(
        `Message ${i + 1} is longer than ${MAX_TEXT_LENGTH} characters (${message.text.length})`,
      );
    }
  });
}

/** LINE wants a UUID in X-Line-Retry-Key and answers 400 otherwise. */
export function assertRetryKey(retryKey: string): void {
  if (!UUID.test(retryKey)) throw new BadRequestError('The retry key must be a UUID');
}
