import type { webhook } from '@line/bot-sdk';
import type { EventContext } from '../webhook/event-dispatcher';
import { entryFromMessage, entryFromSystemEvent } from './archive-entry';

const ctx: EventContext & { channelId: string } = {
  webhookEventId: '01HZZZZZZZZZZZZZZZZZZZZZZZ',
  channelId: 'C1',
  channelType: 'group',
  userId: 'U1',
  eventTime: new Date(1_700_000_000_000),
  standby: false,
  isRedelivery: false,
};

const event = (message: Record<string, unknown>) =>
  ({ type: 'message', timestamp: 1_700_000_000_000, message }) as unknown as webhook.MessageEvent;

describe('archive entries', () => {
  it('keeps a text with its own fields and drops LINE plumbing', () => {
    const e = entryFromMessage(
      event({
        id: '1',
        type: 'text',
        text: 'hi',
        quoteToken: 'q',
        markAsReadToken: 'm',
        emojis: [],
        quotedMessageId: '0',
      }),
      ctx,
    );
    expect(e).toMatchObject({
      entryKey: '1',
      type: 'text',
      text: 'hi',
      details: { emojis: [], quotedMessageId: '0' },
    });
    expect(e.details).not.toHaveProperty('quoteToken');
    expect(e.details).not.toHaveProperty('markAsReadToken');
    expect(e.media).toBeNull();
  });

  it('keeps a sticker caption as a field, searchable, not as the message text', () => {
    const e = entryFromMessage(
      event({ id: '2', type: 'sticker', packageId: '1', stickerId: '2', text: 'Hi!' }),
      ctx,
    );
    expect(e).toMatchObject({
      text: null,
      searchable: 'Hi!',
      details: { packageId: '1', stickerId: '2', text: 'Hi!' },
    });
  });

  it('queues LINE-hosted media and files, and keeps only the URLs of external media', () => {
    expect(
      entryFromMessage(event({ id: '3', type: 'file', fileName: 'a.pdf', fileSize: 1 }), ctx),
    ).toMatchObject({
      media: { provider: 'line' },
      searchable: 'a.pdf',
    });
    expect(
      entryFromMessage(
        event({
          id: '4',
          type: 'image',
          contentProvider: { type: 'external', originalContentUrl: 'https://x/a.jpg' },
        }),
        ctx,
      ).media,
    ).toEqual({ provider: 'external', originalUrl: 'https://x/a.jpg' });
    expect(
      entryFromMessage(
        event({ id: '5', type: 'location', title: 'T', address: 'A', latitude: 1, longitude: 2 }),
        ctx,
      ),
    ).toMatchObject({
      media: null,
      searchable: 'T A',
    });
  });

  it('makes one system entry per event, keyed by its webhookEventId', () => {
    const joined = entryFromSystemEvent(
      {
        type: 'memberJoined',
        timestamp: 5,
        joined: { members: [{ type: 'user', userId: 'U2' }] },
      } as webhook.MemberJoinedEvent,
      ctx,
    );
    expect(joined).toMatchObject({
      entryKey: `memberJoined:${ctx.webhookEventId}`,
      messageId: null,
      details: { userIds: ['U2'] },
    });
    expect(
      entryFromSystemEvent({ type: 'leave', timestamp: 5 } as webhook.LeaveEvent, ctx).details,
    ).toBeNull();
  });
});
