import 'reflect-metadata';
import { INestApplicationContext, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { config as loadDotEnv } from 'dotenv';
import { AuthTokensModule } from './auth/auth-tokens.module';
import { AuthTokensService } from './auth/auth-tokens.service';
import { AppConfigModule } from './config/app-config.module';
import { ConfigError, loadSettings } from './config/settings';
import { DatabaseModule } from './database/database.module';
import {
  FailedEvent,
  FailedEvents,
  FailedEventsModule,
  RetrySelection,
  WEBHOOK_EVENT_ID,
} from './webhook/failed-events';

const USAGE = `Usage: npm run -s cli -- <command>

  token <userId>             Print a sign-in token (JWT) for a LINE user id (U + 32 hex), valid for JWT_TTL.
                             For scripts and first set-up; give operators' ids in OPERATOR_USER_IDS.
  failed [<chatId>]          List the webhook events the worker gave up on (of one chat), oldest first, at
                             most 100: received at, failed at, webhookEventId, type, chat, attempts, last error.
  retry <webhookEventId>...  Put those failed events back in the queue; the running service processes
                             them at its next scan, running only the handlers that had not finished.
  retry --all [<chatId>]     The same for every failed event (of one chat).
`;

const USER_ID = /^U[0-9a-f]{32}$/;
const CHAT_ID = /^[CRU][0-9a-f]{32}$/;

class UsageError extends Error {}

/**
 * Operator commands, run against the same settings (.env / environment) and database as the service.
 * Print only the result on stdout, so `TOKEN=$(npm run -s cli -- token U...)` works.
 */
async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'token':
      if (args.length !== 1) throw new UsageError();
      return token(args[0]);
    case 'failed':
      if (args.length > 1) throw new UsageError();
      return failed(chatIdOf(args[0]));
    case 'retry':
      if (args[0] === '--all') {
        if (args.length > 2) throw new UsageError();
        return retry({ channelId: chatIdOf(args[1]) });
      }
      if (args.length === 0) throw new UsageError();
      for (const id of args) {
        if (!WEBHOOK_EVENT_ID.test(id)) throw new UsageError(`"${id}" is not a webhookEventId`);
      }
      return retry({ webhookEventIds: args });
    default:
      throw new UsageError();
  }
}

async function token(userId: string): Promise<number> {
  if (!USER_ID.test(userId))
    throw new UsageError(`"${userId}" is not a LINE user id (U followed by 32 hex digits)`);
  return withApp(AuthTokensModule, async (app) => {
    const { accessToken } = await app.get(AuthTokensService).issue(userId);
    process.stdout.write(`${accessToken}\n`);
    return 0;
  });
}

async function failed(channelId: string | undefined): Promise<number> {
  return withApp(FailedEventsModule, async (app) => {
    for (const e of await app.get(FailedEvents).list(channelId)) process.stdout.write(`${failedLine(e)}\n`);
    return 0;
  });
}

async function retry(selection: RetrySelection): Promise<number> {
  return withApp(FailedEventsModule, async (app) => {
    const { retried, notFound } = await app.get(FailedEvents).retry(selection);
    for (const id of retried) process.stdout.write(`${id}\n`);
    for (const id of notFound) console.error(`${id}: no failed event with this id`);
    return notFound.length > 0 ? 1 : 0;
  });
}

/** One line, tab-separated; the error on one line, since it may hold line breaks. */
function failedLine(e: FailedEvent): string {
  return [
    e.receivedAt.toISOString(),
    e.processedAt?.toISOString() ?? '-',
    e.webhookEventId,
    e.eventType,
    e.channelId ?? '-',
    String(e.attempts),
    (e.lastError ?? '').replace(/\s+/g, ' '),
  ].join('\t');
}

function chatIdOf(arg: string | undefined): string | undefined {
  if (arg !== undefined && !CHAT_ID.test(arg)) {
    throw new UsageError(
      `"${arg}" is not a LINE group, room or user id (C, R or U followed by 32 hex digits)`,
    );
  }
  return arg;
}

async function withApp(
  feature: Type<unknown>,
  work: (app: INestApplicationContext) => Promise<number>,
): Promise<number> {
  loadDotEnv({ quiet: true });
  const settings = loadSettings(process.env);

  @Module({ imports: [AppConfigModule.forRoot(settings), DatabaseModule, feature] })
  class CliModule {}

  const app = await NestFactory.createApplicationContext(CliModule, { logger: ['error'] });
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      if (err.message) console.error(err.message);
      else process.stderr.write(USAGE);
      process.exit(2);
    }
    console.error(
      err instanceof ConfigError ? `Invalid configuration: ${err.message}` : `Failed: ${String(err)}`,
    );
    process.exit(1);
  },
);
