import { randomBytes } from 'node:crypto';
import type { ErrorDetail, SentMessage } from './types';

const TYPES = [
  'text',
  'textV2',
  'sticker',
  'image',
  'video',
  'audio',
  'location',
  'imagemap',
  'template',
  'flex',
];
const QUOTABLE = new Set(['text', 'textV2', 'sticker', 'image', 'video']);
const REQUIRED: Record<string, string[]> = {
  sticker: ['packageId', 'stickerId'],
  image: ['originalContentUrl', 'previewImageUrl'],
  video: ['originalContentUrl', 'previewImageUrl'],
  audio: ['originalContentUrl', 'duration'],
  location: ['title', 'address', 'latitude', 'longitude'],
  imagemap: ['baseUrl', 'altText', 'baseSize', 'actions'],
  template: ['altText', 'template'],
  flex: ['altText', 'contents'],
};
const MAX_TEXT = 5000;

/** Checks `messages` the way LINE does for reply and push; returns LINE's error details (empty when valid). */
export function validateMessages(messages: unknown): ErrorDetail[] {
  if (!Array.isArray(messages) || messages.length < 1 || messages.length > 5) {
    return [{ message: 'Size must be between 1 and 5', property: 'messages' }];
  }
  return messages.flatMap((m, i) => validateMessage(m, `messages[${i}]`));
}

function validateMessage(m: unknown, at: string): ErrorDetail[] {
  if (!isObject(m)) return [{ message: 'Must be an object', property: at }];
  if (typeof m.type !== 'string' || !TYPES.includes(m.type)) {
    return [
      { message: `Must be one of the following values: [${TYPES.join(', ')}]`, property: `${at}.type` },
    ];
  }
  if (m.type === 'text' || m.type === 'textV2') return validateText(m, at);
  return (REQUIRED[m.type] ?? [])
    .filter((field) => m[field] === undefined || m[field] === null || m[field] === '')
    .map((field) => ({ message: 'May not be empty', property: `${at}.${field}` }));
}

function validateText(m: Record<string, unknown>, at: string): ErrorDetail[] {
  if (typeof m.text !== 'string' || m.text.length === 0) {
    return [{ message: 'May not be empty', property: `${at}.text` }];
  }
  if (m.text.length > MAX_TEXT)
    return [{ message: `Length must be between 0 and ${MAX_TEXT}`, property: `${at}.text` }];
  if (m.type !== 'textV2') return [];
  const substitution = isObject(m.substitution) ? m.substitution : {};
  const keys = [...m.text.replace(/\{\{|\}\}/g, '').matchAll(/\{([0-9a-zA-Z_]{1,20})\}/g)].map((x) => x[1]);
  const details = keys
    .filter((k) => !(k in substitution))
    .map((k) => ({ message: `The key '${k}' has no substitution`, property: `${at}.substitution` }));
  const mentions = Object.values(substitution).filter((s) => isObject(s) && s.type === 'mention').length;
  if (mentions > 20)
    details.push({ message: 'Size must be at most 20 mentions', property: `${at}.substitution` });
  return details;
}

let nextId = 560_000_000_000_000_000n + BigInt(Math.floor(Math.random() * 1e9)) * 1000n;

/** What LINE answers for accepted messages: a numeric id each, a quote token for quotable types. */
export function sentMessagesFor(messages: Array<Record<string, unknown>>): SentMessage[] {
  return messages.map((m) => {
    nextId += 1n;
    const sent: SentMessage = { id: nextId.toString() };
    if (QUOTABLE.has(String(m.type))) sent.quoteToken = randomBytes(48).toString('base64url');
    return sent;
  });
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
}
