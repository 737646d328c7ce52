import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { ChannelType } from '../channels/channel.entity';
import {
  BadRequestError,
  ConflictError,
  NotFoundError,
  PermissionDeniedError,
} from '../common/errors/domain.errors';
import { Member, MemberRole } from './member.entity';
import { isDeadlock, isUniqueViolation } from './sync-helpers';

export type ClaimResult =
  | { outcome: 'claimed' | 'already-yours' | 'taken'; ownerUserId: string }
  /** The sender is not (or no longer) an active member the bot knows of. */
  | { outcome: 'not-member'; ownerUserId: string | null };

/** Who asks for a role change: enough to apply the rules and fill the audit log. */
export interface RoleActor {
  userId: string;
  role: MemberRole | null;
  isOperator: boolean;
}

export type AssignableRole = 'admin' | 'member';

interface OwnerRow {
  id: number;
  user_id: string;
  role: MemberRole;
  status: string;
  owner_lock: string | null;
}

export class MemberNotFoundError extends NotFoundError {
  constructor() {
    super('Member not found');
  }
}

/** Runs of one statement that InnoDB rolled back as a deadlock's victim before giving up with 409. */
const DEADLOCK_ATTEMPTS = 3;

/**
 * Roles of members. "At most one owner per channel" is enforced by the database: the owner's row
 * carries `owner_lock = channel_id` under a unique index, so of two concurrent /claim (or owner
 * changes) exactly one UPDATE succeeds, on SQLite and on MySQL alike, with no lock held across
 * statements. Every change is written to the audit log.
 */
@Injectable()
export class MemberRolesService {
  private readonly logger = new Logger(MemberRolesService.name);

