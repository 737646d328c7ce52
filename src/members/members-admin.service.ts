import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { isoFromDb } from '../database/db-time';
import { Member, MemberRole, MemberStatus } from './member.entity';

export interface MemberFilter {
  status?: MemberStatus;
  role?: MemberRole;
  limit: number;
  /** The last member id of the previous page. */
  cursor?: string;
}

/** One member as the REST API shows it (dates ISO-8601 UTC). */
export interface MemberListItem {
  userId: string;
  displayName: string | null;
  pictureUrl: string | null;
  role: MemberRole;
  joinedAt: string | null;
  leftAt: string | null;
  status: MemberStatus;
  updatedAt: string;
}

export interface MemberPage {
  members: MemberListItem[];
  /** Set only when there are more. */
  nextCursor?: string;
}

export interface KnownProfile {
  userId: string;
  displayName: string | null;
  pictureUrl: string | null;
}

interface RawMember {
  id: number | string;
  userId: string;
  displayName: string | null;
  pictureUrl: string | null;
  role: MemberRole;
  joinedAt: unknown;
  leftAt: unknown;
  status: MemberStatus;
  updatedAt: unknown;
}

/** Reads for the members REST routes (the event-driven state lives in MembersService). */
@Injectable()
export class MembersAdminService {
  constructor(@InjectRepository(Member) private readonly members: Repository<Member>) {}

  /**
   * A page in member id order: stable while members join, so a cursor never skips anyone. Raw rows
   * of the listed columns (a channel may have 10,000 members; hydrating entities would cost more
   * than the query).
   */
  async list(channelId: string, filter: MemberFilter): Promise<MemberPage> {
    const q = this.members
      .createQueryBuilder('m')
      .select('m.id', 'id')
      .addSelect('m.user_id', 'userId')
      .addSelect('m.display_name', 'displayName')
      .addSelect('m.picture_url', 'pictureUrl')
      .addSelect('m.role', 'role')
      .addSelect('m.joined_at', 'joinedAt')
      .addSelect('m.left_at', 'leftAt')
      .addSelect('m.status', 'status')
      .addSelect('m.updated_at', 'updatedAt')
      .where('m.channel_id = :channelId', { channelId })
      .orderBy('m.id', 'ASC')
      .limit(filter.limit + 1);
    if (filter.status) q.andWhere('m.status = :status', { status: filter.status });
    if (filter.role) q.andWhere('m.role = :role', { role: filter.role });
    if (filter.cursor) q.andWhere('m.id > :cursor', { cursor: Number(filter.cursor) });
    const rows: RawMember[] = await q.getRawMany();
    const more = rows.length > filter.limit;
    const page = more ? rows.slice(0, filter.limit) : rows;
    const members = page.map((r) => ({
      userId: r.userId,
      displayName: r.displayName,
      pictureUrl: r.pictureUrl,
      role: r.role,
      joinedAt: isoFromDb(r.joinedAt),
      leftAt: isoFromDb(r.leftAt),
      status: r.status,
      updatedAt: isoFromDb(r.updatedAt)!,
    }));
    return more ? { members, nextCursor: String(page[page.length - 1].id) } : { members };
  }

  /** The freshest profile the bot has seen for this user in any chat, or null. */
  async latestProfile(userId: string): Promise<KnownProfile | null> {
    const row = await this.members
      .createQueryBuilder('m')
      .select(['m.id', 'm.userId', 'm.displayName', 'm.pictureUrl'])
      .where('m.userId = :userId', { userId })
      .andWhere('m.displayName IS NOT NULL')
      .orderBy('m.profileFetchedAt', 'DESC')
      .addOrderBy('m.updatedAt', 'DESC')
      .getOne();
    return row ? { userId: row.userId, displayName: row.displayName, pictureUrl: row.pictureUrl } : null;
  }
}
