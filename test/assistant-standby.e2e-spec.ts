import { catalog } from '../src/i18n/catalog';
import { ChannelsService } from '../src/channels/channels.service';
import { MembersService } from '../src/members/members.service';
import {
  makeJoinEvent,
  makeLeaveEvent,
  makeMemberJoinedEvent,
  makeTextEvent,
  makeUsers,
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
import { inboxRows } from './support/inbox';

const en = catalog.en.assistant;

/**
 * LINE sends `mode: "standby"` events while another channel (module) has the chat: the bot must
 * stay silent. Each test sends the same trigger in standby, which must send nothing, and in active
 * mode, which must answer: so that silence cannot come from a trigger that answers nothing anyway.
 */
describe('assistant: standby mode sends nothing', () => {
  let w: AssistantWorld;
  let groupId: string;

  beforeAll(async () => {
    w = await startWorld();
    groupId = await newGroup(w, 'en', 'Standby club');
    // With the push fallback on, an answer without a reply token (standby events have none) would
    // be pushed: only the standby rule keeps the bot silent.
    await patchConfig(w, groupId, { assistant: { pushFallback: true } });
    await api(w, w.tokens.owner)
      .post(`/api/channels/${groupId}/qa`, {
        triggers: ['opening hours'],
        answer: 'We open at 9am.',
        cooldownSeconds: 0,
      })
      .expect(201);
    await api(w, w.tokens.owner)
      .put(`/api/channels/${groupId}/welcome`, { text: 'Welcome {displayName}!' })
      .expect(200);
  });
  afterAll(async () => {
    await w?.close();
  });

  /**
   * Delivers one event as LINE does, checks it was processed (done at the first attempt), and
   * answers what processing it sent to LINE: every reply, push or loading animation is a POST.
   */
  const sentFor = async (event: { webhookEventId: string }) => {
    const from = w.fake.requests.length;
    await deliver(w, event);
    const row = (await inboxRows(w.t)).find((r) => r.webhookEventId === event.webhookEventId);
    expect(row).toMatchObject({ state: 'done', attempts: 0, lastError: null });
    return w.fake.requests
      .slice(from)
      .filter((r) => r.method === 'POST')
      .map((r) => r.path);
  };

  it('answers no Q&A question in standby; the same question in active mode is answered', async () => {
    const question = { text: 'What are the opening hours?', groupId, userId: w.member.userId };
    const standby = makeTextEvent({ ...question, mode: 'standby' });
    expect(standby).not.toHaveProperty('replyToken');
    expect(await sentFor(standby)).toEqual([]);

    const active = makeTextEvent(question);
    expect(await sentFor(active)).toEqual(['/v2/bot/message/reply']);
    expect(replyTexts(w, active)).toEqual(['We open at 9am.']);
  });

  it('runs no command in standby; the same command in active mode is answered', async () => {
    const command = { text: '/help', groupId, userId: w.member.userId };
    expect(await sentFor(makeTextEvent({ ...command, mode: 'standby' }))).toEqual([]);

    const active = makeTextEvent(command);
    expect(await sentFor(active)).toEqual(['/v2/bot/message/reply']);
    expect(replyTexts(w, active)).toEqual([
      [en['help.header'], en['help.member'], en['help.qa']].join('\n\n'),
    ]);
  });

  it('welcomes no new member in standby, though it records them; a member joining in active mode is welcomed', async () => {
    const [quiet, greeted] = makeUsers(['Quiet', 'Greeted']);
    w.fake.addMember(groupId, quiet);
    const standby = makeMemberJoinedEvent({ groupId, userIds: [quiet.userId], mode: 'standby' });
    expect(standby).not.toHaveProperty('replyToken');
    expect(await sentFor(standby)).toEqual([]);
    // Standby forbids sending only: the member list follows the event.
    const recorded = await w.t.app.get(MembersService).find(groupId, quiet.userId);
    expect(recorded).toMatchObject({ status: 'active', displayName: 'Quiet' });
    expect(recorded!.joinedAt!.getTime()).toBe(standby.timestamp);

    w.fake.addMember(groupId, greeted);
    const active = makeMemberJoinedEvent({ groupId, userIds: [greeted.userId] });
    expect(await sentFor(active)).toEqual(['/v2/bot/message/reply']);
    expect(w.fake.replyFor(active)?.messages).toEqual([
      {
        type: 'textV2',
        text: 'Welcome {m0}!',
        substitution: { m0: { type: 'mention', mentionee: { type: 'user', userId: greeted.userId } } },
      },
    ]);
  });

  it('does not introduce itself when added in standby; added again in active mode, it does', async () => {
    const channels = w.t.app.get(ChannelsService);
    await deliver(w, makeLeaveEvent({ groupId }));
    const standby = makeJoinEvent({ groupId, mode: 'standby' });
    expect(standby).not.toHaveProperty('replyToken');
    expect(await sentFor(standby)).toEqual([]);
    expect(await channels.get(groupId)).toMatchObject({ status: 'active', disabledAt: null });

    await deliver(w, makeLeaveEvent({ groupId }));
    const active = makeJoinEvent({ groupId });
    expect(await sentFor(active)).toEqual(['/v2/bot/message/reply']);
    expect(replyTexts(w, active)).toEqual([en.intro]);
  });
});
