import { catalog } from '../src/i18n/catalog';
import type { Language } from '../src/config/settings';
import { makeMemberJoinedEvent, makeTextEvent, makeUsers } from './fake-line/events';
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

const T = (lang: Language) => ({ a: catalog[lang].assistant, common: catalog[lang].common });
const zh = T('zh-TW').a;
const fill = (s: string, params: Record<string, string | number>) =>
  s.replace(/\{(\w+)\}/g, (whole, k: string) => (k in params ? String(params[k]) : whole));

/** Per language: how people would write the commands, a Q&A to add, and a question that hits it. */
const CASES: Array<{
  lang: Language;
  help: string;
  rules: string;
  rulesText: string;
  add: string;
  triggers: string;
  question: string;
  answer: string;
  welcome: string;
  next: Language;
}> = [
  {
    lang: 'zh-TW',
    help: '說明',
    rules: '規則',
    rulesText: '1. 互相尊重\n2. 禁止廣告',
    add: '/qa add 營業時間|幾點開 = 每天早上九點到晚上六點',
    triggers: '營業時間、幾點開',
    question: '請問你們幾點開？',
    answer: '每天早上九點到晚上六點',
    welcome: '/welcome set 歡迎 {displayName} 加入 {channelName}！',
    next: 'ja',
  },
  {
    lang: 'ja',
    help: 'ヘルプ',
    rules: 'ルール',
    rulesText: '1. 仲良く\n2. 宣伝禁止',
    add: '／ｑａ 追加 駐車場＝建物の裏にあります',
    triggers: '駐車場',
    question: '近くに駐車場はありますか',
    answer: '建物の裏にあります',
    welcome: '/welcome set {displayName}さん、ようこそ！',
    next: 'th',
  },
  {
    lang: 'th',
    help: 'ช่วยเหลือ',
    rules: 'กฎ',
    rulesText: '1. สุภาพ\n2. ห้ามขายของ',
    add: '/qa เพิ่ม ราคา = 100 บาทค่ะ',
    triggers: 'ราคา',
    question: 'อันนี้ราคาเท่าไหร่คะ',
    answer: '100 บาทค่ะ',
    welcome: '/welcome set ยินดีต้อนรับ {displayName} ค่ะ',
    next: 'en',
  },
  {
    lang: 'en',
    help: '/HELP',
    rules: '/rules',
    rulesText: '1. Be kind\n2. No ads',
    add: '/qa add opening hours = 9am to 6pm, {displayName}',
    triggers: 'opening hours',
    question: 'What are the Opening Hours?',
    answer: '9am to 6pm, Somchai',
    welcome: '/welcome set Hello {displayName}!',
    next: 'zh-TW',
  },
];

