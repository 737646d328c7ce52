import { makeTextEvent, redeliver } from './fake-line/events';
import { postWebhook } from './fake-line/webhook';
import {
  AssistantWorld,
  api,
  deliver,
  newGroup,
  patchConfig,
  replyTexts,
  say,
  startWorld,
} from './assistant-support';
import { inboxRows, waitForInboxDrained } from './support/inbox';
import { createTestApp } from './support/test-app';
import { createTestDatabase } from './support/test-database';

describe('assistant: Q&A auto-reply', () => {
  let w: AssistantWorld;
  /** Channels that opted in to the push fallback; every other answer must be a reply. */
  const pushAllowed = new Set<string>();

  beforeAll(async () => {
    // No LINE retries and fast inbox retries, so that a failed reply is retried by the inbox quickly.
    w = await startWorld({
      env: {
        LINE_MAX_RETRIES: '0',
        LINE_TIMEOUT_MS: '1000',
        WEBHOOK_RETRY_BASE_MS: '10',
        WEBHOOK_RETRY_MAX_MS: '50',
      },
    });
  });
  afterAll(async () => {
    expect(w?.fake.pushes().filter((p) => !pushAllowed.has(p.to))).toEqual([]);
    await w?.close();
  });

  const addRule = async (groupId: string, body: object) => {
    const res = await api(w, w.tokens.owner).post(`/api/channels/${groupId}/qa`, body);
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
    return res.body as { id: number };
  };

  describe('each match mode, in Chinese, Japanese, Thai and English', () => {
    let groupId: string;
    beforeAll(async () => {
      groupId = await newGroup(w);
      for (const [trigger, answer] of [
        ['營業時間', '我們每天早上九點營業。'],
        ['駐車場', '駐車場は建物の裏にあります。'],
        ['ราคา', 'ราคา 100 บาทค่ะ'],
        ['opening hours', 'We open at 9am.'],
      ]) {
        await addRule(groupId, { triggers: [trigger], answer, mode: 'keyword', cooldownSeconds: 0 });
      }
      for (const [trigger, answer] of [
        ['菜單', '今日菜單：牛肉麵'],
        ['メニュー', '本日のメニューはカレーです。'],
        ['เมนู', 'เมนูวันนี้คือผัดไทย'],
        ['menu', "Today's menu: pizza"],
      ]) {
        await addRule(groupId, { triggers: [trigger], answer, mode: 'exact', cooldownSeconds: 0 });
      }
      for (const [trigger, answer] of [
        ['訂單\\s*\\d{4}', '訂單查詢請私訊客服。'],
        ['注文番号\\d+', '注文状況はマイページで確認できます。'],
        ['^เบอร์\\s*\\d{3}$', 'ติดต่อเบอร์นี้ได้เลยค่ะ'],
        ['^order\\s*#?\\d{4}$', 'Track your order on our site.'],
      ]) {
        await addRule(groupId, { triggers: [trigger], answer, mode: 'regex', cooldownSeconds: 0 });
      }
    });

    it.each([
      ['keyword zh-TW, no spaces around it', '請問營業時間是幾點？', '我們每天早上九點營業。'],
      ['keyword ja', 'すみません、駐車場はありますか', '駐車場は建物の裏にあります。'],
      ['keyword th', 'สินค้านี้ราคาเท่าไหร่คะ', 'ราคา 100 บาทค่ะ'],
      ['keyword en, case folded', 'What are your OPENING HOURS?', 'We open at 9am.'],
      ['exact zh-TW', '菜單', '今日菜單：牛肉麵'],
      ['exact ja, half-width katakana', 'ﾒﾆｭｰ', '本日のメニューはカレーです。'],
      ['exact ja, hiragana for katakana', 'めにゅー', '本日のメニューはカレーです。'],
      ['exact th', ' เมนู ', 'เมนูวันนี้คือผัดไทย'],
      ['exact en, full-width and upper case', 'ＭＥＮＵ', "Today's menu: pizza"],
      ['regex zh-TW, full-width digits', '我的訂單１２３４號呢', '訂單查詢請私訊客服。'],
      ['regex ja', '注文番号42の件です', '注文状況はマイページで確認できます。'],
      ['regex th', 'เบอร์ 555', 'ติดต่อเบอร์นี้ได้เลยค่ะ'],
      ['regex en', 'ORDER #1234', 'Track your order on our site.'],
    ])('%s: %p is answered with the reply token', async (_case, text, answer) => {
      const event = await say(w, groupId, w.member, text);
      expect(replyTexts(w, event)).toEqual([answer]);
    });

    it.each([
      ['exact needs the whole message', '今天的菜單是什麼'],
      ['exact ja', 'メニューを見せて'],
      ['regex anchored', 'my order #1234 please'],
      ['an English keyword inside another word', 'reopening hoursly'],
      ['nothing known', 'สวัสดีค่ะ'],
    ])('%s: %p gets no answer', async (_case, text) => {
      const event = await say(w, groupId, w.member, text);
      expect(w.fake.replyFor(event)).toBeUndefined();
    });

    it('quotes the question it answers, with the answer sent as LINE messages', async () => {
      const event = await say(w, groupId, w.member, '營業時間？');
      expect(w.fake.replyFor(event)?.messages).toEqual([
        { type: 'text', text: '我們每天早上九點營業。', quoteToken: event.message.quoteToken },
      ]);
    });
  });

  it('folds width, case and kana alike', async () => {
    const groupId = await newGroup(w);
    await addRule(groupId, { triggers: ['WiFi密碼'], answer: '密碼是 12345678', cooldownSeconds: 0 });
    await addRule(groupId, { triggers: ['カラオケ'], answer: '金曜日の夜です', cooldownSeconds: 0 });
    await addRule(groupId, { triggers: ['Password'], answer: 'Ask the owner.', cooldownSeconds: 0 });
    for (const [text, answer] of [
      ['ｗｉｆｉ密碼是多少', '密碼是 12345678'],
      ['WIFI密碼?', '密碼是 12345678'],
      ['からおけ行こう', '金曜日の夜です'],
      ['ｶﾗｵｹはいつ？', '金曜日の夜です'],
      ['PASSWORD??', 'Ask the owner.'],
      ['ｐａｓｓｗｏｒｄ', 'Ask the owner.'],
    ]) {
      const event = await say(w, groupId, w.member, text);
      expect({ text, replies: replyTexts(w, event) }).toEqual({ text, replies: [answer] });
    }
  });

  it('fills placeholders in answers: sender, chat name, member count and date in the chat time zone', async () => {
    const groupId = await newGroup(w, 'ja', 'ＪＬＰＴ勉強会');
    await patchConfig(w, groupId, { timezone: 'Asia/Tokyo' });
    await addRule(groupId, {
      triggers: ['今日'],
      answer: '{displayName}さん、{channelName}（{memberCount}人）の今日は{date}です。',
    });
    const timestamp = Date.parse('2025-01-15T16:30:00Z'); // 01:30 on the 16th in Tokyo
    const event = makeTextEvent({ text: '今日は何日？', groupId, userId: w.member.userId, timestamp });
    // Too old for its reply token: the answer is dropped (and logged), never pushed.
    await deliver(w, event);
    expect(w.fake.replyFor(event)).toBeUndefined();
    const test = await api(w, w.tokens.member)
      .post(`/api/channels/${groupId}/qa/test`, { text: '今日は？' })
      .expect(200);
    expect(test.body.messages[0].text).toMatch(
      /^Somchaiさん、ＪＬＰＴ勉強会（\d+人）の今日は\d{4}年\d{1,2}月\d{1,2}日です。$/,
    );
  });

  describe('cooldown', () => {
    it('answers a rule at most once per cooldown in a chat, measured in event time', async () => {
      const groupId = await newGroup(w);
      await addRule(groupId, { triggers: ['群規'], answer: '請看記事本', cooldownSeconds: 30 });
      const t0 = Date.now() - 40_000;
      const first = await say(w, groupId, w.member, '群規在哪', { timestamp: t0 });
      const soon = await say(w, groupId, w.admin, '群規呢？', { timestamp: t0 + 10_000 });
      const later = await say(w, groupId, w.member, '再問一次群規', { timestamp: t0 + 31_000 });
      expect(replyTexts(w, first)).toEqual(['請看記事本']);
      expect(w.fake.replyFor(soon)).toBeUndefined();
      expect(replyTexts(w, later)).toEqual(['請看記事本']);
    });

    it('keeps cooldowns per chat, and 0 turns it off', async () => {
      const a = await newGroup(w);
      const b = await newGroup(w);
      await addRule(a, { triggers: ['hello'], answer: 'Hi A', cooldownSeconds: 60 });
      await addRule(b, { triggers: ['hello'], answer: 'Hi B', cooldownSeconds: 0 });
      expect(replyTexts(w, await say(w, a, w.member, 'hello'))).toEqual(['Hi A']);
      expect(replyTexts(w, await say(w, b, w.member, 'hello'))).toEqual(['Hi B']);
      expect(replyTexts(w, await say(w, a, w.member, 'hello again'))).toEqual([]);
      expect(replyTexts(w, await say(w, b, w.member, 'hello again'))).toEqual(['Hi B']);
    });
  });

  it('lets priority, then the longer trigger, decide between overlapping rules', async () => {
    const groupId = await newGroup(w);
    await addRule(groupId, { triggers: ['wifi'], answer: 'A: 有 wifi', cooldownSeconds: 0 });
    await addRule(groupId, { triggers: ['wifi密碼'], answer: 'B: 密碼在櫃台', cooldownSeconds: 0 });
    expect(replyTexts(w, await say(w, groupId, w.member, '有wifi嗎'))).toEqual(['A: 有 wifi']);
    expect(replyTexts(w, await say(w, groupId, w.member, 'wifi密碼多少'))).toEqual(['B: 密碼在櫃台']);
    await addRule(groupId, {
      triggers: ['密碼'],
      answer: 'C: 請私訊管理員',
      priority: 10,
      cooldownSeconds: 0,
    });
    expect(replyTexts(w, await say(w, groupId, w.member, 'wifi密碼多少'))).toEqual(['C: 請私訊管理員']);
  });

  it('stays silent when Q&A or the whole assistant is switched off, and for commands', async () => {
    const groupId = await newGroup(w);
    await addRule(groupId, { triggers: ['time'], answer: 'It is time.', cooldownSeconds: 0 });
    await addRule(groupId, {
      triggers: ['規則'],
      answer: 'should never answer the command',
      cooldownSeconds: 0,
    });
    await patchConfig(w, groupId, { assistant: { qa: { enabled: false } } });
    expect(replyTexts(w, await say(w, groupId, w.member, 'what time'))).toEqual([]);
    await patchConfig(w, groupId, { assistant: { qa: { enabled: true }, enabled: false } });
    expect(replyTexts(w, await say(w, groupId, w.member, 'what time'))).toEqual([]);
    await patchConfig(w, groupId, { assistant: { enabled: true } });
    expect(replyTexts(w, await say(w, groupId, w.member, 'what time'))).toEqual(['It is time.']);
    // 規則 alone is the rules command: the command answers, Q&A does not also fire.
    const command = await say(w, groupId, w.member, '規則');
    expect(replyTexts(w, command)).not.toContain('should never answer the command');
  });

  it('follows the channel default mode for rules without their own', async () => {
    const groupId = await newGroup(w);
    await addRule(groupId, { triggers: ['地址'], answer: '台北市信義路一段1號', cooldownSeconds: 0 });
    expect(replyTexts(w, await say(w, groupId, w.member, '請問地址'))).toEqual(['台北市信義路一段1號']);
    await patchConfig(w, groupId, { assistant: { qa: { mode: 'exact' } } });
    expect(replyTexts(w, await say(w, groupId, w.member, '請問地址'))).toEqual([]);
    expect(replyTexts(w, await say(w, groupId, w.member, '地址'))).toEqual(['台北市信義路一段1號']);
  });

  describe('delivery', () => {
    let groupId: string;
    beforeAll(async () => {
      groupId = await newGroup(w);
      await addRule(groupId, { triggers: ['ping'], answer: 'pong', cooldownSeconds: 0 });
    });

    it('answers a redelivered message once', async () => {
      const event = makeTextEvent({ text: 'ping', groupId, userId: w.member.userId });
      await deliver(w, event);
      await deliver(w, redeliver(event));
      await deliver(w, event);
      const replies = w.fake.requestsTo('POST', '/v2/bot/message/reply').filter((r) => {
        return (r.body as { replyToken?: string }).replyToken === event.replyToken;
      });
      expect(replies).toHaveLength(1);
      expect(replyTexts(w, event)).toEqual(['pong']);
    });

    it('answers once when the reply failed and the event is retried', async () => {
      w.fake.failNext('POST', '/v2/bot/message/reply', { status: 500 });
      const event = await say(w, groupId, w.member, 'ping?');
      const attempts = w.fake.requestsTo('POST', '/v2/bot/message/reply').filter((r) => {
        return (r.body as { replyToken?: string }).replyToken === event.replyToken;
      });
      expect(attempts.map((r) => r.status)).toEqual([500, 200]);
      expect(replyTexts(w, event)).toEqual(['pong']);
    });

    it('handles LINE answering 400 "Invalid reply token" without a crash or a push', async () => {
      const event = makeTextEvent({ text: 'ping', groupId, userId: w.member.userId });
      w.fake.expireReplyToken(event.replyToken!);
      await deliver(w, event);
      const row = (await inboxRows(w.t)).find((r) => r.webhookEventId === event.webhookEventId);
      expect(row?.state).toBe('done');
      expect(w.fake.replyFor(event)).toBeUndefined();
      expect(replyTexts(w, await say(w, groupId, w.member, 'ping!'))).toEqual(['pong']);
    });

    it('pushes instead only when the channel opted in, once per event', async () => {
      const optedIn = await newGroup(w);
      await addRule(optedIn, { triggers: ['ping'], answer: 'pong by push', cooldownSeconds: 0 });
      pushAllowed.add(optedIn);
      await patchConfig(w, optedIn, { assistant: { pushFallback: true } });
      const event = makeTextEvent({ text: 'ping', groupId: optedIn, userId: w.member.userId });
      w.fake.expireReplyToken(event.replyToken!);
      await deliver(w, event);
      await deliver(w, redeliver(event));
      const pushes = w.fake.pushesTo(optedIn);
      expect(pushes.map((p) => p.messages.map((m) => m.text))).toEqual([['pong by push']]);
    });
    it('pushes nothing after a reply LINE took but never answered: it was shown', async () => {
      const optedIn = await newGroup(w);
      await addRule(optedIn, { triggers: ['ping'], answer: 'pong once', cooldownSeconds: 0 });
      pushAllowed.add(optedIn);
      await patchConfig(w, optedIn, { assistant: { pushFallback: true } });
      const event = makeTextEvent({ text: 'ping', groupId: optedIn, userId: w.member.userId });
      w.fake.failNext('POST', '/v2/bot/message/reply', 'timeout-after-accept');
      await deliver(w, event);
      const row = (await inboxRows(w.t)).find((r) => r.webhookEventId === event.webhookEventId);
      expect(row).toMatchObject({ state: 'done', attempts: 1 });
      expect(replyTexts(w, event)).toEqual(['pong once']);
      expect(w.fake.pushesTo(optedIn)).toEqual([]);
    });
  });

  it('keeps the cooldown across a restart (it lives in the database)', async () => {
    const db = await createTestDatabase();
    const first = await startWorld({ db }, w.fake);
    const groupId = await newGroup(first);
    await api(first, first.tokens.owner)
      .post(`/api/channels/${groupId}/qa`, { triggers: ['重開'], answer: '收到', cooldownSeconds: 600 })
      .expect(201);
    expect(replyTexts(first, await say(first, groupId, first.member, '重開了嗎'))).toEqual(['收到']);
    await first.close();
    const second = await createTestApp({
      db,
      lineBaseUrl: w.fake.url,
      env: { WEBHOOK_REORDER_WINDOW_MS: '0' },
    });
    try {
      const within = makeTextEvent({ text: '重開了嗎？', groupId, userId: first.member.userId });
      const after = makeTextEvent({
        text: '重開了',
        groupId,
        userId: first.member.userId,
        timestamp: Date.now() + 601_000,
      });
      await postWebhook(second, [within]).expect(200);
      await waitForInboxDrained(second);
      expect(w.fake.replyFor(within)).toBeUndefined();
      // Proof that this app does answer once the cooldown has passed.
      await postWebhook(second, [after]).expect(200);
      await waitForInboxDrained(second);
      expect(replyTexts(w, after)).toEqual(['收到']);
    } finally {
      await second.close();
      await db.drop();
    }
  });
});
