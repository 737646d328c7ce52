import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError } from '../errors/domain.errors';
import { errorBody } from './error-body';

/** Every error leaves as `{ "error": "..." }`; unknown errors hide their details from the caller. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger(AllExceptionsFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, message } = describeAndLog(exception, this.logger);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json(errorBody(message));
  }
}

/**
 * The status and the message a caller may see, logged when the fault is the server's (5xx). Also
 * used by the webhook route, which runs outside Nest.
 */
export function describeAndLog(exception: unknown, logger: Logger): { status: number; message: string } {
  const described = describeError(exception);
  if (described.status < 500) return described;
  if (exception instanceof DomainError) {
    // An expected condition (LINE not configured, for example): its message says it all.
    if (exception.logEachRequest)
      logger.warn({ status: described.status, error: described.message }, 'Request refused');
  } else {
    logger.error({ err: exception }, 'Request failed');
  }
  return described;
}

function describeError(exception: unknown): { status: number; message: string } {
  if (exception instanceof DomainError) return { status: exception.status, message: exception.message };
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    return { status, message: httpMessage(exception, status) };
  }
  const bodyParser = bodyParserError(exception);
  if (bodyParser) return bodyParser;
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'Internal server error' };
}

function httpMessage(exception: HttpException, status: number): string {
  if (status === 404 && /^Cannot [A-Z]+ /.test(exception.message)) return 'Not found';
  if (status >= 500) return 'Internal server error';
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  // ValidationPipe answers a list; the first one is what a person needs to fix first.
  if (Array.isArray(message) && message.length > 0) return String(message[0]);
  if (typeof message === 'string') return message;
  return exception.message;
}

/** Errors raised by express body parsers carry `type` and `status`. */
export function bodyParserError(exception: unknown): { status: number; message: string } | undefined {
  const err = exception as { type?: unknown; status?: unknown };
  if (typeof err?.type !== 'string' || typeof err.status !== 'number') return undefined;
  switch (err.type) {
    case 'entity.too.large':
      return { status: 413, message: 'Request body too large' };
    case 'entity.parse.failed':
      return { status: 400, message: 'Malformed JSON body' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, message: 'Unsupported body encoding' };
    default:
      return err.status >= 400 && err.status < 500
        ? { status: err.status, message: 'Bad request body' }
        : undefined;
  }
}
