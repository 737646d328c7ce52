import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, In, LessThanOrEqual, Repository } from 'typeorm';
import type { ChannelType } from '../channels/channel.entity';
import { EVENT_CACHE_ENTRIES, EVENT_CACHE_TTL_MS, TtlCache } from '../common/ttl-cache';
import type { Settings } from '../config/settings';
import { LineClient } from '../line/line-client.service';
import {
  dateFromDb,
  eachLimited,
  isTransientLineFailure,
  isUniqueViolation,
  lineFailureStatus,
} from './sync-helpers';
import { Member, MemberRole } from './member.entity';

/** The chat a member belongs to: which LINE endpoint knows their profile depends on its type. */
export interface MemberChat {
  channelId: string;
  type: ChannelType;
}

export interface MemberProfileData {
  displayName: string | null;
  pictureUrl: string | null;
}

/** What reconciling a chat with LINE's member list changed. */
export interface MemberSyncResult {
  /** False when LINE did not give the list (403: an account that is neither verified nor premium). */
  listed: boolean;
  added: number;
  rejoined: number;
  left: number;
  profilesUpdated: number;
  profilesFailed: number;
}

/** A profile read from LINE, or the status of the failure (0: timeout or network). */
export type ProfileFetch = { ok: true; profile: MemberProfileData } | { ok: false; status: number };

/** Writes that go with a member event's, in its transaction, given how many members it changed. */
export type Alongside = (em: EntityManager, changed: number) => Promise<void>;

/** Profile requests one sync sends to LINE at the same time. */
const PROFILE_CONCURRENCY = 4;

/**
 * Members of channels as webhook events reveal them. Every write is keyed by (channel, user) and
 * guarded by event time, so a retried or repeated event changes nothing a second time.
 */
@Injectable()
export class MembersService {
  private readonly logger = new Logger(MembersService.name);
  private readonly profileMaxAgeMs: number;
  /**
   * Senders known to be active with a fresh profile, to when that profile turns stale (epoch ms):
   * recordSender's common case without a query. Every write here drops the member's entry; another
   * process's writes are seen within EVENT_CACHE_TTL_MS.
   */
  private readonly freshSenders = new TtlCache<string, number>({
    maxEntries: EVENT_CACHE_ENTRIES,
    ttlMs: EVENT_CACHE_TTL_MS,
  });

  constructor(
    @InjectRepository(Member) private readonly members: Repository<Member>,
    private readonly line: LineClient,
    config: ConfigService<Settings, true>,
  ) {
    this.profileMaxAgeMs = config.get('profileMaxAgeMs', { infer: true });
  }

  find(channelId: string, userId: string): Promise<Member | null> {
    return this.members.findOneBy({ channelId, userId });
  }

