import { DataSource } from 'typeorm';
import { makeJoinEvent, makeTextEvent, randomGroupId, randomUserId } from './fake-line/events';
import { FakeLine } from './fake-line/fake-line';
import { postWebhook } from './fake-line/webhook';
import { cli } from './support/cli';
import { inboxRows, refusePoisonArchiving, waitForInboxDrained } from './support/inbox';
import { createTestApp, TestApp } from './support/test-app';
import { waitFor } from './support/wait-for';

describe('npm run cli -- failed / retry', () => {
  let fake: FakeLine;
  let t: TestApp;
  let ds: DataSource;

  beforeAll(async () => {
    fake = await FakeLine.start();
    t = await createTestApp({
      lineBaseUrl: fake.url,
      // One attempt: an event fails for good at once. A short scan finds what the CLI put back.
      env: { WEBHOOK_MAX_ATTEMPTS: '1', WEBHOOK_REORDER_WINDOW_MS: '0', WEBHOOK_POLL_INTERVAL_MS: '100' },
    });
    ds = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.stop();
  });

  const archived = async (text: string) =>
    Number(
      (
        (await ds.query('SELECT COUNT(*) AS n FROM backup_messages WHERE text_content = ?', [text])) as [
          { n: number },
        ]
      )[0].n,
    );
  const rowOf = async (webhookEventId: string) =>
    (await inboxRows(t)).find((r) => r.webhookEventId === webhookEventId)!;

  it('lists the events that failed for good and puts them back once the cause is mended', async () => {
    const groupId = randomGroupId();
    const userId = randomUserId();
    fake.addGroup({ groupId, members: [{ userId, displayName: 'Ana' }] });
    await postWebhook(t, [makeJoinEvent({ groupId })]).expect(200);
    await waitForInboxDrained(t);

    // The archive refuses one message: its event fails for good, after the handlers before the
    // archive finished; the chat goes on.
    const allow = await refusePoisonArchiving(t);
    const poison = makeTextEvent({ groupId, userId, text: 'poison', timestamp: Date.now() - 1000 });
    const fine = makeTextEvent({ groupId, userId, text: 'fine' });
    await postWebhook(t, [poison, fine]).expect(200);
    await waitForInboxDrained(t);
    await allow();
    const failed = await rowOf(poison.webhookEventId);
    expect(failed).toMatchObject({ state: 'failed', attempts: 1 });
    expect(failed.completedHandlers).toEqual(['channels.message', 'commands', 'assistant.qa']);
    expect((await rowOf(fine.webhookEventId)).state).toBe('done');

    const listed = await cli(t, ['failed']);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const [receivedAt, failedAt, id, type, chat, attempts, error] = lines[0].split('\t');
    expect(new Date(receivedAt).getTime()).toBe(failed.receivedAt.getTime());
    expect(new Date(failedAt).getTime()).toBe(failed.processedAt!.getTime());
    expect([id, type, chat, attempts]).toEqual([poison.webhookEventId, 'message', groupId, '1']);
    expect(error).toContain('refused');

    // A failed id, a done one and an unknown one: the first is put back, the others reported, exit 1.
    const fineBefore = await rowOf(fine.webhookEventId);
    const retried = await cli(t, ['retry', poison.webhookEventId, fine.webhookEventId, 'NOSUCHEVENT']);
    expect(retried.code).toBe(1);
    expect(retried.stdout.trim()).toBe(poison.webhookEventId);
    expect(retried.stderr).toContain(`${fine.webhookEventId}: no failed event with this id`);
    expect(retried.stderr).toContain('NOSUCHEVENT: no failed event with this id');
    expect(await rowOf(fine.webhookEventId)).toEqual(fineBefore);

    // The running service picks it up; only the archive, the handler that had not finished, runs.
    await waitFor(async () => (await rowOf(poison.webhookEventId)).state === 'done', { what: 'the retry' });
    const done = await rowOf(poison.webhookEventId);
    expect(done).toMatchObject({ state: 'done', attempts: 0 });
    expect(done.completedHandlers).toEqual([
      'channels.message',
      'commands',
      'assistant.qa',
      'backup.archive',
    ]);
    expect(await archived('poison')).toBe(1);
    expect(await archived('fine')).toBe(1);

    // Nothing failed is left: the list is empty and retrying everything puts nothing back.
    const none = await cli(t, ['retry', '--all', groupId]);
    expect(none).toMatchObject({ code: 0, stdout: '' });
  });

  it('refuses arguments that are not ids, and explains its usage', async () => {
    const bad = await cli(t, ['failed', 'not-a-chat']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not a LINE group, room or user id');
    const usage = await cli(t, ['retry']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('retry --all [<chatId>]');
  });
});
