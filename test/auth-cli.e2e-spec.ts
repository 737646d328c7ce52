import { randomUserId } from './fake-line/events';
import { bearer } from './support/sign-in';
import { cli } from './support/cli';
import { createTestApp, TestApp } from './support/test-app';

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
    expect(usage.stderr).toContain('Usage: npm run -s cli -- <command>');
    expect(usage.stderr).toContain('token <userId>');
  });
});
