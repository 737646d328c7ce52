import { makeUsers, randomGroupId, randomUserId } from './fake-line/events';
import { FakeLine } from './fake-line/fake-line';
import { addBotToGroup, advanceClock, bearer, makeMember, signIn } from './support/sign-in';
import { createTestApp, TestApp } from './support/test-app';

/** Every kind of caller the API can meet. */
const KINDS = [
  'noToken',
  'badToken',
  'expired',
  'revoked',
  'nonMember',
  'leftMember',
  'member',
  'admin',
  'owner',
  'operator',
] as const;
type Kind = (typeof KINDS)[number];
const INVALID: Kind[] = ['noToken', 'badToken', 'expired', 'revoked'];
const VALID = KINDS.filter((k) => !INVALID.includes(k));

const READ: Kind[] = ['member', 'admin', 'owner', 'operator'];
const MANAGE: Kind[] = ['admin', 'owner', 'operator'];
const OWN: Kind[] = ['owner', 'operator'];

interface Route {
  name: string;
  method: 'get' | 'post' | 'put' | 'patch';
  path: (channelId: string, ids: Ids) => string;
  body?: (ids: Ids) => object;
  /** Who gets 200; every other valid caller 403 (404 for an unknown channel); invalid tokens 401. */
  allowed: Kind[];
  /** Channel-scoped: also tried on a channel that does not exist. */
  scoped: boolean;
}

interface Ids {
  member: string;
  owner: string;
}

/** Every route of the sign-in, channels and members API. Destructive ones last. */
const ROUTES: Route[] = [
  { name: 'GET /api/auth/me', method: 'get', path: () => '/api/auth/me', allowed: VALID, scoped: false },
  { name: 'GET /api/channels', method: 'get', path: () => '/api/channels', allowed: VALID, scoped: false },
  {
    name: 'GET /api/channels/:id',
    method: 'get',
    path: (c) => `/api/channels/${c}`,
    allowed: READ,
    scoped: true,
  },
  {
    name: 'GET .../members',
    method: 'get',
    path: (c) => `/api/channels/${c}/members`,
    allowed: READ,
    scoped: true,
  },
  {
    name: 'PUT .../members/:userId/role',
    method: 'put',
    path: (c, ids) => `/api/channels/${c}/members/${ids.member}/role`,
    body: () => ({ role: 'member' }),
    allowed: MANAGE,
    scoped: true,
  },
  {
    name: 'PATCH .../config',
    method: 'patch',
    path: (c) => `/api/channels/${c}/config`,
    body: () => ({ assistant: { enabled: true } }),
    allowed: MANAGE,
    scoped: true,
  },
  {
    name: 'POST .../sync',
    method: 'post',
    path: (c) => `/api/channels/${c}/sync`,
    allowed: MANAGE,
    scoped: true,
  },
  {
    name: 'GET .../audit',
    method: 'get',
    path: (c) => `/api/channels/${c}/audit`,
    allowed: MANAGE,
    scoped: true,
  },
  {
    name: 'PUT .../owner',
    method: 'put',
    path: (c) => `/api/channels/${c}/owner`,
    body: (ids) => ({ userId: ids.owner }),
    allowed: OWN,
    scoped: true,
  },
  {
    name: 'POST .../leave',
    method: 'post',
    path: (c) => `/api/channels/${c}/leave`,
    allowed: OWN,
    scoped: true,
  },
  {
    name: 'POST /api/auth/logout-all',
    method: 'post',
    path: () => '/api/auth/logout-all',
    allowed: VALID,
    scoped: false,
  },
];

