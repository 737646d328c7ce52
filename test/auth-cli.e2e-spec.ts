import { execFile } from 'node:child_process';
import { randomUserId } from './fake-line/events';
import { bearer } from './support/sign-in';
import { createTestApp, TEST_JWT_SECRET, TestApp } from './support/test-app';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run -s cli -- ...` against the suite's database and secret, as an operator would run it. */
function cli(t: TestApp, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'npm',
      ['run', '-s', 'cli', '--', ...args],
      {
        cwd: `${__dirname}/..`,
        timeout: 60_000,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          DATA_DIR: t.db.dataDir,
          ...(t.db.url ? { DATABASE_URL: t.db.url } : {}),
          JWT_SECRET: TEST_JWT_SECRET,
          TS_NODE_TRANSPILE_ONLY: 'true',
        },
      },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run cli -- token <userId>', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t?.close());

  it('prints a token the API accepts, which logout-all revokes', async () => {
    const userId = randomUserId();
    const run = await cli(t, ['token', userId]);
    expect(run.code).toBe(0);
    const token = run.stdout.trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const me = await t.http().get('/api/auth/me').set(bearer(token)).expect(200);
    expect(me.body).toMatchObject({ userId, isOperator: false });

    await t.http().post('/api/auth/logout-all').set(bearer(token)).expect(200);
    await t.http().get('/api/auth/me').set(bearer(token)).expect(401);
    // A token printed after the revocation carries the new version.
    const fresh = (await cli(t, ['token', userId])).stdout.trim();
    await t.http().get('/api/auth/me').set(bearer(fresh)).expect(200);
  });

  it('refuses what is not a LINE user id, and explains its usage', async () => {
    const bad = await cli(t, ['token', 'alice']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('is not a LINE user id');
    const usage = await cli(t, []);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('Usage: npm run -s cli -- token <userId>');
  });
});
