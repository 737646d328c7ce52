import { makeTextEvent, randomGroupId, randomUserId } from './fake-line/events';
import { FakeLine } from './fake-line/fake-line';
import { postWebhook } from './fake-line/webhook';
import { waitForInboxDrained } from './support/inbox';
import { addBotToGroup, advanceClock, bearer, requestLoginCode, signIn } from './support/sign-in';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

const FAST = { WEBHOOK_REORDER_WINDOW_MS: '0', LOGIN_RATE_LIMIT: '1000' };

describe('sign-in through the bot', () => {
  let fake: FakeLine;
  let t: TestApp;

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({ lineBaseUrl: fake.url, env: FAST });
  });
  afterEach(() => {
    jest.useRealTimers();
    fake.reset();
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  const login = (body: unknown) =>
    t
      .http()
      .post('/api/auth/login')
      .send(body as object);

  it('gives a code in a 1:1 chat and exchanges it for a token and the user', async () => {
    const userId = randomUserId();
    fake.addUser({ userId, displayName: '王小明', pictureUrl: 'https://profile.line-scdn.net/xiaoming' });
    const event = makeTextEvent({ text: '/login', userId });
    await postWebhook(t, event).expect(200);
    const reply = await waitFor(() => fake.replyFor(event));
    expect(reply.messages).toHaveLength(2);
    expect(reply.messages[0]).toMatchObject({ type: 'text', text: expect.stringContaining('10') });
    const code = String(reply.messages[1].text);
    expect(code).toMatch(/^[ACDEFGHJKMNPQRTUVWXY34679]{8}$/);
    expect(fake.pushes()).toEqual([]);

    const res = await login({ code }).expect(200);
    expect(res.body).toEqual({
      accessToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: 12 * 3600,
      user: { userId, displayName: '王小明', pictureUrl: 'https://profile.line-scdn.net/xiaoming' },
    });
    const [header, payload] = String(res.body.accessToken)
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    expect(header).toMatchObject({ alg: 'HS256' });
    expect(payload).toMatchObject({ sub: userId });
    expect(payload.exp - payload.iat).toBe(12 * 3600);

    const me = await t.http().get('/api/auth/me').set(bearer(res.body.accessToken)).expect(200);
    expect(me.body).toEqual({
      userId,
      displayName: '王小明',
      pictureUrl: 'https://profile.line-scdn.net/xiaoming',
      isOperator: false,
    });
  });

  it.each(['登入', 'ログイン', 'เข้าสู่ระบบ', '/LOGIN', '／login'])('accepts %s as /login', async (word) => {
    const userId = randomUserId();
    fake.addUser({ userId, displayName: 'Alias' });
    const code = await requestLoginCode(t, fake, userId, word);
    await login({ code }).expect(200);
  });

  it('shows no code in a group, and asks the user to message the bot 1:1', async () => {
    const user = { userId: randomUserId(), displayName: 'Grouped' };
    const groupId = await addBotToGroup(t, fake, [user]);
    const event = makeTextEvent({ text: '/login', groupId, userId: user.userId });
    await postWebhook(t, event).expect(200);
    const reply = await waitFor(() => fake.replyFor(event));
    const texts = reply.messages.map((m) => String(m.text));
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain('/login');
    expect(texts[0]).not.toMatch(/\b[A-Z2-9]{8}\b/);
    // The channel's language (zh-TW by default) is used.
    expect(texts[0]).toBe('為了保護你的登入碼,請先加我為好友,再私訊我傳送 /login。');
  });

  it('accepts a code typed in lower case or with spaces and dashes', async () => {
    const userId = randomUserId();
    const code = await requestLoginCode(t, fake, userId);
    await login({ code: ` ${code.slice(0, 4).toLowerCase()}-${code.slice(4)} ` }).expect(200);
  });

  it('refuses a used code, a wrong code and a code replaced by a newer one', async () => {
    const userId = randomUserId();
    const first = await requestLoginCode(t, fake, userId);
    const second = await requestLoginCode(t, fake, userId);
    expect(second).not.toBe(first);
    expect((await login({ code: first }).expect(401)).body).toEqual({ error: 'Invalid or expired code' });
    await login({ code: second }).expect(200);
    expect((await login({ code: second }).expect(401)).body).toEqual({ error: 'Invalid or expired code' });
    for (const code of ['AAAAAAAA', 'ACDEFGH0', 'short', '']) {
      expect((await login({ code }).expect(401)).body).toEqual({ error: 'Invalid or expired code' });
    }
  });

  it('lets a code work once even when it is sent twice at the same moment', async () => {
    const code = await requestLoginCode(t, fake, randomUserId());
    const answers = await Promise.all(Array.from({ length: 6 }, () => login({ code })));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401, 401, 401, 401, 401]);
  });

  it('refuses a code after 10 minutes', async () => {
    const code = await requestLoginCode(t, fake, randomUserId());
    const other = await requestLoginCode(t, fake, randomUserId());
    advanceClock(9 * 60_000);
    await login({ code: other }).expect(200);
    advanceClock(10 * 60_000 + 1000);
    expect((await login({ code }).expect(401)).body).toEqual({ error: 'Invalid or expired code' });
  });

  it('refuses bodies with wrong types, extra fields, huge strings and non-JSON, with {"error"}', async () => {
    const code = await requestLoginCode(t, fake, randomUserId());
    const bad: Array<[unknown, number]> = [
      [{}, 400],
      [{ code: 12345678 }, 400],
      [{ code: null }, 400],
      [{ code: [code] }, 400],
      [{ code, extra: 1 }, 400],
      [{ code: 'A'.repeat(10_000) }, 400],
      [[code], 400],
    ];
    for (const [body, status] of bad) {
      const res = await t
        .http()
        .post('/api/auth/login')
        .set('content-type', 'application/json')
        .send(JSON.stringify(body));
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(res.body).toEqual({ error: expect.any(String) });
    }
    const text = await t.http().post('/api/auth/login').set('content-type', 'text/plain').send(code);
    expect(text.status).toBe(415);
    expect(text.body).toEqual({ error: 'Content-Type must be application/json' });
    const form = await t.http().post('/api/auth/login').type('form').send({ code });
    expect(form.status).toBe(415);
    const broken = await t
      .http()
      .post('/api/auth/login')
      .set('content-type', 'application/json')
      .send('{"code":');
    expect(broken.status).toBe(400);
    expect(broken.body).toEqual({ error: 'Malformed JSON body' });
    // None of that spent the code.
    await login({ code }).expect(200);
  });

  it('answers 401 {"error":"Unauthorized"} for missing, malformed, tampered, expired and revoked tokens', async () => {
    const userId = randomUserId();
    const token = await signIn(t, fake, userId);
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: randomUserId() })).toString('base64url');
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const variants: Array<[string, Record<string, string>]> = [
      ['missing', {}],
      ['empty', { Authorization: '' }],
      ['no scheme', { Authorization: token }],
      ['basic', { Authorization: `Basic ${token}` }],
      ['garbage', bearer('not-a-jwt')],
      ['bad signature', bearer(`${h}.${p}.${s.slice(0, -4)}AAAA`)],
      ['changed claims', bearer(`${h}.${forged}.${s}`)],
      ['alg none', bearer(`${none}.${p}.`)],
    ];
    for (const [what, headers] of variants) {
      const res = await t.http().get('/api/auth/me').set(headers);
      expect({ what, status: res.status, body: res.body }).toEqual({
        what,
        status: 401,
        body: { error: 'Unauthorized' },
      });
    }
    await t.http().get('/api/auth/me').set(bearer(token)).expect(200);
    await t
      .http()
      .get('/api/auth/me')
      .set({ authorization: `bearer ${token}` })
      .expect(200);

    advanceClock(12 * 3600_000 + 5000);
    expect((await t.http().get('/api/auth/me').set(bearer(token)).expect(401)).body).toEqual({
      error: 'Unauthorized',
    });
  });

  it('revokes every token of a user with logout-all, and only theirs', async () => {
    const userId = randomUserId();
    const a = await signIn(t, fake, userId);
    const b = await signIn(t, fake, userId);
    const other = await signIn(t, fake, randomUserId());
    expect((await t.http().post('/api/auth/logout-all').set(bearer(a)).expect(200)).body).toEqual({
      success: true,
    });
    for (const token of [a, b]) {
      expect((await t.http().get('/api/auth/me').set(bearer(token)).expect(401)).body).toEqual({
        error: 'Unauthorized',
      });
    }
    await t.http().get('/api/auth/me').set(bearer(other)).expect(200);
    const again = await signIn(t, fake, userId);
    await t.http().get('/api/auth/me').set(bearer(again)).expect(200);
    await t.http().post('/api/auth/logout-all').set(bearer(a)).expect(401);
  });

  it('keeps health, webhook and the API docs public and everything else behind a token', async () => {
    await t.http().get('/health').expect(200);
    await t.http().get('/api/docs/openapi.json').expect(200);
    await postWebhook(t, []).expect(200);
    for (const path of ['/api/auth/me', '/api/channels', `/api/channels/${randomGroupId()}`]) {
      expect((await t.http().get(path).expect(401)).body).toEqual({ error: 'Unauthorized' });
    }
    await waitForInboxDrained(t);
  });

  it('documents the auth routes and the error body in OpenAPI', async () => {
    const doc = (await t.http().get('/api/docs/openapi.json').expect(200)).body;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/auth/login', '/api/auth/me', '/api/auth/logout-all']),
    );
    expect(doc.paths['/api/auth/login'].post.responses).toEqual(
      expect.objectContaining({
        '200': expect.anything(),
        '401': expect.anything(),
        '429': expect.anything(),
      }),
    );
    expect(doc.components.schemas.ErrorBodyDto).toBeDefined();
    expect(doc.components.schemas.LoginResponseDto.required).toEqual(
      expect.arrayContaining(['accessToken', 'tokenType', 'expiresIn', 'user']),
    );
  });
});