describe('who may call what: every route against every kind of caller', () => {
  let fake: FakeLine;
  let t: TestApp;
  let groupId: string;
  const tokens = {} as Record<Kind, string | null>;
  const operatorId = randomUserId();
  const [owner, admin, member, left, expiredUser, revokedUser, outsider] = makeUsers([
    'Owner',
    'Admin',
    'Member',
    'Left',
    'Expired',
    'Revoked',
    'Outsider',
  ]);
  const ids: Ids = { member: member.userId, owner: owner.userId };

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({
      lineBaseUrl: fake.url,
      env: { WEBHOOK_REORDER_WINDOW_MS: '0', LOGIN_RATE_LIMIT: '1000', OPERATOR_USER_IDS: operatorId },
    });
    groupId = await addBotToGroup(t, fake, [owner, admin, member, left, expiredUser, revokedUser]);
    for (const u of [owner, admin, member, left, expiredUser, revokedUser, outsider]) {
      await signIn(t, fake, u.userId, u.displayName);
    }
    tokens.owner = await signIn(t, fake, owner.userId, owner.displayName);
    await makeMember(t, fake, { groupId, user: owner, role: 'owner' });
    // The expired and revoked callers are admins: only their token, never their role, refuses them.
    for (const u of [admin, expiredUser, revokedUser]) {
      await makeMember(t, fake, { groupId, user: u, role: 'admin', actorToken: tokens.owner });
    }
    await makeMember(t, fake, { groupId, user: member, role: 'member' });
    await makeMember(t, fake, { groupId, user: left, role: 'left' });
    tokens.noToken = null;
    tokens.badToken = 'not.a.token';
    tokens.admin = await signIn(t, fake, admin.userId);
    tokens.member = await signIn(t, fake, member.userId);
    tokens.leftMember = await signIn(t, fake, left.userId);
    tokens.nonMember = await signIn(t, fake, outsider.userId);
    tokens.operator = await signIn(t, fake, operatorId);
    tokens.expired = await signIn(t, fake, expiredUser.userId);
    tokens.revoked = await signIn(t, fake, revokedUser.userId);
    await t.http().post('/api/auth/logout-all').set(bearer(tokens.revoked)).expect(200);
  });
  afterEach(() => jest.useRealTimers());
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  async function call(
    route: Route,
    kind: Kind,
    channelId: string,
  ): Promise<{ status: number; body: unknown }> {
    if (kind === 'expired') {
      // The token is 12 h old: only the clock moves (timers keep running).
      advanceClock(12 * 3600_000 + 1000);
    }
    try {
      let req = t.http()[route.method](route.path(channelId, ids));
      const token = tokens[kind];
      if (token) req = req.set(bearer(token));
      const res = route.body ? await req.send(route.body(ids)) : await req;
      return { status: res.status, body: res.body };
    } finally {
      jest.useRealTimers();
    }
  }

  function expected(route: Route, kind: Kind, known: boolean): { status: number; error?: string } {
    if (INVALID.includes(kind)) return { status: 401, error: 'Unauthorized' };
    if (!known) return { status: 404, error: 'Channel not found' };
    return route.allowed.includes(kind) ? { status: 200 } : { status: 403, error: 'Permission denied' };
  }

  it.each(ROUTES.filter((r) => r.scoped).map((r) => [r.name, r] as const))(
    '%s on an unknown channel',
    async (_name, route) => {
      const unknown = randomGroupId();
      const table = [];
      for (const kind of KINDS) {
        const res = await call(route, kind, unknown);
        const want = expected(route, kind, false);
        table.push({
          kind,
          status: res.status,
          body: res.body,
          want: { status: want.status, body: { error: want.error } },
        });
      }
      expect(table.map((r) => ({ kind: r.kind, status: r.status, body: r.body }))).toEqual(
        table.map((r) => ({ kind: r.kind, status: r.want.status, body: r.want.body })),
      );
    },
  );

  it.each(ROUTES.map((r) => [r.name, r] as const))('%s', async (_name, route) => {
    const got = [];
    const want = [];
    for (const kind of KINDS) {
      const res = await call(route, kind, groupId);
      const w = expected(route, kind, true);
      got.push({ kind, status: res.status, ...(w.error ? { body: res.body } : {}) });
      want.push({ kind, status: w.status, ...(w.error ? { body: { error: w.error } } : {}) });
    }
    expect(got).toEqual(want);
  });

  it('POST /api/auth/login is public: tokens are ignored, only the code counts', async () => {
    for (const kind of KINDS) {
      let req = t.http().post('/api/auth/login');
      if (tokens[kind]) req = req.set(bearer(tokens[kind]!));
      const res = await req.send({ code: 'ACDEFGHJ' });
      expect({ kind, status: res.status, body: res.body }).toEqual({
        kind,
        status: 401,
        body: { error: 'Invalid or expired code' },
      });
    }
  });
});
