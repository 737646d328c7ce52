import { INestApplication, ValidationPipe } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express, { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { AllExceptionsFilter, bodyParserError } from './common/filters/all-exceptions.filter';
import { errorBody } from './common/filters/error-body';
import { HttpDrain } from './common/http-drain';
import type { Settings } from './config/settings';
import { serveWebhook } from './webhook/webhook.route';
import { WebhookService } from './webhook/webhook.service';

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Everything main.ts and the e2e tests share. The app must be created with `bodyParser: false`:
 * /webhook keeps the raw bytes (see webhook.route.ts), everything else is JSON.
 */
export function configureApp(app: INestApplication): INestApplication {
  app.useLogger(app.get(Logger));
  const auth = app.get<ConfigService<Settings, true>>(ConfigService).get('auth', { infer: true });
  (app as NestExpressApplication).set('trust proxy', auth.trustProxy);
  const drain = app.get(HttpDrain);
  serveWebhook(app.getHttpServer(), app.get(WebhookService), drain, MAX_BODY_BYTES);
  drain.attach(app.getHttpServer());
  app.use(express.json({ limit: MAX_BODY_BYTES }));
  app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const known = bodyParserError(err);
    if (!known) return next(err);
    res.status(known.status).json(errorBody(known.message));
  });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: true,
      validationError: { target: false, value: false },
    }),
  );
  app.useGlobalFilters(new AllExceptionsFilter());
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('line-group-manager')
      .setDescription(
        'Manage LINE groups, rooms and 1:1 chats: members, roles, Q&A, welcome, rules and backup.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs/openapi.json' });
  return app;
}
