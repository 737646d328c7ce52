import { createTestApp, TestApp } from '../support/test-app';
import { makeEvent } from './events';
import { FakeLine } from './fake-line';
import { postRawWebhook, postWebhook, signBody, webhookBody } from './webhook';

/** The webhook helpers sign exactly what the app verifies. */
describe('webhook helpers against the app', () => {
  let fake: FakeLine;
  let t: TestApp;
  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({ lineBaseUrl: fake.url });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  it('posts a signed body the app accepts (the console’s empty "Verify")', async () => {
    await postWebhook(t, []).expect(200);
  });

  it('signs the exact UTF-8 bytes of multibyte text', async () => {
    const event = makeEvent('futureEventType', { note: '野餐 🎉 ประชุม' });
    await postWebhook(t, event).expect(200);
    await postRawWebhook(t, Buffer.from(webhookBody([]), 'utf8')).expect(200);
  });

  it('sends a wrong signature, another secret’s signature, or none when told', async () => {
    await postWebhook(t, [], { signature: 'AAAA' }).expect(401);
    await postWebhook(t, [], { secret: 'another-secret' }).expect(401);
    await postWebhook(t, [], { signature: null }).expect(401);
    const raw = '{"destination":"U1","events":[';
    await postRawWebhook(t, raw, signBody(raw, 'another-secret')).expect(401);
  });
});
