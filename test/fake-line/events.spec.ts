import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateSignature } from '@line/bot-sdk';
import {
  makeAudioEvent,
  makeEvent,
  makeFileEvent,
  makeFollowEvent,
  makeImageSetEvents,
  makeJoinEvent,
  makeLeaveEvent,
  makeLocationEvent,
  makeMemberJoinedEvent,
  makeMemberLeftEvent,
  makePostbackEvent,
  makeStickerEvent,
  makeTextEvent,
  makeUnfollowEvent,
  makeUnsendEvent,
  makeVideoEvent,
  mentionee,
  randomGroupId,
  randomRoomId,
  randomUserId,
  redeliver,
  ulid,
} from './events';
import { lineSignature } from './signature';

type Json = Record<string, unknown>;
const fixture = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'line-bot-sdk-python-webhook.json'), 'utf8'),
) as { events: Json[] };

/** Keys and value types, recursively (an array by its first element): what "shaped like LINE" means. */
function shape(v: unknown): unknown {
  if (Array.isArray(v)) return v.length ? [shape(v[0])] : [];
  if (v && typeof v === 'object') {
    const entries = Object.entries(v).sort(([a], [b]) => a.localeCompare(b));
    return Object.fromEntries(entries.map(([k, x]) => [k, shape(x)]));
  }
  return typeof v;
}

/** The first fixture event of this type (and message type) matching `extra`. */
function fixtureEvent(type: string, messageType?: string, extra: (e: Json) => boolean = () => true): Json {
  const found = fixture.events.find(
    (e) =>
      e.type === type &&
      (!messageType || (e.message as Json).type === messageType) &&
      !(e.deliveryContext as Json).isRedelivery &&
      extra(e),
  );
  if (!found) throw new Error(`no fixture event ${type}/${messageType}`);
  const copy = structuredClone(found);
  const message = copy.message as Json | undefined;
  // Ours use LINE-hosted content (the fixture mostly external URLs): only the provider's shape differs.
  if (message?.contentProvider) message.contentProvider = { type: 'line' };
  // LINE's reference and the Node SDK give audio messages no quoteToken; the Python fixture does.
  if (message?.type === 'audio') delete message.quoteToken;
  return copy;
}

describe('webhook signature', () => {
  it('matches the known answer and the SDK', () => {
    const sig = lineSignature('{"hello":"world"}', 'test_secret');
    expect(sig).toBe('t7Hn4ZDHqs6e+wdvI5TyQIvzie0DmMUmuXEBqyyE/tM=');
    expect(validateSignature('{"hello":"world"}', 'test_secret', sig)).toBe(true);
    expect(validateSignature('{"hello":"world!"}', 'test_secret', sig)).toBe(false);
  });
});

