import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LoggerModule, Params } from 'nestjs-pino';
import { Settings } from '../config/settings';
import { serializeError } from './log-error';

/** Paths that may hold secrets, tokens or chat text; pino replaces them before anything is written. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-line-signature"]',
  'req.headers.cookie',
  'req.body',
  'res.headers["set-cookie"]',
  '*.channelSecret',
  '*.channelAccessToken',
  '*.accessToken',
  '*.jwtSecret',
  '*.password',
  '*.text',
];

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Settings, true>) =>
        loggerParams(config.get('logLevel', { infer: true })),
    }),
  ],
})
export class LoggingModule {}

/** What the app logs with: also what the tests check. */
export function loggerParams(level: string): Params {
  return {
    pinoHttp: {
      level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && /^[\w-]{1,64}$/.test(incoming) ? incoming : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      serializers: {
        err: serializeError,
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: stripQuery(req.url),
        }),
      },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    },
  };
}

/** Query strings can carry one-time login codes. */
function stripQuery(url: string): string {
  const i = url.indexOf('?');
  return i === -1 ? url : url.slice(0, i);
}
