import { Logger } from '@nestjs/common';
import type { webhook } from '@line/bot-sdk';
import { defaultChannelConfig } from '../channels/channel-config';
import type { ChannelsService } from '../channels/channels.service';
import { LineApiError } from '../line/line-api.error';
import type { LineClient } from '../line/line-client.service';
import type { EventContext } from '../webhook/event-dispatcher';
import { ChatReplier, REPLY_TOKEN_MAX_AGE_MS, retryKeyFor } from './chat-replier.service';

const T0 = 1_700_000_000_000;
const messages = [{ type: 'text' as const, text: 'hi' }];

function setup(pushFallback = false) {
  const line = { reply: jest.fn().mockResolvedValue([]), push: jest.fn().mockResolvedValue([]) };
  const config = defaultChannelConfig('en');
  config.assistant.pushFallback = pushFallback;
  const channels = { getConfig: jest.fn().mockResolvedValue(config) };
  const replier = new ChatReplier(line as unknown as LineClient, channels as unknown as ChannelsService);
  return { line, replier };
}

const event = { type: 'message', replyToken: 'tok-1' } as unknown as webhook.Event;
const ctx = (over: Partial<EventContext> = {}): EventContext => ({
  webhookEventId: '01HZZZZZZZZZZZZZZZZZZZZZZZ',
  channelId: 'C1',
  channelType: 'group',
  userId: 'U1',
  eventTime: new Date(T0),
  standby: false,
  isRedelivery: false,
  ...over,
});

describe('ChatReplier', () => {
  beforeEach(() => jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('replies with the event token while it is fresh', async () => {
    const { line, replier } = setup();
    await expect(replier.reply(event, ctx(), messages, T0 + 1000)).resolves.toBe('replied');
    expect(line.reply).toHaveBeenCalledWith('tok-1', messages);
    expect(line.push).not.toHaveBeenCalled();
  });

  it('sends nothing for standby events', async () => {
    const { line, replier } = setup(true);
    await expect(replier.reply(event, ctx({ standby: true }), messages, T0)).resolves.toBe('dropped');
    expect(line.reply).not.toHaveBeenCalled();
    expect(line.push).not.toHaveBeenCalled();
  });

  it('drops an answer whose token is too old unless the channel pays for pushes', async () => {
    const late = T0 + REPLY_TOKEN_MAX_AGE_MS + 1;
    const off = setup(false);
    await expect(off.replier.reply(event, ctx(), messages, late)).resolves.toBe('dropped');
    expect(off.line.reply).not.toHaveBeenCalled();
    expect(off.line.push).not.toHaveBeenCalled();

    const on = setup(true);
    await expect(on.replier.reply(event, ctx(), messages, late)).resolves.toBe('pushed');
    expect(on.line.push).toHaveBeenCalledWith('C1', messages, {
      retryKey: retryKeyFor(ctx().webhookEventId),
    });
  });

  it('treats an invalid reply token as spent, without throwing', async () => {
    const { line, replier } = setup(false);
    line.reply.mockRejectedValue(
      new LineApiError('bad', { status: 400, lineMessage: 'Invalid reply token' }),
    );
    await expect(replier.reply(event, ctx(), messages, T0)).resolves.toBe('dropped');
  });

  it('lets other LINE failures surface so the event is retried', async () => {
    const { line, replier } = setup(false);
    line.reply.mockRejectedValue(new LineApiError('down', { status: 500 }));
    await expect(replier.reply(event, ctx(), messages, T0)).rejects.toBeInstanceOf(LineApiError);
  });

  it('pushes nothing once a reply with the token may have been shown (timeout, 5xx)', async () => {
    const { line, replier } = setup(true);
    line.reply.mockRejectedValueOnce(new LineApiError('timeout', { status: 0 }));
    await expect(replier.reply(event, ctx(), messages, T0)).rejects.toBeInstanceOf(LineApiError);
    // The retry comes after the token is too old to try: the push would be a second copy.
    const late = T0 + REPLY_TOKEN_MAX_AGE_MS + 1;
    await expect(replier.reply(event, ctx(), messages, late)).resolves.toBe('unconfirmed');
    expect(line.push).not.toHaveBeenCalled();
  });

  it('pushes nothing for a token refused after an uncertain try inside the client', async () => {
    const { line, replier } = setup(true);
    const refused = new LineApiError('bad', { status: 400, lineMessage: 'Invalid reply token' });
    refused.earlierTryUncertain = true;
    line.reply.mockRejectedValueOnce(refused);
    await expect(replier.reply(event, ctx(), messages, T0)).resolves.toBe('unconfirmed');
    expect(line.push).not.toHaveBeenCalled();
  });

  it('derives one UUID-shaped retry key per event', () => {
    const key = retryKeyFor('a');
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(retryKeyFor('a')).toBe(key);
    expect(retryKeyFor('b')).not.toBe(key);
  });
});
