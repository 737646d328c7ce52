import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * LINE's `x-line-signature`: base64(HMAC-SHA256(raw body bytes, channel secret)). Compared in
 * constant time over equal-length buffers, like @line/bot-sdk's validateSignature.
 */
export function isValidLineSignature(body: Buffer, secret: string, header: unknown): boolean {
  if (typeof header !== 'string' || header.length === 0) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(body).digest('base64'), 'utf8');
  const given = Buffer.from(header, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
