import { ArgumentsHost, BadRequestException, Logger, NotFoundException } from '@nestjs/common';
import { ChannelNotFoundError, PermissionDeniedError } from '../errors/domain.errors';
import { StorageUnavailableError, WebhookNotConfiguredError } from '../../webhook/webhook.errors';
import { AllExceptionsFilter } from './all-exceptions.filter';

function run(exception: unknown) {
  const sent: { status?: number; body?: unknown } = {};
  const res = {
    headersSent: false,
    status(code: number) {
      sent.status = code;
      return this;
    },
    json(body: unknown) {
      sent.body = body;
      return this;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost;
  new AllExceptionsFilter().catch(exception, host);
  return sent;
}

describe('AllExceptionsFilter', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('maps domain errors to their status and message', () => {
    expect(run(new ChannelNotFoundError())).toEqual({ status: 404, body: { error: 'Channel not found' } });
    expect(run(new PermissionDeniedError())).toEqual({ status: 403, body: { error: 'Permission denied' } });
  });

  it('never leaks an unknown error, and logs it', () => {
    const secret = new Error('ER_ACCESS_DENIED for user root at /srv/app/src/x.ts:12');
    const out = run(secret);
    expect(out).toEqual({ status: 500, body: { error: 'Internal server error' } });
    expect(JSON.stringify(out.body)).not.toContain('ER_ACCESS_DENIED');
    expect(Logger.prototype.error).toHaveBeenCalled();
  });

  it('logs a refused request once per request, unless its condition is reported once elsewhere', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    expect(run(new WebhookNotConfiguredError()).status).toBe(503);
    expect(warn).toHaveBeenCalledTimes(1);
    // A stalled store: StoreDeadline logs its start and end, not each of the webhooks it refuses.
    expect(run(new StorageUnavailableError())).toEqual({
      status: 503,
      body: { error: 'Storage unavailable; redeliver the webhook later' },
    });
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('answers the first validation message', () => {
    const out = run(
      new BadRequestException({
        message: ['role must be one of admin, member', 'other'],
        error: 'Bad Request',
      }),
    );
    expect(out).toEqual({ status: 400, body: { error: 'role must be one of admin, member' } });
  });

  it('turns router misses into Not found', () => {
    expect(run(new NotFoundException('Cannot GET /nope'))).toEqual({
      status: 404,
      body: { error: 'Not found' },
    });
  });

  it('maps body parser errors', () => {
    expect(run(Object.assign(new Error('too large'), { type: 'entity.too.large', status: 413 }))).toEqual({
      status: 413,
      body: { error: 'Request body too large' },
    });
  });
});
