import { Logger } from '@nestjs/common';
import type { webhook } from '@line/bot-sdk';
import { defaultChannelConfig } from '../channels/channel-config';
import type { ChannelsService } from '../channels/channels.service';
import { LineApiError } from '../line/line-api.error';
import type { LineClient } from '../line/line-client.service';
import type { EventContext } from '../webhook/event-dispatcher';
import { ChatReplier, REPLY_TOKEN_MAX_AGE_MS, retryKeyFor } from './chat-replier.service';
import type { ReplyAttempts } from './reply-attempts.service';

const T0 = 1_700_000_000_000;
const messages = [{ type: 'text' as const, text: 'hi' }];

/** ReplyAttempts' contract, kept in memory: the table itself is exercised by the e2e tests. */
function memoryAttempts() {
  const tokens = new Set<string>();
  return {
    tokens,
    begin: async (t: string) => {
      if (tokens.has(t)) return false;
      tokens.add(t);
      return true;
    },
    notShown: async (t: string) => void tokens.delete(t),
    mayHaveShown: async (t: string) => tokens.has(t),
  };
}

function setup(pushFallback = false, attempts = memoryAttempts()) {
  const line = { reply: jest.fn().mockResolvedValue([]), push: jest.fn().mockResolvedValue([]) };
  const config = defaultChannelConfig('en');
  config.assistant.pushFallback = pushFallback;
  const channels = { getConfig: jest.fn().mockResolvedValue(config) };
  const replier = new ChatReplier(
    line as unknown as LineClient,
    channels as unknown as ChannelsService,
    attempts as unknown as ReplyAttempts,
  );
  return { line, replier, attempts };
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

  it('pushes nothing after a restart that cut a reply short, whatever LINE did with it', async () => {
    const refused = new LineApiError('bad', { status: 400, lineMessage: 'Invalid reply token' });
    const before = setup(true);
    let answer!: () => void;
    before.line.reply.mockReturnValue(new Promise((resolve) => (answer = () => resolve([]))));
    void before.replier.reply(event, ctx(), messages, T0);
    await new Promise((r) => setImmediate(r));
    // The process dies here; the next one shares only the database with it.
    const after = setup(true, before.attempts);
    after.line.reply.mockRejectedValueOnce(refused);
    await expect(after.replier.reply(event, ctx(), messages, T0 + 1000)).resolves.toBe('unconfirmed');
    const late = T0 + REPLY_TOKEN_MAX_AGE_MS + 1;
    await expect(after.replier.reply(event, ctx(), messages, late)).resolves.toBe('unconfirmed');
    expect(after.line.push).not.toHaveBeenCalled();
    answer();
  });

  it('replies after a restart when the reply cut short never reached LINE', async () => {
    const attempts = memoryAttempts();
    attempts.tokens.add('tok-1');
    const { line, replier } = setup(true, attempts);
    await expect(replier.reply(event, ctx(), messages, T0 + 1000)).resolves.toBe('replied');
    expect(line.reply).toHaveBeenCalledWith('tok-1', messages);
  });

  it('pushes on a retry once LINE said the reply was not shown', async () => {
    const { line, replier, attempts } = setup(true);
    line.reply.mockRejectedValueOnce(new LineApiError('busy', { status: 429 }));
    await expect(replier.reply(event, ctx(), messages, T0)).rejects.toBeInstanceOf(LineApiError);
    expect(attempts.tokens.size).toBe(0);
    const late = T0 + REPLY_TOKEN_MAX_AGE_MS + 1;
    await expect(replier.reply(event, ctx(), messages, late)).resolves.toBe('pushed');
  });

  it('derives one UUID-shaped retry key per event', () => {
    const key = retryKeyFor('a');
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(retryKeyFor('a')).toBe(key);
    expect(retryKeyFor('b')).not.toBe(key);
  });
});
