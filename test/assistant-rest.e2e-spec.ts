import { randomGroupId } from './fake-line/events';
import { AssistantWorld, api, newGroup, replyTexts, say, startWorld } from './assistant-support';

describe('assistant: Q&A, welcome and rules REST API', () => {
  let w: AssistantWorld;
  let groupId: string;
  const path = () => `/api/channels/${groupId}`;

  beforeAll(async () => {
    w = await startWorld();
    groupId = await newGroup(w);
  });
  afterAll(() => w?.close());

  const owner = () => api(w, w.tokens.owner);
  const admin = () => api(w, w.tokens.admin);
  const member = () => api(w, w.tokens.member);
  const rules = async () =>
    (await owner().get(`${path()}/qa`).expect(200)).body.rules as Array<{ id: number }>;

  describe('rules CRUD', () => {
    let id: number;

    it('creates a rule from the short form and answers it with its id', async () => {
      const res = await owner()
        .post(`${path()}/qa`, { triggers: ['營業時間', '幾點開'], answer: '早上九點到晚上六點' })
        .expect(201);
      expect(res.body).toEqual({
        id: expect.any(Number),
        triggers: ['營業時間', '幾點開'],
        mode: null,
        messages: [{ type: 'text', text: '早上九點到晚上六點' }],
        answer: '早上九點到晚上六點',
        enabled: true,
        priority: 0,
        cooldownSeconds: 30,
        createdAt: expect.stringMatching(/Z$/),
        updatedAt: expect.stringMatching(/Z$/),
      });
      id = res.body.id;
    });

    it('creates a rule from LINE message objects with its own settings (admins too)', async () => {
      const messages = [
        { type: 'text', text: 'ราคา 100 บาทค่ะ {displayName}' },
        { type: 'sticker', packageId: '446', stickerId: '1988' },
        {
          type: 'image',
          originalContentUrl: 'https://example.com/menu.jpg',
          previewImageUrl: 'https://example.com/menu-s.jpg',
        },
      ];
      const res = await admin()
        .post(`${path()}/qa`, {
          triggers: ['ราคา'],
          messages,
          mode: 'keyword',
          enabled: false,
          priority: 5,
          cooldownSeconds: 0,
        })
        .expect(201);
      expect(res.body).toMatchObject({
        triggers: ['ราคา'],
        messages,
        answer: null,
        mode: 'keyword',
        enabled: false,
        priority: 5,
      });
      const stored = await member().get(`${path()}/qa/${res.body.id}`).expect(200);
      expect(stored.body).toEqual(res.body);
    });

    it('lets members read, and changes the given fields on PUT', async () => {
      const list = await member().get(`${path()}/qa`).expect(200);
      expect(list.body.rules.map((r: { id: number }) => r.id)).toContain(id);
      const res = await owner()
        .put(`${path()}/qa/${id}`, { answer: '九點開門 {displayName}', priority: 3 })
        .expect(200);
      expect(res.body).toMatchObject({
        id,
        triggers: ['營業時間', '幾點開'],
        answer: '九點開門 {displayName}',
        priority: 3,
      });
      const event = await say(w, groupId, w.member, '明天幾點開？');
      expect(replyTexts(w, event)).toEqual(['九點開門 Somchai']);
    });

    it('deletes, then answers 404', async () => {
      await owner().delete(`${path()}/qa/${id}`).expect(200, { success: true });
      await owner().get(`${path()}/qa/${id}`).expect(404, { error: 'Rule not found' });
      await owner().put(`${path()}/qa/${id}`, { answer: 'x' }).expect(404, { error: 'Rule not found' });
      await owner().delete(`${path()}/qa/${id}`).expect(404, { error: 'Rule not found' });
      await owner().get(`${path()}/qa/abc`).expect(404, { error: 'Rule not found' });
    });

    it('refuses members writing, strangers and unknown channels', async () => {
      await member()
        .post(`${path()}/qa`, { triggers: ['x'], answer: 'y' })
        .expect(403, { error: 'Permission denied' });
      await member().put(`${path()}/welcome`, { text: 'hi' }).expect(403, { error: 'Permission denied' });
      await member().put(`${path()}/rules`, { text: 'hi' }).expect(403, { error: 'Permission denied' });
      await member().post(`${path()}/qa/import`, { rules: [] }).expect(403, { error: 'Permission denied' });
      await w.t.http().get(`${path()}/qa`).expect(401, { error: 'Unauthorized' });
      await owner().get(`/api/channels/${randomGroupId()}/qa`).expect(404, { error: 'Channel not found' });
    });
  });

  describe('validation: 400 with a clear error, and nothing changes', () => {
    it.each([
      [{ triggers: [], answer: 'x' }, 'triggers must contain at least 1 elements'],
      [{ triggers: [''], answer: 'x' }, 'triggers[0] must not be empty'],
      [{ triggers: ['  '], answer: 'x' }, 'triggers[0] must not be empty'],
      [{ answer: 'x' }, 'triggers is required'],
      [{ triggers: ['a'] }, 'answer or messages is required'],
      [
        { triggers: ['a'], answer: 'x', messages: [{ type: 'text', text: 'y' }] },
        'give either answer or messages, not both',
      ],
      [
        { triggers: ['a'], answer: 'x'.repeat(5001) },
        'answer must be shorter than or equal to 5000 characters',
      ],
      [
        { triggers: ['a'], messages: [{ type: 'text', text: '😀'.repeat(2501) }] },
        'messages[0].text must be at most 5000 characters',
      ],
      [
        { triggers: ['a'], messages: Array(6).fill({ type: 'text', text: 'x' }) },
        'messages must contain no more than 5 elements',
      ],
      [
        { triggers: ['a'], messages: [{ type: 'video', originalContentUrl: 'https://e.com/v.mp4' }] },
        'messages[0].type must be text, sticker or image',
      ],
      [
        { triggers: ['a'], messages: [{ type: 'image', originalContentUrl: 'http://e.com/a.jpg' }] },
        'messages[0].originalContentUrl must be an https URL',
      ],
      [
        { triggers: ['a'], answer: 'Hi {name}!' },
        'answer has an unknown placeholder {name}; use {displayName}, {channelName}, {memberCount}, {date}',
      ],
      [
        { triggers: ['(a+)+$'], answer: 'x', mode: 'regex' },
        'triggers[0] could take exponential time (nested or too many repetitions)',
      ],
      [{ triggers: ['[abc'], answer: 'x', mode: 'regex' }, 'triggers[0] is not a valid regular expression'],
      [
        { triggers: ['a'], answer: 'x', mode: 'fuzzy' },
        'mode must be one of the following values: keyword, exact, regex',
      ],
      [{ triggers: ['a'], answer: 'x', cooldownSeconds: -1 }, 'cooldownSeconds must not be less than 0'],
      [{ triggers: ['a'], answer: 'x', priority: 1.5 }, 'priority must be an integer number'],
      [{ triggers: ['a'], answer: 'x', extra: true }, 'property extra should not exist'],
      [{ triggers: 'a', answer: 'x' }, 'triggers must be an array'],
    ])('POST #%# is refused', async (body, error) => {
      const before = await rules();
      const res = await owner().post(`${path()}/qa`, body).expect(400);
      expect(res.body.error).toContain(error);
      expect(await rules()).toEqual(before);
    });

    it('refuses a PUT that would break a rule, leaving it as it was', async () => {
      const { body: rule } = await owner()
        .post(`${path()}/qa`, { triggers: ['a(b'], answer: 'x' })
        .expect(201);
      await owner().put(`${path()}/qa/${rule.id}`, { mode: 'regex' }).expect(400);
      await owner().put(`${path()}/qa/${rule.id}`, { answer: '{date} {when}' }).expect(400);
      expect((await owner().get(`${path()}/qa/${rule.id}`).expect(200)).body).toEqual(rule);
    });

    it('refuses bad welcome and rules texts', async () => {
      const before = (await owner().get(`${path()}/welcome`).expect(200)).body;
      for (const body of [
        { text: 'Hi {user}' },
        { text: '' },
        { text: 'x'.repeat(5001) },
        { enabled: 'yes' },
        {},
        { text: 'x', color: 'red' },
      ]) {
        const res = await owner().put(`${path()}/welcome`, body).expect(400);
        expect(typeof res.body.error).toBe('string');
      }
      expect((await owner().get(`${path()}/welcome`).expect(200)).body).toEqual(before);
      const res = await owner().put(`${path()}/rules`, { text: '規則 {channel}' }).expect(400);
      expect(res.body).toEqual({
        error:
          'text has an unknown placeholder {channel}; use {displayName}, {channelName}, {memberCount}, {date}',
      });
    });
  });

  describe('POST .../qa/test', () => {
    it('says which rule would fire and renders its answer, sending nothing', async () => {
      const channel = await newGroup(w, 'en', 'Book club');
      const base = `/api/channels/${channel}`;
      const { body: wide } = await owner()
        .post(`${base}/qa`, { triggers: ['book'], answer: 'Books!' })
        .expect(201);
      const { body: narrow } = await owner()
        .post(`${base}/qa`, {
          triggers: ['next book'],
          answer: 'Hi {displayName}, the next book of {channelName} is Dune.',
        })
        .expect(201);
      const repliesBefore = w.fake.replies().length;
      const res = await member().post(`${base}/qa/test`, { text: 'What is the NEXT BOOK?' }).expect(200);
      expect(res.body).toEqual({
        matched: true,
        rule: expect.objectContaining({ id: narrow.id }),
        trigger: 'next book',
        mode: 'keyword',
        messages: [{ type: 'text', text: 'Hi Somchai, the next book of Book club is Dune.' }],
        alsoMatched: [wide.id],
      });
      const none = await member().post(`${base}/qa/test`, { text: 'hello' }).expect(200);
      expect(none.body).toEqual({
        matched: false,
        rule: null,
        trigger: null,
        mode: null,
        messages: null,
        alsoMatched: [],
      });
      await member().post(`${base}/qa/test`, {}).expect(400);
      expect(w.fake.replies().length).toBe(repliesBefore);
      expect(w.fake.pushes()).toEqual([]);
    });
  });

  describe('export and import', () => {
    it('copies a rule set to another channel; import is all or nothing', async () => {
      const from = await newGroup(w);
      const to = await newGroup(w);
      await owner()
        .post(`/api/channels/${from}/qa`, { triggers: ['停車'], answer: '地下室有停車場', priority: 2 })
        .expect(201);
      await owner()
        .post(`/api/channels/${from}/qa`, {
          triggers: ['^#\\d+$'],
          mode: 'regex',
          messages: [{ type: 'sticker', packageId: '1', stickerId: '2' }],
        })
        .expect(201);
      const exported = (await member().get(`/api/channels/${from}/qa/export`).expect(200)).body;
      expect(exported).toMatchObject({
        version: 1,
        channelId: from,
        rules: [{ triggers: ['停車'], priority: 2 }, { mode: 'regex' }],
      });
      expect(exported.rules[0]).not.toHaveProperty('id');

      await owner()
        .post(`/api/channels/${to}/qa`, { triggers: ['舊的'], answer: 'old' })
        .expect(201);
      const bad = {
        ...exported,
        rules: [
          ...exported.rules,
          { triggers: ['ok'], answer: 'fine' },
          { triggers: ['x'], answer: '{oops}' },
        ],
      };
      const refused = await owner().post(`/api/channels/${to}/qa/import`, bad).expect(400);
      expect(refused.body.error).toBe(
        'rules[3].answer has an unknown placeholder {oops}; use {displayName}, {channelName}, {memberCount}, {date}',
      );
      expect(
        (await owner().get(`/api/channels/${to}/qa`).expect(200)).body.rules.map(
          (r: { triggers: string[] }) => r.triggers,
        ),
      ).toEqual([['舊的']]);

      const ok = await admin()
        .post(`/api/channels/${to}/qa/import`, { ...exported, replace: true })
        .expect(200);
      expect(ok.body).toEqual({ imported: 2, deleted: 1 });
      const copied = (await owner().get(`/api/channels/${to}/qa/export`).expect(200)).body.rules;
      expect(copied).toEqual(exported.rules);
      expect(replyTexts(w, await say(w, to, w.member, '哪裡可以停車'))).toEqual(['地下室有停車場']);
    });
  });

  it('documents every route in OpenAPI', async () => {
    const { body } = await w.t.http().get('/api/docs/openapi.json').expect(200);
    const base = '/api/channels/{channelId}';
    expect(Object.keys(body.paths[`${base}/qa`])).toEqual(['get', 'post']);
    expect(Object.keys(body.paths[`${base}/qa/{ruleId}`])).toEqual(['get', 'put', 'delete']);
    for (const p of ['qa/test', 'qa/import'])
      expect(Object.keys(body.paths[`${base}/${p}`])).toEqual(['post']);
    expect(Object.keys(body.paths[`${base}/qa/export`])).toEqual(['get']);
    for (const p of ['welcome', 'rules'])
      expect(Object.keys(body.paths[`${base}/${p}`])).toEqual(['get', 'put']);
  });

  describe('welcome and rules', () => {
    it('reads and writes the welcome (text, enabled, appendRules) and the rules', async () => {
      const channel = await newGroup(w, 'ja');
      const base = `/api/channels/${channel}`;
      const initial = await member().get(`${base}/welcome`).expect(200);
      expect(initial.body).toEqual({
        text: null,
        enabled: true,
        appendRules: false,
        defaultText: expect.stringContaining('ようこそ'),
      });
      const set = await owner()
        .put(`${base}/welcome`, { text: 'ようこそ{displayName}さん！', enabled: false, appendRules: true })
        .expect(200);
      expect(set.body).toMatchObject({
        text: 'ようこそ{displayName}さん！',
        enabled: false,
        appendRules: true,
      });
      const detail = await owner().get(base).expect(200);
      expect(detail.body.config.assistant.welcome).toEqual({ enabled: false });
      await owner()
        .put(`${base}/welcome`, { text: null })
        .expect(200, { ...set.body, text: null });

      await member().get(`${base}/rules`).expect(200, { text: null, enabled: true });
      await admin()
        .put(`${base}/rules`, { text: '1. 仲良く\n2. 宣伝禁止' })
        .expect(200, { text: '1. 仲良く\n2. 宣伝禁止', enabled: true });
      await owner()
        .put(`${base}/rules`, { enabled: false })
        .expect(200, { text: '1. 仲良く\n2. 宣伝禁止', enabled: false });
    });

    it('writes every change to the audit log', async () => {
      const channel = await newGroup(w);
      const base = `/api/channels/${channel}`;
      const { body: rule } = await owner()
        .post(`${base}/qa`, { triggers: ['a'], answer: 'b' })
        .expect(201);
      await owner().put(`${base}/qa/${rule.id}`, { answer: 'c' }).expect(200);
      await owner().delete(`${base}/qa/${rule.id}`).expect(200);
      await owner()
        .post(`${base}/qa/import`, { rules: [{ triggers: ['d'], answer: 'e' }] })
        .expect(200);
      await owner().put(`${base}/welcome`, { text: 'hi {displayName}' }).expect(200);
      await owner().put(`${base}/rules`, { text: 'be nice' }).expect(200);
      const audit = await owner().get(`${base}/audit`).expect(200);
      const actions = audit.body.entries.map((e: { action: string }) => e.action);
      for (const action of [
        'assistant.qa.create',
        'assistant.qa.update',
        'assistant.qa.delete',
        'assistant.qa.import',
        'assistant.welcome',
        'assistant.rules',
      ]) {
        expect(actions).toContain(action);
      }
      const update = audit.body.entries.find((e: { action: string }) => e.action === 'assistant.qa.update');
      expect(update).toMatchObject({ before: { answer: 'b' }, after: { answer: 'c' } });
    });
  });
});
