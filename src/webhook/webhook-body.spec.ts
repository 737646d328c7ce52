import { BadRequestError } from '../common/errors/domain.errors';
import { eventContextOf, parseWebhookBody } from './webhook-body';

const parse = (body: unknown) => parseWebhookBody(Buffer.from(JSON.stringify(body)));
const event = (over: Record<string, unknown> = {}) => ({
  type: 'message',
  mode: 'active',
  timestamp: 1462629479859,
  source: {
    type: 'group',
    groupId: 'Ca56f94637cc4347f90a25382909b24b9',
    userId: 'U206d25c2ea6bd87c17655609a1c37cb8',
  },
  webhookEventId: '01FZ74A0TDDPYRVKNK77XKC3ZR',
  deliveryContext: { isRedelivery: false },
  message: { id: '325708', type: 'text', text: 'hi' },
  ...over,
});

describe('parseWebhookBody', () => {
  it('turns each event into an inbox row keyed by webhookEventId, chat and time', () => {
    expect(parse({ destination: 'U1', events: [event()] })).toEqual([
      {
        webhookEventId: '01FZ74A0TDDPYRVKNK77XKC3ZR',
        eventType: 'message',
        channelId: 'Ca56f94637cc4347f90a25382909b24b9',
        eventTimestamp: 1462629479859,
        payload: event(),
      },
    ]);
  });

  it('takes the room, or the user of a 1:1 chat, as the chat; none without a source', () => {
    const [room, user, none] = parse({
      events: [
        event({ webhookEventId: 'a', source: { type: 'room', roomId: 'Rb' } }),
        event({ webhookEventId: 'b', source: { type: 'user', userId: 'Uc' } }),
        event({ webhookEventId: 'c', type: 'activated', source: undefined }),
      ],
    });
    expect([room.channelId, user.channelId, none.channelId]).toEqual(['Rb', 'Uc', null]);
  });

  it('keeps the first of events sharing an id', () => {
    const rows = parse({
      events: [event({ message: { text: 'one' } }), event({ message: { text: 'two' } })],
    });
    expect(rows).toHaveLength(1);
    expect((rows[0].payload.message as { text: string }).text).toBe('one');
  });

  it('gives an event without an id a content digest that ignores the redelivery flag', () => {
    const [a] = parse({ events: [event({ webhookEventId: undefined })] });
    const [b] = parse({
      events: [event({ webhookEventId: undefined, deliveryContext: { isRedelivery: true } })],
    });
    expect(a.webhookEventId).toMatch(/^sha256:[0-9a-f]{57}$/);
    expect(b.webhookEventId).toBe(a.webhookEventId);
  });

  it('keeps unknown or missing types', () => {
    const [unknown, missing] = parse({
      events: [
        event({ webhookEventId: 'x', type: 'future' }),
        event({ webhookEventId: 'y', type: undefined }),
      ],
    });
    expect([unknown.eventType, missing.eventType]).toEqual(['future', 'unknown']);
  });

  it('refuses malformed JSON and bodies that are not { events: [objects] }', () => {
    expect(() => parseWebhookBody(Buffer.from('{"events":['))).toThrow(
      new BadRequestError('Malformed JSON body'),
    );
    expect(() => parse({ destination: 'U1' })).toThrow(BadRequestError);
    expect(() => parse([])).toThrow(BadRequestError);
    expect(() => parse({ events: ['x'] })).toThrow(BadRequestError);
  });
});

describe('eventContextOf', () => {
  it('tells handlers the chat, the sender, the time, standby and redelivery', () => {
    const e = event({ mode: 'standby', deliveryContext: { isRedelivery: true } });
    expect(eventContextOf(e, { webhookEventId: 'id1', eventTimestamp: 1462629479859 })).toEqual({
      webhookEventId: 'id1',
      channelId: 'Ca56f94637cc4347f90a25382909b24b9',
      channelType: 'group',
      userId: 'U206d25c2ea6bd87c17655609a1c37cb8',
      eventTime: new Date(1462629479859),
      standby: true,
      isRedelivery: true,
    });
  });
});
