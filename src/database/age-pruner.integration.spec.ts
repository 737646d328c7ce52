import { Logger } from '@nestjs/common';
import { Repository } from 'typeorm';
import { ArchiveDb, DB_KINDS, openArchiveDb } from '../../test/support/backup-db';
import { AssistantReply } from '../assistant/entities/assistant-reply.entity';
import { RepliedEvents } from '../assistant/replied-events.service';
import { ReplyAttempt } from '../commands/reply-attempt.entity';
import { ReplyAttempts } from '../commands/reply-attempts.service';
import { AgePruner } from './age-pruner';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const CHAT = 'C' + 'a'.repeat(32);

describe.each(DB_KINDS)('pruning by age on %s', (kind) => {
  let adb: ArchiveDb;
  let replies: Repository<AssistantReply>;
  let attempts: Repository<ReplyAttempt>;

  beforeAll(async () => {
    adb = await openArchiveDb(kind, [AssistantReply, ReplyAttempt]);
    replies = adb.ds.getRepository(AssistantReply);
    attempts = adb.ds.getRepository(ReplyAttempt);
  });
  afterAll(() => adb.close());

  const now = Date.UTC(2026, 11, 4, 12);
  const at = (ageMs: number) => new Date(now - ageMs);

  it('forgets answered events older than three days and keeps the newer ones', async () => {
    const ages = { old: 3 * DAY + HOUR, older: 10 * DAY, recent: 3 * DAY - HOUR, fresh: 0 };
    for (const [id, age] of Object.entries(ages)) {
      await replies.insert({
        webhookEventId: id,
        channelId: CHAT,
        kind: 'qa',
        outcome: 'replied',
        createdAt: at(age),
      });
    }
    await new RepliedEvents(replies).prune(now);
    const left = (await replies.find()).map((r) => r.webhookEventId).sort();
    expect(left).toEqual(['fresh', 'recent']);
  });

  it('forgets reply attempts older than three days and keeps the newer ones', async () => {
    const service = new ReplyAttempts(attempts);
    await attempts.insert({ tokenHash: 'a'.repeat(64), createdAt: at(3 * DAY + HOUR) });
    await attempts.insert({ tokenHash: 'b'.repeat(64), createdAt: at(2 * DAY) });
    await service.prune(now);
    expect((await attempts.find()).map((r) => r.tokenHash)).toEqual(['b'.repeat(64)]);
  });

  it('only warns when the delete fails, and the next prune still works', async () => {
    const warn = jest.fn();
    const logger = { warn, log: jest.fn(), error: jest.fn() };
    await attempts.clear();
    await attempts.insert({ tokenHash: 'c'.repeat(64), createdAt: at(5 * DAY) });
    const broken = {
      delete: () => Promise.reject(new Error('database is locked')),
    } as unknown as Repository<ReplyAttempt>;
    await expect(new AgePruner(broken, DAY, logger, 'Could not prune').prune(now)).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledWith({ err: 'database is locked' }, 'Could not prune');
    expect(await attempts.count()).toBe(1);

    await new AgePruner(attempts, DAY, new Logger('test'), 'Could not prune').prune(now);
    expect(await attempts.count()).toBe(0);
  });
});