describe('sign-in with PUBLIC_URL and operators', () => {
  let fake: FakeLine;
  let t: TestApp;
  const operator = randomUserId();

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({
      lineBaseUrl: fake.url,
      env: { ...FAST, PUBLIC_URL: 'https://bot.example.com/', OPERATOR_USER_IDS: operator },
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  it('adds a sign-in link to the code', async () => {
    const userId = randomUserId();
    const event = makeTextEvent({ text: '/login', userId });
    await postWebhook(t, event).expect(200);
    const reply = await waitFor(() => fake.replyFor(event));
    const code = String(reply.messages[1].text);
    expect(String(reply.messages[0].text)).toContain(`https://bot.example.com/login?code=${code}`);
  });

  it('tells an operator so in /me', async () => {
    const token = await signIn(t, fake, operator);
    expect((await t.http().get('/api/auth/me').set(bearer(token)).expect(200)).body).toMatchObject({
      userId: operator,
      isOperator: true,
    });
  });
});

describe('sign-in throttling', () => {
  let fake: FakeLine;
  let t: TestApp;

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({
      lineBaseUrl: fake.url,
      env: { WEBHOOK_REORDER_WINDOW_MS: '0', LOGIN_RATE_LIMIT: '5' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  it('answers 429 once an IP has tried too many codes, even for a right one', async () => {
    const code = await requestLoginCode(t, fake, randomUserId());
    const guesses = ['ACDEFGHJ', 'KMNPQRTU', 'VWXY3467', '9ACDEFGH', 'JKMNPQRT'];
    for (const guess of guesses) {
      expect((await t.http().post('/api/auth/login').send({ code: guess })).status).toBe(401);
    }
    const blocked = await t.http().post('/api/auth/login').send({ code });
    expect(blocked.status).toBe(429);
    expect(blocked.body).toEqual({ error: 'Too many requests' });
    // Other routes are not limited by it.
    await t.http().get('/health').expect(200);
  });
});

describe('sign-in throttling behind a reverse proxy', () => {
  const guess = (t: TestApp, ip: string) =>
    t.http().post('/api/auth/login').set('x-forwarded-for', ip).send({ code: 'ACDEFGHJ' });

  async function withApp(env: Record<string, string>, run: (t: TestApp) => Promise<void>): Promise<void> {
    const t = await createTestApp({ env: { LOGIN_RATE_LIMIT: '2', ...env } });
    try {
      await run(t);
    } finally {
      await t.close();
    }
  }

  it('limits each client by X-Forwarded-For when TRUST_PROXY is set', async () => {
    await withApp({ TRUST_PROXY: 'true' }, async (t) => {
      expect((await guess(t, '203.0.113.1')).status).toBe(401);
      expect((await guess(t, '203.0.113.1')).status).toBe(401);
      expect((await guess(t, '203.0.113.1')).status).toBe(429);
      expect((await guess(t, '203.0.113.2')).status).toBe(401);
    });
  });

  it('ignores a forged X-Forwarded-For when TRUST_PROXY is not set', async () => {
    await withApp({}, async (t) => {
      expect((await guess(t, '203.0.113.1')).status).toBe(401);
      expect((await guess(t, '203.0.113.2')).status).toBe(401);
      expect((await guess(t, '203.0.113.3')).status).toBe(429);
    });
  });
});