  /** Known display names of these users in the channel (users without one are left out). */
  async displayNames(channelId: string, userIds: string[]): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    const unique = [...new Set(userIds)];
    if (unique.length === 0) return names;
    const rows = await this.members.find({
      where: { channelId, userId: In(unique) },
      select: { userId: true, displayName: true },
    });
    for (const row of rows) if (row.displayName) names.set(row.userId, row.displayName);
    return names;
  }

  /**
   * Someone wrote in a group, room or 1:1 chat: an unknown sender becomes an active member (owner of
   * their own 1:1 chat); a profile is fetched when missing or older than PROFILE_MAX_AGE_HOURS.
   * Returns the profile when one was fetched.
   */
  async recordSender(chat: MemberChat, userId: string, at: Date): Promise<MemberProfileData | null> {
    // Every message comes here: the common case (known, active, fresh) costs a cache hit or one
    // plain query.
    const key = senderKey(chat.channelId, userId);
    if ((this.freshSenders.get(key) ?? 0) > Date.now()) return null;
    const since = this.freshSenders.stamp();
    const [known] = (await this.members.query(
      'SELECT status, profile_fetched_at FROM members WHERE channel_id = ? AND user_id = ?',
      [chat.channelId, userId],
    )) as { status: Member['status']; profile_fetched_at: unknown }[];
    const fetchedAt = known && dateFromDb(known.profile_fetched_at);
    const fresh = !!fetchedAt && !this.isStale({ profileFetchedAt: fetchedAt });
    if (known?.status === 'active' && fresh) {
      this.freshSenders.set(key, fetchedAt.getTime() + this.profileMaxAgeMs, { since });
      return null;
    }
    const fetched = fresh ? null : await this.fetchProfile(chat, userId);
    const role: MemberRole = chat.type === 'user' ? 'owner' : 'member';
    await this.write(
      chat.channelId,
      userId,
      { role, status: 'active', joinedAt: chat.type === 'user' ? at : null, ...profileColumns(fetched) },
      (m) => ({
        ...(m.status === 'left' && (!m.leftAt || at >= m.leftAt) ? { status: 'active', leftAt: null } : {}),
        ...profileColumns(fetched),
      }),
    );
    return fetched?.ok ? fetched.profile : null;
  }

  /**
   * memberJoined: each becomes active with joinedAt = event time. `alongside` runs in the same
   * transaction with how many were not active, so what depends on that number (the chat's member
   * count) is written with the members or not at all: a retry finds nothing changed.
   */
  async markJoined(chat: MemberChat, userIds: string[], at: Date, alongside: Alongside): Promise<number> {
    // Profiles first: no transaction waits for LINE.
    const fetched = new Map<string, ProfileFetch | null>();
    for (const userId of unique(userIds)) {
      const existing = await this.find(chat.channelId, userId);
      fetched.set(userId, existing && !this.isStale(existing) ? null : await this.fetchProfile(chat, userId));
    }
    return this.inTransaction(alongside, async (repo) => {
      let changed = 0;
      for (const [userId, profile] of fetched) {
        const outcome = await this.write(
          chat.channelId,
          userId,
          { role: 'member', status: 'active', joinedAt: at, leftAt: null, ...profileColumns(profile) },
          (m) => {
            if (m.status === 'left' && (!m.leftAt || at >= m.leftAt))
              return { status: 'active', joinedAt: at, leftAt: null, ...profileColumns(profile) };
            // Listed by the bot's join (member ids) or seen talking first: this event says when they
            // joined. A newer join of an active member (their leave not here yet) moves joinedAt, so
            // that late leave is seen as older.
            return {
              ...(m.status === 'active' && (!m.joinedAt || at > m.joinedAt) ? { joinedAt: at } : {}),
              ...profileColumns(profile),
            };
          },
          // Read again in the transaction: a sync may have written the row while LINE answered.
          undefined,
          repo,
        );
        if (outcome === 'created' || outcome === 'activated') changed++;
      }
      return changed;
    });
  }

  /**
   * memberLeft: each becomes left with leftAt = event time. `alongside` gets, in the same
   * transaction, how many were members until then: the active ones, and those never seen (LINE's
   * count held them too).
   */
  async markLeft(chat: MemberChat, userIds: string[], at: Date, alongside: Alongside): Promise<number> {
    return this.inTransaction(alongside, async (repo) => {
      let changed = 0;
      for (const userId of unique(userIds)) {
        // Someone we never saw still was a member: keep that they left.
        const outcome = await this.write(
          chat.channelId,
          userId,
          { role: 'member', status: 'left', joinedAt: null, leftAt: at },
          (m) => {
            if (m.status === 'active')
              return !m.joinedAt || at >= m.joinedAt ? { status: 'left', leftAt: at } : {};
            // A newer leave of a member who left: a late join older than it stays undone.
            return m.leftAt && at > m.leftAt ? { leftAt: at } : {};
          },
          undefined,
          repo,
        );
        if (outcome === 'deactivated' || outcome === 'created') changed++;
      }
      return changed;
    });
  }

  private inTransaction(
    alongside: Alongside,
    writes: (repo: Repository<Member>) => Promise<number>,
  ): Promise<number> {
    return this.members.manager.transaction(async (em) => {
      const changed = await writes(em.getRepository(Member));
      await alongside(em, changed);
      return changed;
    });
  }

  /**
   * Brings the members of a group or room in line with LINE's full member list: listed users are
   * active, active members not listed have left. Without a list (`null`, LINE refused it) only
   * the known active members' stale profiles are refreshed.
   */
  async reconcile(chat: MemberChat, memberIds: string[] | null, at: Date): Promise<MemberSyncResult> {
    const result: MemberSyncResult = {
      listed: memberIds !== null,
      added: 0,
      rejoined: 0,
      left: 0,
      profilesUpdated: 0,
      profilesFailed: 0,
    };
    const known = new Map(
      (await this.members.findBy({ channelId: chat.channelId })).map((m) => [m.userId, m] as const),
    );
    const present = memberIds
      ? unique(memberIds)
      : [...known.values()].filter((m) => m.status === 'active').map((m) => m.userId);
    await eachLimited(present, PROFILE_CONCURRENCY, async (userId) => {
      const existing = known.get(userId);
      const fetched = existing && !this.isStale(existing) ? null : await this.fetchProfile(chat, userId);
      if (fetched?.ok) result.profilesUpdated++;
      else if (fetched) result.profilesFailed++;
      const outcome = await this.write(
        chat.channelId,
        userId,
        { role: 'member', status: 'active', joinedAt: null, ...profileColumns(fetched) },
        (m) => ({
          ...(m.status === 'left' ? { status: 'active', leftAt: null } : {}),
          ...profileColumns(fetched),
        }),
        existing ?? null,
      );
      if (outcome === 'created') result.added++;
      if (outcome === 'activated') result.rejoined++;
    });
    if (memberIds) {
      const listed = new Set(present);
      for (const m of known.values()) {
        if (m.status !== 'active' || listed.has(m.userId)) continue;
        // Not if the member changed after the list was asked for (a memberJoined processed since).
        const marked = await this.changing(chat.channelId, m.userId, () =>
          this.members.update(
            { id: m.id, status: 'active', updatedAt: LessThanOrEqual(at) },
            { status: 'left', leftAt: at, updatedAt: new Date() },
          ),
        );
        if (marked.affected) result.left++;
      }
    }
    return result;
  }

  /** Asks LINE for a profile now, whatever its age (a 1:1 chat's follow, a sync). */
  async refreshProfile(chat: MemberChat, userId: string): Promise<ProfileFetch> {
    const fetched = await this.fetchProfile(chat, userId);
    const columns = profileColumns(fetched);
    if (Object.keys(columns).length > 0) {
      await this.changing(chat.channelId, userId, () =>
        this.members.update({ channelId: chat.channelId, userId }, { ...columns, updatedAt: new Date() }),
      );
    }
    return fetched;
  }

  /**
   * Every write to a member's row goes through here: their cached freshness is dropped after it,
   * even when it failed (it may still have been applied).
   */
  private async changing<T>(channelId: string, userId: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } finally {
      this.freshSenders.delete(senderKey(channelId, userId));
    }
  }

  private isStale(member: Pick<Member, 'profileFetchedAt'>): boolean {
    return !member.profileFetchedAt || Date.now() - member.profileFetchedAt.getTime() >= this.profileMaxAgeMs;
  }

  /**
   * A profile from LINE: the member-profile endpoint of a group or room (works for users who are
   * not friends), the profile endpoint in a 1:1 chat. A failure is logged and reported, never thrown:
   * the member is stored with what is known.
   */
  private async fetchProfile(chat: MemberChat, userId: string): Promise<ProfileFetch> {
    try {
      const p =
        chat.type === 'user'
          ? await this.line.getProfile(userId)
          : await this.line.getMemberProfile({ type: chat.type, id: chat.channelId }, userId);
      return { ok: true, profile: { displayName: p.displayName ?? null, pictureUrl: p.pictureUrl ?? null } };
    } catch (err) {
      const status = lineFailureStatus(err);
      if (status === null) throw err;
      this.logger.warn({ channelId: chat.channelId, userId, status }, 'Profile not available from LINE');
      return { ok: false, status };
    }
  }

  /**
   * Creates the member with `create` or applies `change` to the stored one (`loaded` when the
   * caller has just read it), through `repo` (a transaction's). Concurrent creation (a sync while
   * an event is processed) ends as an update.
   */
  private async write(
    channelId: string,
    userId: string,
    create: Partial<Member> & { role: MemberRole; status: Member['status'] },
    change: (m: Member) => Partial<Member>,
    loaded?: Member | null,
    repo = this.members,
  ): Promise<'created' | 'activated' | 'deactivated' | 'updated' | 'unchanged'> {
    const now = new Date();
    let existing = loaded !== undefined ? loaded : await repo.findOneBy({ channelId, userId });
    if (!existing) {
      try {
        await this.changing(channelId, userId, () =>
          repo.insert({
            channelId,
            userId,
            displayName: null,
            pictureUrl: null,
            joinedAt: null,
            leftAt: null,
            profileFetchedAt: null,
            ...create,
            updatedAt: now,
          }),
        );
        return 'created';
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        existing = await committedRow(repo, channelId, userId);
        if (!existing) throw err;
      }
    }
    const patch = changedFields(existing, change(existing));
    if (Object.keys(patch).length === 0) return 'unchanged';
    await this.changing(channelId, userId, () =>
      repo.update({ id: existing.id }, { ...patch, updatedAt: now }),
    );
    if (patch.status === 'active') return 'activated';
    if (patch.status === 'left') return 'deactivated';
    return 'updated';
  }
}