  constructor(
    @InjectRepository(Member) private readonly members: Repository<Member>,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** The user's role in the channel, or null unless they are an active member. */
  async roleOf(channelId: string, userId: string): Promise<MemberRole | null> {
    const row = await this.members.findOne({
      where: { channelId, userId, status: 'active' },
      select: { id: true, role: true },
    });
    return row?.role ?? null;
  }

  /**
   * `channel_id IN (<this>)` for another module's query: the channels where `userId` is an active
   * member, as SQL over this module's table (one statement instead of hundreds of bound ids).
   */
  activeChannelIdsSubquery(userId: string): { sql: string; params: Record<string, string> } {
    return {
      sql: "SELECT mm.channel_id FROM members mm WHERE mm.user_id = :memberUserId AND mm.status = 'active'",
      params: { memberUserId: userId },
    };
  }

  /**
   * `/claim`: the first active member to ask becomes owner; later ones learn who is. An owner who
   * has left the chat no longer holds it, so the next /claim takes it over.
   */
  async claim(channelId: string, userId: string): Promise<ClaimResult> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const owners = await this.ownerRows(channelId);
      const holder = owners.find((r) => r.role === 'owner' && r.status === 'active');
      if (holder)
        return {
          outcome: holder.user_id === userId ? 'already-yours' : 'taken',
          ownerUserId: holder.user_id,
        };
      const me = await this.members.findOne({
        where: { channelId, userId },
        select: { id: true, status: true },
      });
      if (!me || me.status !== 'active') return { outcome: 'not-member', ownerUserId: null };
      const previous = owners.find((r) => r.role === 'owner')?.user_id ?? null;
      await this.releaseStale(owners);
      if (await this.takeOwnership(channelId, me.id)) {
        await this.audit.record({
          channelId,
          actor: userId,
          action: 'channel.owner.claim',
          before: { ownerUserId: previous },
          after: { ownerUserId: userId },
        });
        this.logger.log({ channelId, userId }, 'Channel claimed');
        return { outcome: 'claimed', ownerUserId: userId };
      }
      // Someone else's claim won the race: read again and tell who.
    }
    throw new ConflictError('Ownership is changing; try again');
  }

  /**
   * `PUT /owner` (an operator, or the owner handing over): the target must be an active member.
   * The previous owner stays as an admin (as a member if they have left).
   */
  async setOwner(
    channelId: string,
    channelType: ChannelType,
    toUserId: string,
    actor: RoleActor,
  ): Promise<void> {
    if (channelType === 'user') throw new BadRequestError('A 1:1 chat is always owned by its user');
    const target = await this.members.findOne({
      where: { channelId, userId: toUserId },
      select: { id: true, status: true },
    });
    if (!target) throw new MemberNotFoundError();
    if (target.status !== 'active') throw new BadRequestError('Only an active member can own the channel');
    const owners = await this.ownerRows(channelId);
    const current =
      owners.find((r) => r.role === 'owner' && r.owner_lock !== null) ??
      owners.find((r) => r.role === 'owner');
    if (current?.user_id === toUserId && current.owner_lock !== null) return;
    for (const row of owners) {
      if (row.user_id === toUserId) continue;
      const demoted = row.role === 'owner' ? (row.status === 'active' ? 'admin' : 'member') : row.role;
      await this.exec(
        'UPDATE members SET role = ?, owner_lock = NULL, updated_at = ? WHERE id = ? AND role = ?',
        [demoted, this.now(), row.id, row.role],
      );
    }
    if (!(await this.takeOwnership(channelId, target.id))) {
      throw new ConflictError('Ownership changed meanwhile; try again');
    }
    await this.audit.record({
      channelId,
      actor: actor.userId,
      action: 'channel.owner.set',
      before: { ownerUserId: current?.user_id ?? null },
      after: { ownerUserId: toUserId },
    });
  }

  /**
   * `PUT /members/:userId/role`: only admin or member can be given; the owner's role cannot be
   * changed here (ownership moves with setOwner); an admin cannot demote another admin.
   */
  async setRole(channelId: string, userId: string, role: AssignableRole, actor: RoleActor): Promise<void> {
    const target = await this.members.findOne({
      where: { channelId, userId },
      select: { id: true, role: true },
    });
    if (!target) throw new MemberNotFoundError();
    if (target.role === 'owner') throw new PermissionDeniedError();
    const actorMayDemoteAdmins = actor.isOperator || actor.role === 'owner' || actor.userId === userId;
    if (target.role === 'admin' && role !== 'admin' && !actorMayDemoteAdmins)
      throw new PermissionDeniedError();
    if (target.role === role) return;
    const changed = await this.exec(
      'UPDATE members SET role = ?, updated_at = ? WHERE id = ? AND role = ? AND owner_lock IS NULL',
      [role, this.now(), target.id, target.role],
    );
    if (changed !== 1) throw new ConflictError('The member changed meanwhile; try again');
    await this.audit.record({
      channelId,
      actor: actor.userId,
      action: 'member.role',
      before: { userId, role: target.role },
      after: { userId, role },
    });
  }

  /** Rows that hold or claim ownership: the owner, plus any lock left behind by another change. */
  private async ownerRows(channelId: string): Promise<OwnerRow[]> {
    const rows: OwnerRow[] = await this.dataSource.query(
      "SELECT id, user_id, role, status, owner_lock FROM members WHERE channel_id = ? AND (role = 'owner' OR owner_lock IS NOT NULL) ORDER BY id",
      [channelId],
    );
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  /** Frees the lock of an owner who left, and any lock on a row that is no longer the owner. */
  private async releaseStale(owners: OwnerRow[]): Promise<void> {
    for (const row of owners) {
      if (row.role === 'owner' && row.status !== 'active') {
        await this.exec(
          "UPDATE members SET role = 'member', owner_lock = NULL, updated_at = ? WHERE id = ? AND role = 'owner' AND status <> 'active'",
          [this.now(), row.id],
        );
      } else if (row.role !== 'owner') {
        await this.exec("UPDATE members SET owner_lock = NULL WHERE id = ? AND role <> 'owner'", [row.id]);
      }
    }
  }

  /** One conditional UPDATE; the unique index on owner_lock lets at most one row hold it. */
  private async takeOwnership(channelId: string, memberId: number): Promise<boolean> {
    try {
      const changed = await this.exec(
        "UPDATE members SET role = 'owner', owner_lock = ?, updated_at = ? WHERE id = ? AND status = 'active'",
        [channelId, this.now(), memberId],
      );
      return changed === 1;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /**
   * Runs an UPDATE and answers how many rows it changed (both drivers report it). Concurrent
   * ownership changes move the unique owner_lock between rows, where InnoDB can pick one of them as
   * a deadlock's victim: each statement is conditional and alone in its transaction, so it runs again.
   */
  private async exec(sql: string, params: unknown[]): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const runner = this.dataSource.createQueryRunner();
      try {
        const result = await runner.query(sql, params, true);
        return result.affected ?? 0;
      } catch (err) {
        if (!isDeadlock(err)) throw err;
        if (attempt === DEADLOCK_ATTEMPTS) throw new ConflictError('Ownership changed meanwhile; try again');
      } finally {
        await runner.release();
      }
    }
  }

  /** Now, as the driver stores a datetime column (raw SQL bypasses TypeORM's conversion). */
  private now(): unknown {
    const column = this.dataSource.getMetadata(Member).findColumnWithPropertyName('updatedAt')!;
    return this.dataSource.driver.preparePersistentValue(new Date(), column);
  }
}