describe('event factories', () => {
  const userId = randomUserId();
  const groupId = randomGroupId();

  it.each([
    ['text', () => makeTextEvent({ text: 'hi', userId }), fixtureEvent('message', 'text')],
    [
      'image set',
      () => makeImageSetEvents({ count: 2, userId })[1],
      fixtureEvent('message', 'image', (e) => Boolean((e.message as Json).imageSet)),
    ],
    ['video', () => makeVideoEvent({ userId }), fixtureEvent('message', 'video')],
    ['audio', () => makeAudioEvent({ userId }), fixtureEvent('message', 'audio')],
    ['file', () => makeFileEvent({ userId }), fixtureEvent('message', 'file')],
    [
      'sticker',
      () => makeStickerEvent({ userId, keywords: ['Love'], text: 'Love' }),
      fixtureEvent('message', 'sticker'),
    ],
    ['location', () => makeLocationEvent({ userId }), fixtureEvent('message', 'location')],
    [
      'group text',
      () => makeTextEvent({ text: 'hi', groupId, userId }),
      fixtureEvent('message', 'text', (e) => (e.source as Json).type === 'group'),
    ],
    [
      'room text',
      () => makeTextEvent({ text: 'hi', roomId: randomRoomId(), userId }),
      fixtureEvent('message', 'text', (e) => (e.source as Json).type === 'room'),
    ],
    ['follow', () => makeFollowEvent({ userId, isUnblocked: true }), fixtureEvent('follow')],
    ['unfollow', () => makeUnfollowEvent({ userId }), fixtureEvent('unfollow')],
    ['join', () => makeJoinEvent({ groupId }), fixtureEvent('join')],
    ['leave', () => makeLeaveEvent({ groupId }), fixtureEvent('leave')],
    [
      'memberJoined',
      () => makeMemberJoinedEvent({ groupId, userIds: [userId] }),
      fixtureEvent('memberJoined'),
    ],
    ['memberLeft', () => makeMemberLeftEvent({ groupId, userIds: [userId] }), fixtureEvent('memberLeft')],
    ['unsend', () => makeUnsendEvent({ groupId, userId, messageId: '1' }), fixtureEvent('unsend')],
    [
      'postback',
      () => makePostbackEvent({ userId, data: 'a=1', params: { datetime: '2017-12-25T01:00' } }),
      fixtureEvent('postback'),
    ],
    [
      'messageEdited',
      () =>
        makeEvent(
          'messageEdited',
          { message: { id: '1', type: 'text', text: 'x', quoteToken: 'q' } },
          { userId },
        ),
      fixtureEvent('messageEdited'),
    ],
  ])('%s is shaped like the fixture from LINE’s Python SDK', (_name, make, expected) => {
    expect(shape(make())).toEqual(shape(expected));
  });

  it('fill ids and tokens like LINE', () => {
    const e = makeTextEvent({ text: '@Bot hi', groupId, userId, timestamp: 1700000000000 });
    expect(e).toEqual({
      replyToken: expect.stringMatching(/^[0-9a-f]{32}$/),
      type: 'message',
      mode: 'active',
      timestamp: 1700000000000,
      source: { type: 'group', groupId, userId },
      webhookEventId: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      deliveryContext: { isRedelivery: false },
      message: {
        id: expect.stringMatching(/^\d{18}$/),
        type: 'text',
        quoteToken: expect.any(String),
        text: '@Bot hi',
      },
    });
    expect(e.webhookEventId.slice(0, 10)).toBe(ulid(1700000000000).slice(0, 10));
    expect(makeTextEvent({ text: 'x' }).webhookEventId).not.toBe(makeTextEvent({ text: 'x' }).webhookEventId);
    expect(groupId).toMatch(/^C[0-9a-f]{32}$/);
    expect(userId).toMatch(/^U[0-9a-f]{32}$/);
    expect(randomRoomId()).toMatch(/^R[0-9a-f]{32}$/);
  });

  it('give reply tokens only where LINE does', () => {
    expect(makeJoinEvent().replyToken).toBeDefined();
    expect(makeMemberJoinedEvent({ userIds: [] }).replyToken).toBeDefined();
    expect(makeLeaveEvent()).not.toHaveProperty('replyToken');
    expect(makeMemberLeftEvent({ userIds: [randomUserId()] })).not.toHaveProperty('replyToken');
    expect(makeUnsendEvent({ messageId: '1' })).not.toHaveProperty('replyToken');
    expect(makeUnfollowEvent()).not.toHaveProperty('replyToken');
    expect(makeTextEvent({ text: 'x', mode: 'standby' })).not.toHaveProperty('replyToken');
  });

  it('choose the source from groupId, roomId or userId', () => {
    expect(makeTextEvent({ text: 'x' }).source).toEqual({
      type: 'user',
      userId: expect.stringMatching(/^U/),
    });
    expect(makeTextEvent({ text: 'x', groupId }).source).toEqual({ type: 'group', groupId });
    expect(makeJoinEvent().source).toEqual({ type: 'group', groupId: expect.stringMatching(/^C/) });
    expect(() => makeTextEvent({ text: 'x', groupId, roomId: randomRoomId() })).toThrow();
    expect(() => makeFollowEvent({ groupId })).toThrow();
  });

  it('redeliver keeps everything but isRedelivery', () => {
    const e = makeTextEvent({ text: 'x' });
    const again = redeliver(e);
    expect(again).toEqual({ ...e, deliveryContext: { isRedelivery: true } });
    expect(e.deliveryContext.isRedelivery).toBe(false);
  });

  it('share one imageSet id across a set', () => {
    const set = makeImageSetEvents({ count: 3, groupId });
    expect(set.map((e) => e.message.imageSet)).toEqual(
      [1, 2, 3].map((index) => ({ id: set[0].message.imageSet?.id, index, total: 3 })),
    );
    expect(new Set(set.map((e) => e.message.id)).size).toBe(3);
  });

  it('mentionee finds the mention in the text', () => {
    expect(mentionee('hi @Bot help', '@Bot', { isSelf: true })).toEqual({
      index: 3,
      length: 4,
      type: 'user',
      isSelf: true,
    });
    expect(mentionee('@All hi', '@All', 'all')).toEqual({ index: 0, length: 4, type: 'all' });
    expect(() => mentionee('hi', '@Bot', 'all')).toThrow();
  });
});
