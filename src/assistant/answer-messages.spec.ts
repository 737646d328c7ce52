import { parseAnswerMessages, textAnswer } from './answer-messages';

describe('parseAnswerMessages', () => {
  it('accepts text, sticker and image, and keeps only their fields', () => {
    expect(
      parseAnswerMessages([
        { type: 'text', text: '早安 {displayName}' },
        { type: 'sticker', packageId: 446, stickerId: '1988' },
        { type: 'image', originalContentUrl: 'https://example.com/a.jpg' },
      ]),
    ).toEqual([
      { type: 'text', text: '早安 {displayName}' },
      { type: 'sticker', packageId: '446', stickerId: '1988' },
      {
        type: 'image',
        originalContentUrl: 'https://example.com/a.jpg',
        previewImageUrl: 'https://example.com/a.jpg',
      },
    ]);
  });

  it.each([
    [[], 'messages must hold 1 to 5 messages'],
    [Array(6).fill({ type: 'text', text: 'x' }), 'messages must hold 1 to 5 messages'],
    ['text', 'messages must hold 1 to 5 messages'],
    [[{ type: 'video' }], 'messages[0].type must be text, sticker or image'],
    [[{ type: 'text', text: '' }], 'messages[0].text must be a non-empty string'],
    [[{ type: 'text', text: '   ' }], 'messages[0].text must be a non-empty string'],
    [[{ type: 'text', text: 'x'.repeat(5001) }], 'messages[0].text must be at most 5000 characters'],
    [
      [{ type: 'text', text: 'hi', quickReply: {} }],
      'messages[0].quickReply is not allowed in a text message',
    ],
    [[{ type: 'text', text: 'hi {user}' }], 'messages[0].text has an unknown placeholder {user}'],
    [[{ type: 'sticker', packageId: 'abc', stickerId: '1' }], 'messages[0].packageId must be a numeric id'],
    [
      [{ type: 'image', originalContentUrl: 'http://example.com/a.jpg' }],
      'messages[0].originalContentUrl must be an https URL',
    ],
    [
      [{ type: 'image', originalContentUrl: 'https://e.com/a.jpg', previewImageUrl: 'nope' }],
      'messages[0].previewImageUrl must be an https URL',
    ],
    [[null], 'messages[0] must be a LINE message object'],
  ])('refuses %j', (input, message) => {
    expect(() => parseAnswerMessages(input)).toThrow(message);
  });

  it('counts UTF-16 units as LINE does', () => {
    expect(() => textAnswer('😀'.repeat(2500))).not.toThrow();
    expect(() => textAnswer('😀'.repeat(2501))).toThrow('answer must be at most 5000 characters');
  });
});
