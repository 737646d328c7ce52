import { Logger } from '@nestjs/common';
import express, { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { DomainError } from '../common/errors/domain.errors';
import { describeError } from '../common/filters/all-exceptions.filter';
import { errorBody } from '../common/filters/error-body';
import { WebhookService } from './webhook.service';

const OK_BODY = '{}';

/**
 * POST /webhook as plain Express handlers, mounted ahead of Nest's pipeline. The route takes no
 * user, role or DTO, and it is the one route LINE calls thousands of times a second in a busy
 * hour: Nest's router, guards and per-request logger cost more than storing the events (see the
 * README's benchmark). Errors still leave as `{"error"}` with the statuses the filter gives.
 */
export function webhookRoute(
  webhook: WebhookService,
  maxBodyBytes: number,
): Array<RequestHandler | ErrorRequestHandler> {
  const logger = new Logger('WebhookRoute');
  const onlyPost: RequestHandler = (req, _res, next) =>
    req.method === 'POST' && req.path === '/' ? next() : next('route');
  // Raw bytes: the signature is computed over them, not over a re-serialized object.
  const rawBody = express.raw({ type: () => true, limit: maxBodyBytes });
  const receive = (req: Request, res: Response, next: NextFunction): void => {
    webhook
      .receive(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), req.headers['x-line-signature'])
      .then(() => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(OK_BODY);
      })
      .catch(next);
  };
  const fail = (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const { status, message } = describeError(err);
    if (status >= 500 && !(err instanceof DomainError)) logger.error({ err }, 'Webhook failed');
    else if (status >= 500) logger.warn({ status, error: message }, 'Webhook refused');
    if (res.headersSent) return void res.destroy();
    res.status(status).json(errorBody(message));
  };
  return [onlyPost, rawBody, receive, fail];
}
