import { MAX_MESSAGES_PER_CALL, MAX_TEXT_LENGTH } from '../line/message-limits';
import { AssistantInputError } from './assistant.errors';
import { assertPlaceholders } from './placeholders';

/** The LINE message kinds an answer may hold, with only the fields we store and send. */
export type AnswerMessage =
  | { type: 'text'; text: string }
  | { type: 'sticker'; packageId: string; stickerId: string }
  | { type: 'image'; originalContentUrl: string; previewImageUrl: string };

const MAX_URL_LENGTH = 2_000;
const FIELDS: Record<AnswerMessage['type'], string[]> = {
  text: ['type', 'text'],
  sticker: ['type', 'packageId', 'stickerId'],
  image: ['type', 'originalContentUrl', 'previewImageUrl'],
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks answer messages against LINE's limits (1 to 5 messages; text 1 to 5,000 UTF-16 units;
 * sticker ids; images by https URL) and our placeholders, and returns clean copies. Throws a 400
 * naming the first problem.
 */
export function parseAnswerMessages(input: unknown, where = 'messages'): AnswerMessage[] {
  if (!Array.isArray(input) || input.length < 1 || input.length > MAX_MESSAGES_PER_CALL) {
    throw new AssistantInputError(`${where} must hold 1 to ${MAX_MESSAGES_PER_CALL} messages`);
  }
  return input.map((m, i) => parseMessage(m, `${where}[${i}]`));
}

export function textAnswer(text: string, where = 'answer'): AnswerMessage[] {
  return [parseMessage({ type: 'text', text }, where, where)];
}

function parseMessage(m: unknown, at: string, textAt = `${at}.text`): AnswerMessage {
  if (!isObject(m)) throw new AssistantInputError(`${at} must be a LINE message object`);
  const type = m.type;
  if (type !== 'text' && type !== 'sticker' && type !== 'image') {
    throw new AssistantInputError(`${at}.type must be text, sticker or image`);
  }
  const extra = Object.keys(m).find((k) => !FIELDS[type].includes(k));
  if (extra !== undefined)
    throw new AssistantInputError(`${at}.${extra} is not allowed in a ${type} message`);
  if (type === 'text') {
    const text = m.text;
    if (typeof text !== 'string' || text.trim().length === 0) {
      throw new AssistantInputError(`${textAt} must be a non-empty string`);
    }
    if (text.length > MAX_TEXT_LENGTH) {
      throw new AssistantInputError(
        `${textAt} must be at most ${MAX_TEXT_LENGTH} characters`,
        'textTooLong',
        {
          max: MAX_TEXT_LENGTH,
        },
      );
    }
    assertPlaceholders(text, textAt);
    return { type, text };
  }
  if (type === 'sticker') {
    return {
      type,
      packageId: stickerId(m.packageId, `${at}.packageId`),
      stickerId: stickerId(m.stickerId, `${at}.stickerId`),
    };
  }
  const original = httpsUrl(m.originalContentUrl, `${at}.originalContentUrl`);
  const preview =
    m.previewImageUrl === undefined ? original : httpsUrl(m.previewImageUrl, `${at}.previewImageUrl`);
  return { type, originalContentUrl: original, previewImageUrl: preview };
}

function stickerId(v: unknown, at: string): string {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
  if (typeof s !== 'string' || !/^\d{1,20}$/.test(s))
    throw new AssistantInputError(`${at} must be a numeric id`);
  return s;
}

function httpsUrl(v: unknown, at: string): string {
  if (typeof v !== 'string' || v.length > MAX_URL_LENGTH) {
    throw new AssistantInputError(`${at} must be an https URL of at most ${MAX_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new AssistantInputError(`${at} must be an https URL`);
  }
  if (url.protocol !== 'https:') throw new AssistantInputError(`${at} must be an https URL`);
  return v;
}
