import { createHmac } from 'node:crypto';

/** LINE's webhook signature: base64(HMAC-SHA256(raw body bytes, channel secret)). */
export function lineSignature(body: string | Buffer, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('base64');
}
