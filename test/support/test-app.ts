import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { loadSettings, Settings } from '../../src/config/settings';
import { createTestDatabase, TestDatabase } from './test-database';

export const TEST_CHANNEL_SECRET = 'test-channel-secret-0123456789';
export const TEST_ACCESS_TOKEN = 'test-access-token-do-not-log';
export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789abcdef';

export interface TestAppOptions {
  /** Share a database between apps (a restart after a crash); otherwise the app gets a fresh one. */
  db?: TestDatabase;
  /** Where LINE lives: the fake platform's base URL. */
  lineBaseUrl?: string;
  env?: Record<string, string | undefined>;
}

export interface TestApp {
  app: INestApplication;
  settings: Settings;
  db: TestDatabase;
  http: () => ReturnType<typeof request>;
  /** Closes the app; drops the database only if this app created it. */
  close(): Promise<void>;
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const ownsDb = !options.db;
  const db = options.db ?? (await createTestDatabase());
  const settings = loadSettings({
    DATA_DIR: db.dataDir,
    DATABASE_URL: db.url,
    LINE_CHANNEL_SECRET: TEST_CHANNEL_SECRET,
    LINE_CHANNEL_ACCESS_TOKEN: TEST_ACCESS_TOKEN,
    LINE_API_BASE_URL: options.lineBaseUrl ?? 'http://127.0.0.1:9',
    LINE_DATA_API_BASE_URL: options.lineBaseUrl ?? 'http://127.0.0.1:9',
    LINE_TIMEOUT_MS: '2000',
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...options.env,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(settings)] }).compile();
  const app = moduleRef.createNestApplication({ bodyParser: false });
  configureApp(app);
  await app.init();
  let closed = false;
  return {
    app,
    settings,
    db,
    http: () => request(app.getHttpServer()),
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
      if (ownsDb) await db.drop();
    },
  };
}
