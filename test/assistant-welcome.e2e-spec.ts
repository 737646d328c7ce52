import { catalog as all } from '../src/i18n/catalog';
import type { Language } from '../src/config/settings';
import {
  makeJoinEvent,
  makeLeaveEvent,
  makeMemberJoinedEvent,
  makeUsers,
  randomGroupId,
  randomRoomId,
  redeliver,
} from './fake-line/events';
import {
  AssistantWorld,
  api,
  deliver,
  newGroup,
  patchConfig,
  replyTexts,
  startWorld,
} from './assistant-support';

const catalog = Object.fromEntries(Object.entries(all).map(([lang, ns]) => [lang, ns.assistant])) as Record<
  Language,
  Record<string, string>
>;
const zh = catalog['zh-TW'];
const LANGS: Language[] = ['zh-TW', 'ja', 'th', 'en'];

describe('assistant: introduction, welcome and rules', () => {
  let w: AssistantWorld;

  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(async () => {
    expect(w?.fake.pushes()).toEqual([]);
    await w?.close();
  });

  /** New members join `groupId` on LINE; answers the memberJoined event. */
  const join = async (groupId: string, names: string[]) => {
    const users = makeUsers(names);
    for (const u of users) w.fake.addMember(groupId, u);
    const event = makeMemberJoinedEvent({ groupId, userIds: users.map((u) => u.userId) });
    await deliver(w, event);
    return { event, users };
  };
  const reply = (event: { replyToken?: string }) => w.fake.replyFor(event)?.messages;

  describe('introduction when the bot joins', () => {
    it('says what it does, /help, and that the first /claim makes the owner', async () => {
      const groupId = randomGroupId();
      w.fake.addGroup({ groupId, groupName: '家族群組' });
      const event = makeJoinEvent({ groupId });
      await deliver(w, event);
      const [text] = replyTexts(w, event);
      expect(text).toBe(zh.intro);
      expect(text).toContain('/help');
      expect(text).toContain('第一位輸入 /claim 的成員會成為這個群組的擁有者');
    });

    it.each(LANGS)('introduces itself in the channel language (%s) when added again', async (lang) => {
      const groupId = await newGroup(w, lang);
      await deliver(w, makeLeaveEvent({ groupId }));
      const event = makeJoinEvent({ groupId });
      await deliver(w, event);
      expect(replyTexts(w, event)).toEqual([catalog[lang].intro]);
    });

    it('introduces itself in a room too, and stays silent when the assistant is off', async () => {
      const roomId = randomRoomId();
      w.fake.addRoom({ roomId });
      const event = makeJoinEvent({ roomId });
      await deliver(w, event);
      expect(replyTexts(w, event)).toEqual([zh.intro]);

      const groupId = await newGroup(w);
      await patchConfig(w, groupId, { assistant: { enabled: false } });
      await deliver(w, makeLeaveEvent({ groupId }));
      const again = makeJoinEvent({ groupId });
      await deliver(w, again);
      expect(reply(again)).toBeUndefined();
    });
  });

  describe('welcome', () => {
    it('greets one new member by mention, with the placeholders filled', async () => {
      const groupId = await newGroup(w, 'en', 'Book club');
      await api(w, w.tokens.owner)
        .put(`/api/channels/${groupId}/welcome`, {
          text: 'Welcome {displayName} to {channelName}! We are {memberCount} now. {笑}',
        })
        .expect(200);
      const { event, users } = await join(groupId, ['Alice']);
      const [message] = reply(event)!;
      expect(message).toEqual({
        type: 'textV2',
        text: expect.stringMatching(/^Welcome \{m0\} to Book club! We are \d+ now\. \{\{笑\}\}$/),
        substitution: { m0: { type: 'mention', mentionee: { type: 'user', userId: users[0].userId } } },
      });
    });

    it('greets several members who joined together in one message', async () => {
      const groupId = await newGroup(w);
      await api(w, w.tokens.owner)
        .put(`/api/channels/${groupId}/welcome`, { text: '歡迎 {displayName}！' })
        .expect(200);
      const { event, users } = await join(groupId, ['小華', '小美', '阿明']);
      const messages = reply(event)!;
      expect(messages).toHaveLength(1);
      expect(messages[0]).toEqual({
        type: 'textV2',
        text: '歡迎 {m0}、{m1}、{m2}！',
        substitution: Object.fromEntries(
          users.map((u, i) => [`m${i}`, { type: 'mention', mentionee: { type: 'user', userId: u.userId } }]),
        ),
      });
    });

    it('mentions at most 20 and names the others', async () => {
      const groupId = await newGroup(w, 'en');
      await api(w, w.tokens.owner)
        .put(`/api/channels/${groupId}/welcome`, { text: 'Hi {displayName}' })
        .expect(200);
      const names = Array.from({ length: 23 }, (_, i) => `Guest ${i + 1}`);
      const { event } = await join(groupId, names);
      const [message] = reply(event)!;
      expect(Object.keys(message.substitution as object)).toHaveLength(20);
      expect(message.text).toBe(
        `Hi ${Array.from({ length: 20 }, (_, i) => `{m${i}}`).join(', ')}, Guest 21, Guest 22, Guest 23`,
      );
    });

    it.each(LANGS)('uses the default welcome in %s, naming the members', async (lang) => {
      const groupId = await newGroup(w, lang, 'Café');
      const { event } = await join(groupId, ['Mika']);
      const [message] = reply(event)!;
      const expected = catalog[lang]['welcome.default']
        .replace('{displayName}', '{m0}')
        .replace('{channelName}', 'Café');
      expect(message).toMatchObject({ type: 'textV2', text: expected });
    });

    it('names the members in front of a text without {displayName}, and appends the rules when asked', async () => {
      const groupId = await newGroup(w, 'th', 'ชมรมวิ่ง');
      const owner = api(w, w.tokens.owner);
      await owner.put(`/api/channels/${groupId}/rules`, { text: '1. สุภาพ\n2. ห้ามขายของ' }).expect(200);
      await owner
        .put(`/api/channels/${groupId}/welcome`, { text: 'ยินดีต้อนรับค่ะ', appendRules: true })
        .expect(200);
      const { event } = await join(groupId, ['Nok']);
      expect(reply(event)).toEqual([
        expect.objectContaining({ type: 'textV2', text: '{m0}\nยินดีต้อนรับค่ะ' }),
        { type: 'text', text: '📋 กฎของ ชมรมวิ่ง\n1. สุภาพ\n2. ห้ามขายของ' },
      ]);
    });

    it('welcomes in a room with mentions too', async () => {
      const roomId = randomRoomId();
      w.fake.addRoom({ roomId });
      await deliver(w, makeJoinEvent({ roomId }));
      const [user] = makeUsers(['Kenji']);
      w.fake.addMember(roomId, user);
      const event = makeMemberJoinedEvent({ roomId, userIds: [user.userId] });
      await deliver(w, event);
      expect(reply(event)).toEqual([
        expect.objectContaining({
          type: 'textV2',
          substitution: { m0: { type: 'mention', mentionee: { type: 'user', userId: user.userId } } },
        }),
      ]);
    });

    it('welcomes once when the event is redelivered, and not at all in standby', async () => {
      const groupId = await newGroup(w);
      const [user] = makeUsers(['Ann']);
      w.fake.addMember(groupId, user);
      const event = makeMemberJoinedEvent({ groupId, userIds: [user.userId] });
      await deliver(w, event);
      await deliver(w, redeliver(event));
      expect(w.fake.replies().filter((r) => r.replyToken === event.replyToken)).toHaveLength(1);
      const before = w.fake.requestsTo('POST', /^\/v2\/bot\/message\//).length;
      await deliver(w, makeMemberJoinedEvent({ groupId, userIds: [user.userId], mode: 'standby' }));
      expect(w.fake.requestsTo('POST', /^\/v2\/bot\/message\//)).toHaveLength(before);
    });

    it('stays silent when the welcome or the whole assistant is switched off', async () => {
      const groupId = await newGroup(w);
      await api(w, w.tokens.owner).put(`/api/channels/${groupId}/welcome`, { enabled: false }).expect(200);
      expect(reply((await join(groupId, ['A'])).event)).toBeUndefined();
      await patchConfig(w, groupId, { assistant: { welcome: { enabled: true }, enabled: false } });
      expect(reply((await join(groupId, ['B'])).event)).toBeUndefined();
      await patchConfig(w, groupId, { assistant: { enabled: true } });
      expect(reply((await join(groupId, ['C'])).event)).toHaveLength(1);
    });
  });
});
