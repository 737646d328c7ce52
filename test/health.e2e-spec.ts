import { DataSource } from 'typeorm';
import { createTestApp, TestApp } from './support/test-app';

describe('health and errors', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('answers ok when the database answers', async () => {
    const res = await t.http().get('/health').expect(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('answers 404 with the error body for unknown routes', async () => {
    const res = await t.http().get('/no/such/route').expect(404);
    expect(res.body).toEqual({ error: 'Not found' });
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await t
      .http()
      .post('/api/anything')
      .set('content-type', 'application/json')
      .send('{"a":')
      .expect(400);
    expect(res.body).toEqual({ error: 'Malformed JSON body' });
  });

  it('answers 413 for bodies over 1 MB', async () => {
    const big = JSON.stringify({ a: 'x'.repeat(1024 * 1024 + 10) });
    const res = await t
      .http()
      .post('/api/anything')
      .set('content-type', 'application/json')
      .send(big)
      .expect(413);
    expect(res.body).toEqual({ error: 'Request body too large' });
  });

  it('serves the OpenAPI document', async () => {
    const res = await t.http().get('/api/docs/openapi.json').expect(200);
    expect(res.body.paths['/health']).toBeDefined();
  });

  it('answers 503 when the database does not answer', async () => {
    const other = await createTestApp();
    try {
      await other.app.get(DataSource).destroy();
      const res = await other.http().get('/health').expect(503);
      expect(res.body).toEqual({ error: 'Database unavailable' });
    } finally {
      await other.close().catch(() => undefined);
    }
  });
});
