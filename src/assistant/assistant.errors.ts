import { BadRequestError } from '../common/errors/domain.errors';

/** Why an assistant input was refused; chat commands translate the code, REST shows the message. */
export type InputErrorCode =
  | 'invalid'
  | 'emptyTrigger'
  | 'triggerTooLong'
  | 'tooManyTriggers'
  | 'badRegex'
  | 'unknownPlaceholder'
  | 'textTooLong'
  | 'tooManyRules';

export class AssistantInputError extends BadRequestError {
  constructor(
    message: string,
    readonly code: InputErrorCode = 'invalid',
    readonly params: Record<string, string | number> = {},
  ) {
    super(message);
  }
}
