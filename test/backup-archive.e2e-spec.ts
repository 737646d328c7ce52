import { FakeLine } from './fake-line/fake-line';
import {
  makeAudioEvent,
  makeEvent,
  makeFileEvent,
  makeImageEvent,
  makeLocationEvent,
  makeMemberJoinedEvent,
  makeMemberLeftEvent,
  makeStickerEvent,
  makeTextEvent,
  makeUnsendEvent,
  makeUsers,
  makeVideoEvent,
  randomGroupId,
  randomUserId,
} from './fake-line/events';
import { postWebhook } from './fake-line/webhook';
import { waitForInboxDrained } from './support/inbox';
import { addBotToGroup, bearer, makeMember, signIn } from './support/sign-in';
import { createTestApp, TestApp } from './support/test-app';

type Msg = Record<string, unknown> & { messageId: string | null; type: string; timestamp: string };

describe('backup: archiving and reading the timeline', () => {
  let fake: FakeLine;
  let t: TestApp;
  const [owner, alice, bob] = makeUsers(['Owner 王小明', 'Alice 愛麗絲', 'Bob']);
  let token: string;

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({ lineBaseUrl: fake.url });
    token = await signIn(t, fake, owner.userId, owner.displayName);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  /** A group the bot is in, claimed by `owner`, with alice and bob as members. */
  async function newGroup(): Promise<string> {
    const groupId = await addBotToGroup(t, fake, [owner, alice, bob]);
    await makeMember(t, fake, { groupId, user: owner, role: 'owner' });
    return groupId;
  }

  async function send(events: object[]): Promise<void> {
    await postWebhook(t, events).expect(200);
    await waitForInboxDrained(t);
  }

  async function messages(groupId: string, query: Record<string, string | number> = {}): Promise<Msg[]> {
    const res = await t
      .http()
      .get(`/api/channels/${groupId}/messages`)
      .query({ limit: 500, ...query })
      .set(bearer(token));
    expect(res.status).toBe(200);
    return res.body.messages;
  }

  async function patchConfig(groupId: string, patch: object): Promise<void> {
    await t.http().patch(`/api/channels/${groupId}/config`).set(bearer(token)).send(patch).expect(200);
  }

  it('archives every message type with the fields LINE gives, and system entries in the same timeline', async () => {
    const groupId = await newGroup();
    const base = Date.now();
    const at = (i: number) => ({ groupId, timestamp: base + i * 1000 });
    const quoted = makeTextEvent({ ...at(0), userId: alice.userId, text: 'first' });
    const text = makeTextEvent({
      ...at(1),
      userId: bob.userId,
      text: '@Alice $ 明天見',
      emojis: [{ index: 7, length: 1, productId: '5ac1bfd5040ab15980c9b435', emojiId: '001' }],
      mention: { mentionees: [{ index: 0, length: 6, type: 'user', userId: alice.userId }] },
      quotedMessageId: quoted.message.id,
    });
    const image = makeImageEvent({
      ...at(2),
      userId: alice.userId,
      imageSet: { id: 'SET1', index: 1, total: 2 },
    });
    const external = makeImageEvent({
      ...at(3),
      userId: alice.userId,
      contentProvider: {
        type: 'external',
        originalContentUrl: 'https://example.com/a.jpg',
        previewImageUrl: 'https://example.com/a-preview.jpg',
      },
    });
    const video = makeVideoEvent({ ...at(4), userId: bob.userId, duration: 60_000 });
    const audio = makeAudioEvent({ ...at(5), userId: bob.userId, duration: 4_000 });
    const file = makeFileEvent({
      ...at(6),
      userId: alice.userId,
      fileName: '會議紀錄.pdf',
      fileSize: 12_345,
    });
    const sticker = makeStickerEvent({
      ...at(7),
      userId: bob.userId,
      packageId: '789',
      stickerId: '10855',
      stickerResourceType: 'ANIMATION',
      keywords: ['Hi', 'Hello'],
      text: 'Hi!',
    });
    const location = makeLocationEvent({
      ...at(8),
      userId: alice.userId,
      title: '台北車站',
      address: '台北市中正區',
    });
    const newcomer = randomUserId();
    const joined = makeMemberJoinedEvent({ ...at(9), userIds: [newcomer] });
    const left = makeMemberLeftEvent({ ...at(10), userIds: [bob.userId] });
    for (const e of [image, video, audio, file])
      fake.setContent(e.message.id, { body: Buffer.from('x'), contentType: 'application/octet-stream' });
    await send([quoted, text, image, external, video, audio, file, sticker, location, joined, left]);

    const all = await messages(groupId);
    const byId = (id: string) => all.find((m) => m.messageId === id)!;
    expect(byId(text.message.id)).toMatchObject({
      userId: bob.userId,
      displayName: 'Bob',
      type: 'text',
      timestamp: new Date(base + 1000).toISOString(),
      text: '@Alice $ 明天見',
      emojis: text.message.emojis,
      mention: text.message.mention,
      quotedMessageId: quoted.message.id,
    });
    expect(byId(text.message.id)).not.toHaveProperty('quoteToken');
    expect(byId(text.message.id)).not.toHaveProperty('unsentAt');
    expect(byId(image.message.id)).toMatchObject({
      type: 'image',
      userId: alice.userId,
      displayName: 'Alice 愛麗絲',
      imageSet: { id: 'SET1', index: 1, total: 2 },
      content: { status: expect.stringMatching(/^(pending|stored)$/) },
    });
    expect(byId(external.message.id)).toMatchObject({
      type: 'image',
      content: {
        status: 'external',
        originalContentUrl: 'https://example.com/a.jpg',
        previewImageUrl: 'https://example.com/a-preview.jpg',
      },
    });
    expect(byId(video.message.id)).toMatchObject({ type: 'video', duration: 60_000 });
    expect(byId(audio.message.id)).toMatchObject({ type: 'audio', duration: 4_000 });
    expect(byId(file.message.id)).toMatchObject({ type: 'file', fileName: '會議紀錄.pdf', fileSize: 12_345 });
    expect(byId(sticker.message.id)).toMatchObject({
      type: 'sticker',
      packageId: '789',
      stickerId: '10855',
      stickerResourceType: 'ANIMATION',
      keywords: ['Hi', 'Hello'],
      text: 'Hi!',
    });
    expect(byId(location.message.id)).toMatchObject({
      type: 'location',
      title: '台北車站',
      address: '台北市中正區',
      latitude: 35.658034,
      longitude: 139.701636,
    });
    // System entries, newest first like everything else; the bot's own join opened the timeline.
    expect(all.slice(0, 2)).toEqual([
      expect.objectContaining({ messageId: null, type: 'memberLeft', userIds: [bob.userId] }),
      expect.objectContaining({ messageId: null, type: 'memberJoined', userIds: [newcomer] }),
    ]);
    expect(all[all.length - 1]).toMatchObject({ messageId: null, type: 'join' });
    // Filters
    expect((await messages(groupId, { type: 'sticker' })).map((m) => m.messageId)).toEqual([
      sticker.message.id,
    ]);
    const alices = await messages(groupId, { userId: alice.userId });
    expect(alices.map((m) => m.messageId)).toEqual(
      [location, file, external, image, quoted].map((e) => e.message.id),
    );
    // File names and places are searchable too.
    expect((await messages(groupId, { q: '紀錄' })).map((m) => m.messageId)).toEqual([file.message.id]);
    expect((await messages(groupId, { q: '車站' })).map((m) => m.messageId)).toEqual([location.message.id]);
    const window = await messages(groupId, {
      after: new Date(base + 2000).toISOString(),
      before: new Date(base + 6000).toISOString(),
    });
    expect(window.map((m) => m.messageId)).toEqual([audio, video, external].map((e) => e.message.id));
  });

  it('keeps message types newer than this code with all their fields', async () => {
    const groupId = await newGroup();
    const poll = makeEvent(
      'message',
      {
        message: { id: '598765432100001', type: 'poll', question: '午餐吃什麼?', options: ['拉麵', '便當'] },
      },
      { groupId, userId: alice.userId },
    );
    await send([poll]);
    expect((await messages(groupId))[0]).toEqual({
      messageId: '598765432100001',
      userId: alice.userId,
      displayName: 'Alice 愛麗絲',
      type: 'poll',
      timestamp: new Date(poll.timestamp).toISOString(),
      question: '午餐吃什麼?',
      options: ['拉麵', '便當'],
    });
  });

  it('stores an event once, however often LINE delivers it', async () => {
    const groupId = await newGroup();
    const e = makeTextEvent({ groupId, userId: alice.userId, text: 'only once 一次' });
    await send([e]);
    await send([{ ...e, deliveryContext: { isRedelivery: true } }]);
    // The same message under another webhookEventId.
    await send([{ ...e, webhookEventId: '01J' + 'X'.repeat(23) }]);
    expect((await messages(groupId, { q: '一次' })).map((m) => m.messageId)).toEqual([e.message.id]);
  });

  it('flags unsent messages, and deletes their content when keepUnsent is off', async () => {
    const groupId = await newGroup();
    const kept = makeTextEvent({ groupId, userId: alice.userId, text: '收回的秘密 kept' });
    const dropped = makeTextEvent({ groupId, userId: alice.userId, text: '收回的秘密 dropped' });
    await send([kept, dropped]);
    const unsendKept = makeUnsendEvent({ groupId, userId: alice.userId, messageId: kept.message.id });
    await send([unsendKept]);
    await patchConfig(groupId, { backup: { keepUnsent: false } });
    const unsendDropped = makeUnsendEvent({ groupId, userId: alice.userId, messageId: dropped.message.id });
    await send([unsendDropped]);

    const all = await messages(groupId, { type: 'text' });
    const k = all.find((m) => m.messageId === kept.message.id)!;
    const d = all.find((m) => m.messageId === dropped.message.id)!;
    expect(k).toMatchObject({
      text: '收回的秘密 kept',
      unsentAt: new Date(unsendKept.timestamp).toISOString(),
    });
    expect(d).toMatchObject({ unsentAt: new Date(unsendDropped.timestamp).toISOString() });
    expect(d).not.toHaveProperty('text');
    expect((await messages(groupId, { q: '秘密' })).map((m) => m.messageId)).toEqual([kept.message.id]);
  });

  it('flags a message unsent in the same webhook, while its own write may still be gathering', async () => {
    const groupId = await newGroup();
    const message = makeTextEvent({ groupId, userId: alice.userId, text: '馬上收回 at once' });
    const unsend = {
      ...makeUnsendEvent({ groupId, userId: alice.userId, messageId: message.message.id }),
      timestamp: message.timestamp + 1,
    };
    await send([message, unsend]);
    const [m] = await messages(groupId, { type: 'text' });
    expect(m).toMatchObject({
      messageId: message.message.id,
      unsentAt: new Date(unsend.timestamp).toISOString(),
    });
  });

  it('stores nothing while backup is switched off', async () => {
    const groupId = await newGroup();
    const before = (await messages(groupId)).length;
    await patchConfig(groupId, { backup: { enabled: false } });
    const image = makeImageEvent({ groupId, userId: alice.userId });
    fake.setContent(image.message.id, { body: Buffer.from('secret bytes'), contentType: 'image/jpeg' });
    await send([
      makeTextEvent({ groupId, userId: alice.userId, text: 'not archived' }),
      image,
      makeMemberJoinedEvent({ groupId, userIds: [randomUserId()] }),
    ]);
    expect(await messages(groupId)).toHaveLength(before);
    expect(fake.requestsTo('GET', `/v2/bot/message/${image.message.id}/content`)).toHaveLength(0);
    await patchConfig(groupId, { backup: { enabled: true } });
    await send([makeTextEvent({ groupId, userId: alice.userId, text: 'archived again' })]);
    expect((await messages(groupId))[0]).toMatchObject({ text: 'archived again' });
  });

  describe('search', () => {
    let groupId: string;
    const texts = {
      zh: ['明天下午三點開會,記得帶野餐墊', '會議改到星期五', '今天天氣很好,適合野餐'],
      ja: ['週末のピクニック、楽しみです', '会議は三時からです', 'パン屋さんに行きます'],
      th: ['พรุ่งนี้ไปปิกนิกกันไหม', 'ประชุมตอนบ่ายสามโมง'],
      en: [
        'Meeting moved to Friday',
        'Lunch at noon? Bring the PICNIC blanket',
        'See you at the meeting room',
      ],
    };

    beforeAll(async () => {
      groupId = await newGroup();
      const all = [...texts.zh, ...texts.ja, ...texts.th, ...texts.en];
      const start = Date.now();
      await send(
        all.map((text, i) => makeTextEvent({ groupId, userId: alice.userId, text, timestamp: start + i })),
      );
    });

    const found = async (q: string) => (await messages(groupId, { q })).map((m) => m.text);

    it.each([
      ['野餐', ['今天天氣很好,適合野餐', '明天下午三點開會,記得帶野餐墊']],
      ['會', ['會議改到星期五', '明天下午三點開會,記得帶野餐墊']],
      ['會議', ['會議改到星期五']],
      ['下午三點開會', ['明天下午三點開會,記得帶野餐墊']],
      ['星期六', []],
    ])('zh-TW: %s', async (q, expected) => {
      expect(await found(q)).toEqual(expected);
    });

    it.each([
      ['ピクニック', ['週末のピクニック、楽しみです']],
      ['楽', ['週末のピクニック、楽しみです']],
      ['会議', ['会議は三時からです']],
      ['パン', ['パン屋さんに行きます']],
      ['ハン', []],
    ])('ja: %s', async (q, expected) => {
      expect(await found(q)).toEqual(expected);
    });

    it.each([
      ['ปิกนิก', ['พรุ่งนี้ไปปิกนิกกันไหม']],
      ['ไป', ['พรุ่งนี้ไปปิกนิกกันไหม']],
      ['ประชุม', ['ประชุมตอนบ่ายสามโมง']],
      ['ส', ['ประชุมตอนบ่ายสามโมง']],
      ['ทะเล', []],
    ])('th: %s', async (q, expected) => {
      expect(await found(q)).toEqual(expected);
    });

    it.each([
      ['meeting', ['See you at the meeting room', 'Meeting moved to Friday']],
      ['PICNIC', ['Lunch at noon? Bring the PICNIC blanket']],
      ['moved to', ['Meeting moved to Friday']],
      ['y', ['See you at the meeting room', 'Meeting moved to Friday']],
      ['monday', []],
    ])('en: %s', async (q, expected) => {
      expect(await found(q)).toEqual(expected);
    });

    it('combines a search with the other filters', async () => {
      expect(await messages(groupId, { q: '野餐', userId: bob.userId })).toEqual([]);
      expect((await messages(groupId, { q: '野餐', type: 'text', userId: alice.userId })).length).toBe(2);
    });

    it('refuses a blank query', async () => {
      const res = await t
        .http()
        .get(`/api/channels/${groupId}/messages`)
        .query({ q: '   ' })
        .set(bearer(token));
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'q must contain something to search for' });
    });
  });

  it('pages newest first without gaps or repeats while new messages arrive', async () => {
    const groupId = await newGroup();
    const start = Date.now() - 60_000;
    const first = Array.from({ length: 30 }, (_, i) =>
      // Pairs share a timestamp: the order must still be total.
      makeTextEvent({
        groupId,
        userId: alice.userId,
        text: `第${i}則 page test`,
        timestamp: start + Math.floor(i / 2) * 1000,
      }),
    );
    await send(first);
    const seen: Msg[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: { body: { messages: Msg[]; nextCursor: string | null } } = await t
        .http()
        .get(`/api/channels/${groupId}/messages`)
        .query({ limit: 7, q: 'page', ...(cursor ? { cursor } : {}) })
        .set(bearer(token))
        .expect(200);
      seen.push(...res.body.messages);
      cursor = res.body.nextCursor;
      pages++;
      if (pages === 1) {
        // New messages (and one delivered late with an old timestamp) arrive between pages.
        await send([
          makeTextEvent({ groupId, userId: bob.userId, text: 'newer page test' }),
          makeTextEvent({ groupId, userId: bob.userId, text: 'late page test', timestamp: start + 40_000 }),
        ]);
      }
    } while (cursor);
    expect(pages).toBe(5);
    const ids = seen.map((m) => m.messageId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(first.map((e) => e.message.id)));
    expect(ids).not.toContain(undefined);
    const times = seen.map((m) => m.timestamp);
    expect([...times].sort().reverse()).toEqual(times);
    // Without a search, the same holds.
    const plain = await messages(groupId, { limit: 500 });
    expect(plain.filter((m) => String(m.text).endsWith('page test'))).toHaveLength(32);
  });

  it('validates the query', async () => {
    const groupId = await newGroup();
    const get = (query: Record<string, string>) =>
      t.http().get(`/api/channels/${groupId}/messages`).query(query).set(bearer(token));
    expect((await get({ limit: '501' })).body).toEqual({
      error: 'limit must be a whole number from 1 to 500',
    });
    expect((await get({ limit: '0' })).status).toBe(400);
    expect((await get({ cursor: 'bm90IGEgY3Vyc29y' })).body).toEqual({ error: 'Invalid cursor' });
    expect((await get({ type: 'poll' })).status).toBe(400);
    expect((await get({ before: 'yesterday' })).body).toEqual({ error: 'before must be an ISO-8601 date' });
    expect((await get({ nope: '1' })).status).toBe(400);
  });

  describe('who may read the archive', () => {
    let groupId: string;
    let imageId: string;
    const [admin, member, stranger, leaver, operator] = makeUsers([
      'Admin',
      'Member',
      'Stranger',
      'Leaver',
      'Operator',
    ]);
    const tokens: Record<string, string> = {};
    let opApp: TestApp;

    beforeAll(async () => {
      groupId = await newGroup();
      await makeMember(t, fake, { groupId, user: admin, role: 'admin', actorToken: token });
      await makeMember(t, fake, { groupId, user: member, role: 'member' });
      await makeMember(t, fake, { groupId, user: leaver, role: 'member' });
      for (const u of [admin, member, stranger, leaver])
        tokens[u.displayName] = await signIn(t, fake, u.userId, u.displayName);
      await send([makeMemberLeftEvent({ groupId, userIds: [leaver.userId] })]);
      const image = makeImageEvent({ groupId, userId: member.userId });
      imageId = image.message.id;
      fake.setContent(imageId, { body: Buffer.from('a picture'), contentType: 'image/png' });
      await send([image]);
      tokens.owner = token;
      // An operator of a second app on the same database. Only one process may drain an inbox (see
      // README, Webhook pipeline): this one serves HTTP and leaves the events to the first app's worker.
      opApp = await createTestApp({
        db: t.db,
        lineBaseUrl: fake.url,
        env: { OPERATOR_USER_IDS: operator.userId, WEBHOOK_WORKER: 'off' },
      });
      tokens.Operator = await signIn(opApp, fake, operator.userId, operator.displayName);
    });
    afterAll(() => opApp?.close());

    const routes = () => [
      `/api/channels/${groupId}/messages`,
      `/api/channels/${groupId}/messages/${imageId}/content`,
      `/api/channels/${groupId}/export?format=json`,
    ];

    it('answers 401 without a token and 404 for an unknown channel', async () => {
      for (const path of routes()) {
        expect((await t.http().get(path)).status).toBe(401);
        const unknown = path.replace(groupId, randomGroupId());
        const res = await t.http().get(unknown).set(bearer(token));
        expect([res.status, res.body]).toEqual([404, { error: 'Channel not found' }]);
      }
    });

    it('lets the owner, admins and operators in, and no one else by default', async () => {
      const { waitFor } = await import('./support/wait-for');
      await waitFor(async () => (await t.http().get(routes()[1]).set(bearer(token))).status === 200, {
        what: 'the image',
      });
      for (const path of routes()) {
        for (const who of ['owner', 'Admin'])
          expect([who, (await t.http().get(path).set(bearer(tokens[who]))).status]).toEqual([who, 200]);
        expect((await opApp.http().get(path).set(bearer(tokens.Operator))).status).toBe(200);
        for (const who of ['Member', 'Stranger', 'Leaver']) {
          const res = await t.http().get(path).set(bearer(tokens[who]));
          expect([who, res.status, res.body]).toEqual([who, 403, { error: 'Permission denied' }]);
        }
      }
    });

    it('opens it to members when backup.visibleTo is member', async () => {
      await patchConfig(groupId, { backup: { visibleTo: 'member' } });
      try {
        for (const path of routes()) {
          expect((await t.http().get(path).set(bearer(tokens.Member))).status).toBe(200);
          for (const who of ['Stranger', 'Leaver'])
            expect((await t.http().get(path).set(bearer(tokens[who]))).status).toBe(403);
        }
      } finally {
        await patchConfig(groupId, { backup: { visibleTo: 'admin' } });
      }
    });
  });
});
