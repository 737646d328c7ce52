import { randomBytes } from 'node:crypto';

const hex32 = () => randomBytes(16).toString('hex');

/** The bot's own user id: the webhook `destination` and what GET /v2/bot/info answers. */
export const TEST_BOT_USER_ID = 'U0000000000000000000000000000b07a';

export const randomUserId = (): string => `U${hex32()}`;
export const randomGroupId = (): string => `C${hex32()}`;
export const randomRoomId = (): string => `R${hex32()}`;
/** A reply token as LINE sends it: 32 hex characters. */
export const randomReplyToken = (): string => hex32();

/** A LINE message id: a numeric string of 18 digits. */
export function randomMessageId(): string {
  const n = randomBytes(8).readBigUInt64BE() % 900_000_000_000_000_000n;
  return (n + 100_000_000_000_000_000n).toString();
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID (26 Crockford base-32 characters: 48-bit time, 80 random bits), like `webhookEventId`. */
export function ulid(time = Date.now()): string {
  let head = '';
  for (let i = 0, t = time; i < 10; i++, t = Math.floor(t / 32)) head = CROCKFORD[t % 32] + head;
  const tail = [...randomBytes(16)].map((b) => CROCKFORD[b % 32]).join('');
  return head + tail;
}

/** Group members with random ids: `makeUsers(['Alice', 'Bob'])` or `makeUsers(3)` (User 1..3). */
export function makeUsers(namesOrCount: string[] | number): Array<{ userId: string; displayName: string }> {
  const names =
    typeof namesOrCount === 'number'
      ? Array.from({ length: namesOrCount }, (_, i) => `User ${i + 1}`)
      : namesOrCount;
  return names.map((displayName) => ({ userId: randomUserId(), displayName }));
}
