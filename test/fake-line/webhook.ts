import type { Test } from 'supertest';
import { TEST_CHANNEL_SECRET, type TestApp } from '../support/test-app';
import { TEST_BOT_USER_ID } from './ids';
import { lineSignature } from './signature';

export interface PostWebhookOptions {
  /** Secret to sign with; TEST_CHANNEL_SECRET (what createTestApp configures) by default. */
  secret?: string;
  /** Send this exact `x-line-signature` instead of a correct one; null sends no signature header. */
  signature?: string | null;
  /** The body's `destination`; the bot's user id by default. */
  destination?: string;
}

/** base64(HMAC-SHA256(body, secret)), as in the `x-line-signature` header. */
export function signBody(body: string | Buffer, secret: string = TEST_CHANNEL_SECRET): string {
  return lineSignature(body, secret);
}

/** The JSON LINE posts to the webhook: `{ destination, events }`. */
export function webhookBody(events: object[], destination: string = TEST_BOT_USER_ID): string {
  return JSON.stringify({ destination, events });
}

/**
 * Posts a signed webhook holding `events` (one event or an array) to the app's `/webhook`, like LINE.
 * Returns the supertest request: await it for the response, or chain `.expect(200)`.
 */
export function postWebhook(t: TestApp, events: object | object[], opts: PostWebhookOptions = {}): Test {
  const raw = webhookBody(Array.isArray(events) ? events : [events], opts.destination);
  const signature = opts.signature === undefined ? signBody(raw, opts.secret) : opts.signature;
  return postRawWebhook(t, raw, signature);
}

/**
 * Posts `rawBody` as is (malformed JSON, odd encodings). `signature`: undefined signs the bytes with
 * TEST_CHANNEL_SECRET, null sends no header, a string is sent as given.
 */
export function postRawWebhook(t: TestApp, rawBody: string | Buffer, signature?: string | null): Test {
  const req = t
    .http()
    .post('/webhook')
    .set('content-type', 'application/json; charset=utf-8')
    .set('user-agent', 'LineBotWebhook/2.0');
  const sig = signature === undefined ? signBody(rawBody) : signature;
  if (sig !== null) req.set('x-line-signature', sig);
  // The exact bytes that were signed: no JSON serializer in between.
  return req
    .serialize((bytes) => bytes)
    .send(Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(rawBody, 'utf8'));
}