describe('assistant: in-chat commands, as admin and as member, in every language', () => {
  let w: AssistantWorld;

  beforeAll(async () => {
    w = await startWorld();
  });
  afterAll(async () => {
    expect(w?.fake.pushes()).toEqual([]);
    await w?.close();
  });

  describe.each(CASES)('$lang', (c) => {
    const a = T(c.lang).a;
    const refusal = T(c.lang).common.adminOnly;
    let groupId: string;
    const rulesList = async () =>
      (await api(w, w.tokens.owner).get(`/api/channels/${groupId}/qa`).expect(200)).body.rules;

    beforeAll(async () => {
      groupId = await newGroup(w, c.lang, 'Club');
    });

    it('/help: the member list for members, the admin part for admins, also by its native word', async () => {
      const forMember = [a['help.header'], a['help.member'], a['help.qa']].join('\n\n');
      expect(replyTexts(w, await say(w, groupId, w.member, '/help'))).toEqual([forMember]);
      expect(replyTexts(w, await say(w, groupId, w.member, c.help))).toEqual([forMember]);
      expect(replyTexts(w, await say(w, groupId, w.admin, '/help'))).toEqual([
        `${forMember}\n\n${a['help.admin']}`,
      ]);
    });

    it('/rules: none yet, set by an admin only, then shown to everyone by its native word', async () => {
      expect(replyTexts(w, await say(w, groupId, w.member, c.rules))).toEqual([a['rules.none']]);
      expect(replyTexts(w, await say(w, groupId, w.member, `/rules set ${c.rulesText}`))).toEqual([refusal]);
      expect(replyTexts(w, await say(w, groupId, w.admin, '/rules set'))).toEqual([a['rules.usage']]);
      expect(replyTexts(w, await say(w, groupId, w.admin, `/rules set ${c.rulesText}`))).toEqual([
        a['rules.saved'],
      ]);
      const header = fill(a['rules.header'], { channelName: 'Club' });
      expect(replyTexts(w, await say(w, groupId, w.member, c.rules))).toEqual([`${header}\n${c.rulesText}`]);
      expect(replyTexts(w, await say(w, groupId, w.owner, '/rules'))).toEqual([`${header}\n${c.rulesText}`]);
    });

    it('/qa add, list and del: refused to members, done for admins, answered in the chat', async () => {
      expect(replyTexts(w, await say(w, groupId, w.member, c.add))).toEqual([refusal]);
      expect(await rulesList()).toEqual([]);

      expect(replyTexts(w, await say(w, groupId, w.admin, c.add))).toEqual([
        fill(a['qa.added'], { triggers: c.triggers }),
      ]);
      expect(replyTexts(w, await say(w, groupId, w.member, c.question))).toEqual([c.answer]);

      const [rule] = await rulesList();
      const list = replyTexts(w, await say(w, groupId, w.owner, '/qa list'))[0];
      expect(list.split('\n')[0]).toBe(fill(a['qa.listHeader'], { count: 1 }));
      expect(list.split('\n')[1]).toMatch(new RegExp(`^#${rule.id} ${c.triggers} → `));
      expect(replyTexts(w, await say(w, groupId, w.member, '/qa list'))).toEqual([refusal]);

      const firstTrigger = c.triggers.split(a.listSeparator)[0];
      expect(replyTexts(w, await say(w, groupId, w.member, `/qa del ${firstTrigger}`))).toEqual([refusal]);
      expect(await rulesList()).toHaveLength(1);
      // Deleting every trigger of the rule deletes the rule; the question then gets no answer.
      for (const trigger of c.triggers.split(a.listSeparator)) {
        expect(replyTexts(w, await say(w, groupId, w.admin, `/qa del ${trigger}`))).toEqual([
          fill(a['qa.deleted'], { trigger }),
        ]);
      }
      expect(await rulesList()).toEqual([]);
      expect(replyTexts(w, await say(w, groupId, w.member, `${c.question}?`))).toEqual([]);
      expect(replyTexts(w, await say(w, groupId, w.admin, `/qa del ${firstTrigger}`))).toEqual([
        fill(a['qa.notFound'], { trigger: firstTrigger }),
      ]);
      expect(replyTexts(w, await say(w, groupId, w.admin, '/qa'))).toEqual([a['qa.usage']]);
      expect(replyTexts(w, await say(w, groupId, w.admin, '/qa add no equals sign'))).toEqual([
        a['qa.usage'],
      ]);
      expect(replyTexts(w, await say(w, groupId, w.admin, '/qa list'))).toEqual([a['qa.listEmpty']]);
    });

    it('/qa add refuses an unknown placeholder in the chat language', async () => {
      expect(replyTexts(w, await say(w, groupId, w.admin, '/qa add x = hello {name}'))).toEqual([
        fill(a['error.unknownPlaceholder'], { placeholder: '{name}' }),
      ]);
      expect(await rulesList()).toEqual([]);
    });

    it('/welcome set, off and on: admins only, and the next joiner sees it', async () => {
      expect(replyTexts(w, await say(w, groupId, w.member, c.welcome))).toEqual([refusal]);
      const [saved] = replyTexts(w, await say(w, groupId, w.admin, c.welcome));
      expect(saved.startsWith(fill(a['welcome.saved'], { preview: '' }))).toBe(true);
      expect(saved).toContain(w.admin.displayName);

      const joinNow = async () => {
        const [u] = makeUsers(['Newbie']);
        w.fake.addMember(groupId, u);
        const event = makeMemberJoinedEvent({ groupId, userIds: [u.userId] });
        await deliver(w, event);
        return w.fake.replyFor(event)?.messages ?? [];
      };
      const expected = c.welcome
        .slice('/welcome set '.length)
        .replace('{displayName}', '{m0}')
        .replace('{channelName}', 'Club');
      expect((await joinNow()).map((m) => m.text)).toEqual([expected]);

      expect(replyTexts(w, await say(w, groupId, w.member, '/welcome off'))).toEqual([refusal]);
      expect(replyTexts(w, await say(w, groupId, w.admin, '/welcome off'))).toEqual([a['welcome.off']]);
      expect(await joinNow()).toEqual([]);
      expect(replyTexts(w, await say(w, groupId, w.owner, '/welcome on'))).toEqual([a['welcome.on']]);
      expect(await joinNow()).toHaveLength(1);
      const status = replyTexts(w, await say(w, groupId, w.admin, '/welcome'))[0];
      expect(status).toBe(
        fill(a['welcome.status'], {
          status: a['welcome.statusOn'],
          text: c.welcome.slice('/welcome set '.length),
        }),
      );
    });

    it('/lang: refused to members; an admin switches the language and is answered in the new one', async () => {
      expect(replyTexts(w, await say(w, groupId, w.member, `/lang ${c.next}`))).toEqual([refusal]);
      expect(replyTexts(w, await say(w, groupId, w.admin, '/lang klingon'))).toEqual([
        fill(a['lang.usage'], { current: c.lang }),
      ]);
      expect(replyTexts(w, await say(w, groupId, w.admin, `/lang ${c.next}`))).toEqual([
        T(c.next).a['lang.set'],
      ]);
      const detail = await api(w, w.tokens.member).get(`/api/channels/${groupId}`).expect(200);
      expect(detail.body.config.language).toBe(c.next);
      expect(replyTexts(w, await say(w, groupId, w.member, '/help'))[0]).toContain(
        T(c.next).a['help.header'],
      );
    });
  });

  it('ignores unknown commands and stays silent where a part is switched off', async () => {
    const groupId = await newGroup(w);
    await api(w, w.tokens.owner).put(`/api/channels/${groupId}/rules`, { text: '不要洗版' }).expect(200);
    expect(replyTexts(w, await say(w, groupId, w.member, '/weather 台北'))).toEqual([]);
    expect(replyTexts(w, await say(w, groupId, w.member, '規則是什麼'))).toEqual([]);
    await patchConfig(w, groupId, { assistant: { rules: { enabled: false } } });
    expect(replyTexts(w, await say(w, groupId, w.member, '規則'))).toEqual([]);
    await patchConfig(w, groupId, { assistant: { rules: { enabled: true }, enabled: false } });
    expect(replyTexts(w, await say(w, groupId, w.member, '/help'))).toEqual([]);
    expect(replyTexts(w, await say(w, groupId, w.member, '/rules'))).toEqual([]);
  });

  it('answers commands in a 1:1 chat, where its user is the owner', async () => {
    const event = makeTextEvent({ text: '/help', userId: w.member.userId });
    await deliver(w, event);
    const [text] = replyTexts(w, event);
    expect(text).toBe(
      [zh['help.header'], zh['help.memberPrivate'], zh['help.qa'], zh['help.admin']].join('\n\n'),
    );
    const welcome = makeTextEvent({ text: '/welcome off', userId: w.member.userId });
    await deliver(w, welcome);
    expect(replyTexts(w, welcome)).toEqual([T('zh-TW').common.groupOnly]);
  });
});
