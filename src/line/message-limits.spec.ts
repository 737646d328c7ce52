import type { messagingApi } from '@line/bot-sdk';
import { BadRequestError } from '../common/errors/domain.errors';
import { LineMessageLimitError } from './line-api.error';
import { assertRetryKey, assertSendable } from './message-limits';

const text = (t: string): messagingApi.Message => ({ type: 'text', text: t });

describe('assertSendable', () => {
  it('accepts 1 to 5 messages with texts of up to 5,000 UTF-16 units', () => {
    expect(() => assertSendable([text('hi')])).not.toThrow();
    expect(() => assertSendable(Array.from({ length: 5 }, () => text('x'.repeat(5_000))))).not.toThrow();
    expect(() =>
      assertSendable([{ type: 'textV2', text: '{a}'.padEnd(5_000, '.'), substitution: {} }]),
    ).not.toThrow();
    expect(() => assertSendable([{ type: 'sticker', packageId: '1', stickerId: '1' }])).not.toThrow();
  });

  it('refuses no messages and more than 5', () => {
    expect(() => assertSendable([])).toThrow(LineMessageLimitError);
    expect(() => assertSendable(Array.from({ length: 6 }, () => text('x')))).toThrow(/At most 5 messages/);
  });

  it('refuses a text over 5,000 UTF-16 units, counting emoji as 2', () => {
    expect(() => assertSendable([text('x'.repeat(5_001))])).toThrow(/longer than 5000/);
    expect(() => assertSendable([text('😀'.repeat(2_501))])).toThrow(LineMessageLimitError);
    expect(() => assertSendable([text('😀'.repeat(2_500))])).not.toThrow();
  });

  it('checks textV2 too, and names the message', () => {
    expect(() => assertSendable([text('ok'), { type: 'textV2', text: 'y'.repeat(5_001) }])).toThrow(
      /Message 2/,
    );
  });

  it('refuses an empty text', () => {
    expect(() => assertSendable([text('')])).toThrow(/empty/);
  });

  it('is a 400 for the error filter', () => {
    expect(() => assertSendable([])).toThrow(BadRequestError);
  });
});

describe('assertRetryKey', () => {
  it('accepts a UUID and refuses anything else', () => {
    expect(() => assertRetryKey('123e4567-e89b-12d3-a456-426614174000')).not.toThrow();
    expect(() => assertRetryKey('not-a-uuid')).toThrow(BadRequestError);
  });
});
