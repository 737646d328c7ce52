import { BadRequestError, DomainError } from '../common/errors/domain.errors';

export interface LineApiErrorInit {
  /** HTTP status; 0 for a timeout or a network failure. */
  status: number;
  lineMessage?: string;
  details?: { message?: string; property?: string }[];
  requestId?: string;
  /** The raw `Retry-After` header of a 429/503. */
  retryAfter?: string;
  /** 409 to a repeated retry key: the id of the request LINE had already accepted. */
  acceptedRequestId?: string;
  /** The parsed JSON body, when there was one (a 409 carries `sentMessages`). */
  body?: unknown;
}

/** A LINE API call that failed for good: not retriable, or retries used up. */
export class LineApiError extends Error {
  readonly status: number;
  readonly lineMessage?: string;
  readonly details?: { message?: string; property?: string }[];
  readonly requestId?: string;
  readonly retryAfter?: string;
  readonly acceptedRequestId?: string;
  readonly body?: unknown;
  /**
   * An earlier try of the same call timed out or failed on LINE's side, so it may have been
   * carried out: a reply whose token LINE then calls invalid was most likely shown.
   */
  earlierTryUncertain = false;

  constructor(message: string, init: LineApiErrorInit) {
    super(message);
    this.name = 'LineApiError';
    Object.assign(this, init);
    this.status = init.status;
  }

  get isInvalidReplyToken(): boolean {
    return this.status === 400 && /invalid reply token/i.test(this.lineMessage ?? '');
  }

  get isTimeoutOrNetwork(): boolean {
    return this.status === 0;
  }

  /** No answer, or LINE's own failure: the request may have been carried out all the same. */
  get mayHaveBeenCarriedOut(): boolean {
    return this.status === 0 || this.status >= 500;
  }
}

/** Refused before sending: LINE would answer 400 anyway (5 messages, 5,000 characters per text). */
export class LineMessageLimitError extends BadRequestError {}

/** LINE_CHANNEL_ACCESS_TOKEN is not set: nothing can be sent or read. */
export class LineNotConfiguredError extends DomainError {
  readonly status = 503;
  constructor() {
    super('LINE is not configured: set LINE_CHANNEL_ACCESS_TOKEN to call the LINE API');
  }
}