/**
 * The row a concurrent insert has just committed. Inside a MySQL transaction a plain read answers
 * from the snapshot its first read took, from before that insert (a sync writing the member while a
 * memberJoined was processed): the event then failed and ran again. A locking read sees the latest
 * row, and holds it for the update that follows. SQLite runs one unit of work at a time, and
 * outside a transaction every read is fresh.
 */
function committedRow(repo: Repository<Member>, channelId: string, userId: string): Promise<Member | null> {
  const inMysqlTransaction =
    repo.manager.connection.options.type === 'mysql' &&
    repo.manager.queryRunner?.isTransactionActive === true;
  return inMysqlTransaction
    ? repo.findOne({ where: { channelId, userId }, lock: { mode: 'pessimistic_write' } })
    : repo.findOneBy({ channelId, userId });
}

/** Columns a profile fetch sets: the profile when it came, the time of asking unless LINE was unreachable. */
function profileColumns(fetched: ProfileFetch | null): Partial<Member> {
  if (!fetched) return {};
  if (fetched.ok) return { ...fetched.profile, profileFetchedAt: new Date() };
  // 4xx (not in the chat, no such user): do not ask again before the profile age passes.
  // Timeouts, 429 and 5xx after the client's retries: ask again at the next occasion.
  return isTransientLineFailure(fetched.status) ? {} : { profileFetchedAt: new Date() };
}

function changedFields(current: Member, patch: Partial<Member>): Partial<Member> {
  const out: Partial<Member> = {};
  for (const [key, value] of Object.entries(patch) as [keyof Member, unknown][]) {
    const before = current[key] as unknown;
    const same =
      before instanceof Date && value instanceof Date
        ? before.getTime() === value.getTime()
        : before === value;
    if (!same) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

const senderKey = (channelId: string, userId: string): string => `${channelId}\u0000${userId}`;

const unique = (ids: string[]): string[] => [...new Set(ids)];
