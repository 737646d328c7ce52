import { randomUUID } from 'node:crypto';
import { HTTPFetchError, messagingApi } from '@line/bot-sdk';
import { FakeLine } from './fake-line';
import { randomGroupId, randomUserId } from './events';

/** The fake answers what @line/bot-sdk (the app's LINE client underneath) expects. */
describe('FakeLine with @line/bot-sdk', () => {
  let fake: FakeLine;
  let api: messagingApi.MessagingApiClient;
  let blob: messagingApi.MessagingApiBlobClient;
  beforeAll(async () => {
    fake = await FakeLine.start({ accessToken: 'sdk-token' });
    api = new messagingApi.MessagingApiClient({ channelAccessToken: 'sdk-token', baseURL: fake.url });
    blob = new messagingApi.MessagingApiBlobClient({ channelAccessToken: 'sdk-token', baseURL: fake.url });
  });
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  it('pushes with a retry key; a repeat is an HTTPFetchError 409 carrying the accepted request id', async () => {
    const key = randomUUID();
    const to = randomGroupId();
    const sent = await api.pushMessage({ to, messages: [{ type: 'text', text: 'hi' }] }, key);
    expect(sent.sentMessages).toHaveLength(1);
    const err = await api
      .pushMessage({ to, messages: [{ type: 'text', text: 'hi' }] }, key)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HTTPFetchError);
    const fetchErr = err as HTTPFetchError;
    expect(fetchErr.status).toBe(409);
    expect(fetchErr.headers.get('x-line-accepted-request-id')).toBe(fake.requests[0].requestId);
    expect(JSON.parse(fetchErr.body).sentMessages).toEqual(sent.sentMessages);
    expect(fake.pushes()).toEqual([{ to, messages: [{ type: 'text', text: 'hi' }], retryKey: key }]);
  });

  it('replies, reads group data over all member id pages, and leaves', async () => {
    const groupId = randomGroupId();
    const members = Array.from({ length: 120 }, (_, i) => ({ userId: randomUserId(), displayName: `M${i}` }));
    fake.addGroup({ groupId, groupName: 'Team', members });
    await api.replyMessage({ replyToken: 'r1', messages: [{ type: 'text', text: 'ok' }] });
    expect(fake.replyFor({ replyToken: 'r1' })?.messages).toEqual([{ type: 'text', text: 'ok' }]);
    expect(await api.getGroupSummary(groupId)).toEqual({ groupId, groupName: 'Team' });
    expect(await api.getGroupMemberCount(groupId)).toEqual({ count: 120 });
    const first = await api.getGroupMembersIds(groupId);
    const second = await api.getGroupMembersIds(groupId, first.next);
    expect([...first.memberIds, ...second.memberIds]).toEqual(members.map((m) => m.userId));
    expect(second.next).toBeUndefined();
    expect(await api.getGroupMemberProfile(groupId, members[5].userId)).toEqual(members[5]);
    await api.leaveGroup(groupId);
    await expect(api.getGroupSummary(groupId)).rejects.toMatchObject({ status: 404 });
  });

  it('refuses a wrong access token with 401', async () => {
    const other = new messagingApi.MessagingApiClient({ channelAccessToken: 'wrong', baseURL: fake.url });
    await expect(other.getMessageQuota()).rejects.toMatchObject({ status: 401 });
  });

  it('downloads content as a stream; 202 comes back as a status while not ready', async () => {
    fake.setContent('42', { body: Buffer.from('clip'), contentType: 'audio/m4a', notReadyTimes: 1 });
    const pending = await blob.getMessageContentWithHttpInfo('42');
    expect(pending.httpResponse.status).toBe(202);
    const ready = await blob.getMessageContentWithHttpInfo('42');
    expect(ready.httpResponse.headers.get('content-type')).toBe('audio/m4a');
    const chunks: Buffer[] = [];
    for await (const chunk of ready.body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('clip');
  });
});
