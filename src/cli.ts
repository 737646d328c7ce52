import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { config as loadDotEnv } from 'dotenv';
import { AuthTokensModule } from './auth/auth-tokens.module';
import { AuthTokensService } from './auth/auth-tokens.service';
import { AppConfigModule } from './config/app-config.module';
import { ConfigError, loadSettings } from './config/settings';
import { DatabaseModule } from './database/database.module';

const USAGE = `Usage: npm run -s cli -- token <userId>

  token <userId>   Print a sign-in token (JWT) for a LINE user id (U + 32 hex), valid for JWT_TTL.
                   For scripts and first set-up; give operators' ids in OPERATOR_USER_IDS.
`;

/**
 * Operator commands, run against the same settings (.env / environment) and database as the service.
 * Prints only the result on stdout, so `TOKEN=$(npm run -s cli -- token U...)` works.
 */
async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command !== 'token' || args.length !== 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const userId = args[0];
  if (!/^U[0-9a-f]{32}$/.test(userId)) {
    console.error(`"${userId}" is not a LINE user id (U followed by 32 hex digits)`);
    return 2;
  }
  loadDotEnv({ quiet: true });
  const settings = loadSettings(process.env);

  @Module({ imports: [AppConfigModule.forRoot(settings), DatabaseModule, AuthTokensModule] })
  class CliModule {}

  const app = await NestFactory.createApplicationContext(CliModule, { logger: ['error'] });
  try {
    const { accessToken } = await app.get(AuthTokensService).issue(userId);
    process.stdout.write(`${accessToken}\n`);
    return 0;
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(
      err instanceof ConfigError ? `Invalid configuration: ${err.message}` : `Failed: ${String(err)}`,
    );
    process.exit(1);
  },
);
