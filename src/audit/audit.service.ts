import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, LessThan, Repository } from 'typeorm';
import { AuditLog } from './audit-log.entity';

export interface AuditEntry {
  channelId: string | null;
  /** LINE userId of whoever did it, or `system`. */
  actor: string;
  action: string;
  before?: unknown;
  after?: unknown;
}

export interface AuditPage {
  entries: AuditLog[];
  nextCursor: string | null;
}

@Injectable()
export class AuditService {
  constructor(@InjectRepository(AuditLog) private readonly logs: Repository<AuditLog>) {}

  /** Pass the transaction's manager so the entry commits or rolls back with the change it describes. */
  async record(entry: AuditEntry, manager?: EntityManager): Promise<void> {
    const repo = manager ? manager.getRepository(AuditLog) : this.logs;
    const row = repo.create({
      channelId: entry.channelId,
      actorUserId: entry.actor,
      action: entry.action,
      createdAt: new Date(),
    });
    row.before = entry.before ?? null;
    row.after = entry.after ?? null;
    await repo.save(row);
  }

  /** Newest first; the cursor is the last id seen. */
  async list(channelId: string, limit: number, cursor?: string): Promise<AuditPage> {
    const where = cursor ? { channelId, id: LessThan(Number(cursor)) } : { channelId };
    const rows = await this.logs.find({ where, order: { id: 'DESC' }, take: limit + 1 });
    const more = rows.length > limit;
    const entries = more ? rows.slice(0, limit) : rows;
    return { entries, nextCursor: more ? String(entries[entries.length - 1].id) : null };
  }
}
