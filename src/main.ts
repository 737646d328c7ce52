import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { config as loadDotEnv } from 'dotenv';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { ConfigError, loadSettings, Settings } from './config/settings';

function settingsOrExit(): Settings {
  loadDotEnv({ quiet: true });
  try {
    return loadSettings(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Invalid configuration: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

async function bootstrap(): Promise<void> {
  const settings = settingsOrExit();
  const app = await NestFactory.create(AppModule.forRoot(settings), { bodyParser: false, bufferLogs: true });
  configureApp(app);
  const logger = app.get(Logger);
  if (!settings.line.channelSecret || !settings.line.channelAccessToken) {
    logger.warn(
      'LINE_CHANNEL_SECRET or LINE_CHANNEL_ACCESS_TOKEN is not set: webhooks will be refused and nothing sent to LINE',
    );
  }
  if (settings.auth.jwtSecretGenerated) {
    logger.warn(`JWT_SECRET is not set: using a generated secret kept in ${settings.dataDir}/jwt-secret`);
  }
  await app.listen(settings.port);
  logger.log(`line-group-manager listening on port ${settings.port} (${settings.database.type})`);
}

bootstrap().catch((err: unknown) => {
  console.error(`Start-up failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
