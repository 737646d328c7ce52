import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { ChannelNotFoundError } from '../common/errors/domain.errors';
import { EVENT_CACHE_ENTRIES, EVENT_CACHE_TTL_MS, TtlCache } from '../common/ttl-cache';
import type { Language, Settings } from '../config/settings';
import { Dialect, dialectOf } from '../database/columns';
import { toDbTime } from '../database/db-time';
import { LineClient } from '../line/line-client.service';
import type { ChatRef } from '../line/line.types';
import { isTransientLineFailure, isUniqueViolation, lineFailureStatus } from '../members/sync-helpers';
import { MemberProfileData, MembersService, MemberSyncResult } from '../members/members.service';
import { ChannelConfig, defaultChannelConfig, mergeConfig } from './channel-config';
import { ChannelConfigRow } from './channel-config.entity';
import { Channel, ChannelType } from './channel.entity';

/** The longest wait before an unread chat's events read it from LINE again (CHAT_READ_RETRY_SECONDS doubles up to it). */
const MAX_READ_RETRY_MS = 3600_000;

/** A chat as webhook events name it. */
export interface ChannelRef {
  channelId: string;
  type: ChannelType;
}

export type SyncPart = 'summary' | 'count' | 'memberIds' | 'profile';

/** What `refreshFromLine` found and changed. */
export interface ChannelSyncResult {
  channelId: string;
  name: string | null;
  pictureUrl: string | null;
  memberCount: number | null;
  /** Channel fields that differ from before the sync. */
  changed: ('name' | 'pictureUrl' | 'memberCount')[];
  members: MemberSyncResult;
  /**
   * What LINE did not answer (everything else was still applied). `memberIds` 403 is normal: LINE
   * lists members only for verified or premium accounts. Status 0 is a timeout.
   */
  unavailable: { part: SyncPart; status: number }[];
}

type ChannelFields = Partial<Pick<Channel, 'name' | 'pictureUrl' | 'memberCount'>>;

interface CountRead {
  value: number;
  at: Date;
}

/**
 * Channels (groups, rooms, 1:1 chats) and their config. State changes come from webhook events
 * (ChannelEventsHandler) in event order; each is guarded by event time so a repeat changes nothing.
 */
@Injectable()
export class ChannelsService {
  private readonly logger = new Logger(ChannelsService.name);
  private readonly defaultLanguage: Language;
  private readonly dialect: Dialect;
  private readonly eventConfigs = new TtlCache<string, ChannelConfig>({
    maxEntries: EVENT_CACHE_ENTRIES,
    ttlMs: EVENT_CACHE_TTL_MS,
  });
  /** Channels known to exist and to have been read from LINE: neither ever becomes untrue. */
  private readonly settled = new TtlCache<string, true>({ maxEntries: EVENT_CACHE_ENTRIES, ttlMs: Infinity });
  /**
   * Chats whose last read from LINE a passing failure cut short: when their events may read them
   * again, and the wait that set it (doubled at each failure, up to MAX_READ_RETRY_MS).
   */
  private readonly readRetries = new TtlCache<string, { at: number; waitMs: number }>({
    maxEntries: EVENT_CACHE_ENTRIES,
    ttlMs: Infinity,
  });
  private readonly readRetryMs: number;

  constructor(
    @InjectRepository(Channel) private readonly channels: Repository<Channel>,
    @InjectRepository(ChannelConfigRow) private readonly configs: Repository<ChannelConfigRow>,
    private readonly members: MembersService,
    private readonly line: LineClient,
    config: ConfigService<Settings, true>,
  ) {
    this.defaultLanguage = config.get('defaultLanguage', { infer: true });
    this.readRetryMs = config.get('chatReadRetryMs', { infer: true });
    this.dialect = dialectOf(channels.manager.connection.options.type);
  }

  get(channelId: string): Promise<Channel | null> {
    return this.channels.findOneBy({ channelId });
  }

  /**
   * The defaults (language from DEFAULT_LANGUAGE) with what is stored merged over them, as stored
   * now: what permission checks and the REST API read. Plain SQL, a fraction of the ORM's cost.
   */
  async getConfig(channelId: string): Promise<ChannelConfig> {
    const rows = (await this.configs.query('SELECT data FROM channel_configs WHERE channel_id = ?', [
      channelId,
    ])) as { data: string }[];
    const stored = rows.length > 0 ? (JSON.parse(rows[0].data) as Partial<ChannelConfig>) : {};
    return mergeConfig(defaultChannelConfig(this.defaultLanguage), stored);
  }

  /**
   * `getConfig` for webhook event handlers, which read it on every message: this process's own
   * changes are seen at once (`forgetConfig`), another process's within EVENT_CACHE_TTL_MS. Frozen,
   * as every event of the next second shares the object.
   */
  async configForEvent(channelId: string): Promise<ChannelConfig> {
    const cached = this.eventConfigs.get(channelId);
    if (cached) return cached;
    const since = this.eventConfigs.stamp();
    const config = deepFreeze(await this.getConfig(channelId));
    this.eventConfigs.set(channelId, config, { since });
    return config;
  }

  /** After every write of the channel's config, failed ones included (they may have been applied). */
  forgetConfig(channelId: string): void {
    this.eventConfigs.delete(channelId);
  }

  /**
   * The bot is in the chat (join, follow): created, or active again with its history kept.
   * `unread`: never read from LINE (new, or its first read did not finish): the caller reads it now.
   */
  async activate(ref: ChannelRef, at: Date): Promise<{ unread: boolean }> {
    if (await this.create(ref, at, 'active')) return { unread: true };
    // Guarded by time: an older join redelivered after a leave does not undo the leave. A newer join
    // of an active chat (its leave not here yet) moves enabledAt, so that late leave is seen as older.
    await this.channels
      .createQueryBuilder()
      .update(Channel)
      .set({ status: 'active', enabledAt: at, disabledAt: null, updatedAt: new Date() })
      .where('channel_id = :id', { id: ref.channelId })
      .andWhere(
        '((status = :disabled AND (disabled_at IS NULL OR disabled_at <= :at)) OR (status = :active AND enabled_at < :at))',
        { disabled: 'disabled', active: 'active', at },
      )
      .execute();
    return { unread: (await this.readState(ref.channelId)) === 'unread' };
  }

  /** Any event from a chat: created (active) when unknown, otherwise left as it is. `unread` as above. */
  async ensure(ref: ChannelRef, at: Date): Promise<{ unread: boolean }> {
    const state = await this.readState(ref.channelId);
    if (state === 'missing') await this.create(ref, at, 'active');
    return { unread: state !== 'read' };
  }

  /** On every message until settled: plain SQL rather than an entity load. */
  private async readState(channelId: string): Promise<'missing' | 'unread' | 'read'> {
    if (this.settled.get(channelId)) return 'read';
    const rows = (await this.channels.query('SELECT line_read_at AS r FROM channels WHERE channel_id = ?', [
      channelId,
    ])) as { r: unknown }[];
    if (rows.length === 0) return 'missing';
    if (rows[0].r === null) return 'unread';
    this.settled.set(channelId, true);
    return 'read';
  }

  /** leave, unfollow: disabled, nothing deleted. */
  async disable(channelId: string, at: Date): Promise<void> {
    const result = await this.channels
      .createQueryBuilder()
      .update(Channel)
      .set({ status: 'disabled', disabledAt: at, updatedAt: new Date() })
      .where('channel_id = :id AND enabled_at <= :at', { id: channelId, at })
      // A newer leave of a disabled chat moves disabledAt: a late join older than it stays undone.
      .andWhere('(status = :active OR disabled_at < :at)', { active: 'active' })
      .execute();
    if (!result.affected && !(await this.get(channelId))) {
      this.logger.log({ channelId }, 'Left a chat that was never recorded');
    }
  }

  /** memberJoined: the members and the count change together; then the count is read from LINE. */
  async membersJoined(ref: ChannelRef, userIds: string[], at: Date): Promise<void> {
    await this.members.markJoined(ref, userIds, at, (em, changed) => this.shiftCount(em, ref, changed, at));
    await this.recount(ref);
  }

  /** memberLeft: as membersJoined. */
  async membersLeft(ref: ChannelRef, userIds: string[], at: Date): Promise<void> {
    await this.members.markLeft(ref, userIds, at, (em, changed) => this.shiftCount(em, ref, -changed, at));
    await this.recount(ref);
  }

  /** Adjusted at once, unless the count was read from LINE after `at` (it holds the change already). */
  private async shiftCount(em: EntityManager, ref: ChannelRef, delta: number, at: Date): Promise<void> {
    if (delta === 0) return;
    const shifted = `CASE WHEN member_count + ${Math.trunc(delta)} < 0 THEN 0 ELSE member_count + ${Math.trunc(delta)} END`;
    await em
      .createQueryBuilder()
      .update(Channel)
      .set({ memberCount: () => shifted, updatedAt: new Date() })
      .where(
        'channel_id = :id AND member_count IS NOT NULL AND (member_count_at IS NULL OR member_count_at < :at)',
        { id: ref.channelId, at: toDbTime(this.dialect, at) },
      )
      .execute();
  }

  /** LINE's count, when it answers. */
  private async recount(ref: ChannelRef): Promise<void> {
    const count = await this.readCount(ref, []);
    if (count) await this.save(ref.channelId, {}, undefined, false, count);
  }

  /**
   * Reads the chat from LINE and stores it: name and picture (groups: summary; 1:1: the user's
   * profile), member count, every member id (all pages) with their profiles, stale profiles.
   * LINE failures leave the stored values as they were and are reported, not thrown.
   */
  async refreshFromLine(channelId: string): Promise<ChannelSyncResult> {
    const channel = await this.get(channelId);
    if (!channel) throw new ChannelNotFoundError();
    const ref: ChannelRef = { channelId, type: channel.type };
    const unavailable: ChannelSyncResult['unavailable'] = [];
    const fields: ChannelFields = {};
    let count: CountRead | undefined;
    let members: MemberSyncResult;
    if (ref.type === 'user') {
      const fetched = await this.members.refreshProfile(ref, channelId);
      if (fetched.ok) Object.assign(fields, chatFieldsOf(fetched.profile), { memberCount: 1 });
      else unavailable.push({ part: 'profile', status: fetched.status });
      members = {
        listed: true,
        added: 0,
        rejoined: 0,
        left: 0,
        profilesUpdated: fetched.ok ? 1 : 0,
        profilesFailed: fetched.ok ? 0 : 1,
      };
    } else {
      const chat = chatRef(ref);
      if (ref.type === 'group') {
        const summary = await this.read(
          'summary',
          ref,
          () => this.line.getGroupSummary(channelId),
          unavailable,
        );
        if (summary)
          Object.assign(fields, { name: summary.groupName, pictureUrl: summary.pictureUrl ?? null });
      }
      const listedAt = new Date();
      const ids = await this.read('memberIds', ref, () => this.line.getMemberIds(chat), unavailable);
      members = await this.members.reconcile(ref, ids ?? null, listedAt);
      // After the members, which can take long: a count read first may be older than one that the
      // chat's own memberJoined/memberLeft stored meanwhile.
      count = await this.readCount(ref, unavailable);
    }
    // A timeout, 429 or 5xx leaves the chat unread: its later events read it again (see `lineReadDue`).
    const cutShort = unavailable.some((u) => isTransientLineFailure(u.status));
    const changed = await this.save(channelId, fields, channel, !cutShort, count);
    this.noteRead(channelId, cutShort);
    // As stored: a count read after LINE's answer here (the chat's own member events meanwhile) stays.
    const after = (await this.get(channelId)) ?? { ...channel, ...fields };
    return {
      channelId,
      name: after.name,
      pictureUrl: after.pictureUrl,
      memberCount: after.memberCount,
      changed,
      members,
      unavailable,
    };
  }

  /**
   * Whether an unread chat's event may read it from LINE now: not until the wait after a read that
   * a passing failure cut short is over, so that a LINE outage is not asked again on every message.
   */
  lineReadDue(channelId: string): boolean {
    const retry = this.readRetries.get(channelId);
    return !retry || retry.at <= Date.now();
  }

  private noteRead(channelId: string, cutShort: boolean): void {
    if (!cutShort) {
      this.readRetries.delete(channelId);
      return;
    }
    const last = this.readRetries.get(channelId);
    const waitMs = last ? Math.min(last.waitMs * 2, MAX_READ_RETRY_MS) : this.readRetryMs;
    this.readRetries.set(channelId, { at: Date.now() + waitMs, waitMs });
  }

  /** A 1:1 chat: created or reactivated, its user the owner; the chat takes the user's name. */
  async openUserChat(userId: string, at: Date, reactivate: boolean): Promise<void> {
    const ref: ChannelRef = { channelId: userId, type: 'user' };
    const { unread } = reactivate ? await this.activate(ref, at) : await this.ensure(ref, at);
    let profile = await this.members.recordSender(ref, userId, at);
    if (reactivate && !unread && !profile) {
      // Followed again (unblocked, or a friend at last): the profile may have changed or become readable.
      const fetched = await this.members.refreshProfile(ref, userId);
      if (fetched.ok) profile = fetched.profile;
    }
    // An unread chat counts as read now: its profile was asked for (recordSender asks LINE when it
    // has none that is fresh).
    if (profile) await this.save(userId, { ...chatFieldsOf(profile), memberCount: 1 }, undefined, unread);
    else if (unread) await this.save(userId, { memberCount: 1 }, undefined, true);
  }

  /**
   * Stores the fields that differ, and `readFromLine` as lineReadAt; returns the fields' names. A
   * count is stored with when it was read, unless the one stored was read later.
   */
  private async save(
    channelId: string,
    fields: ChannelFields,
    current?: Channel,
    readFromLine = false,
    count?: CountRead,
  ): Promise<ChannelSyncResult['changed']> {
    const before = current ?? (await this.get(channelId));
    if (!before) return [];
    const changed = (Object.keys(fields) as (keyof ChannelFields)[]).filter((k) => fields[k] !== before[k]);
    const patch: Partial<Channel> = Object.fromEntries(changed.map((k) => [k, fields[k]]));
    if (changed.length > 0) patch.updatedAt = new Date();
    if (readFromLine) patch.lineReadAt = new Date();
    if (Object.keys(patch).length > 0) await this.channels.update({ channelId }, patch);
    if (!count) return changed;
    const stored = await this.channels
      .createQueryBuilder()
      .update(Channel)
      .set({
        memberCount: count.value,
        memberCountAt: count.at,
        ...(count.value !== before.memberCount ? { updatedAt: new Date() } : {}),
      })
      .where('channel_id = :id AND (member_count_at IS NULL OR member_count_at <= :at)', {
        id: channelId,
        at: toDbTime(this.dialect, count.at),
      })
      .execute();
    return (stored.affected ?? 0) > 0 && count.value !== before.memberCount
      ? [...changed, 'memberCount']
      : changed;
  }

  /** LINE's member count of a group or room, with when it was asked for. */
  private async readCount(
    ref: ChannelRef,
    unavailable: ChannelSyncResult['unavailable'],
  ): Promise<CountRead | undefined> {
    const at = new Date();
    const value = await this.read('count', ref, () => this.line.getMemberCount(chatRef(ref)), unavailable);
    return value === undefined ? undefined : { value, at };
  }

  /** One LINE read; a failure is logged and noted, a non-LINE error is thrown. */
  private async read<T>(
    part: SyncPart,
    ref: ChannelRef,
    fn: () => Promise<T>,
    unavailable: ChannelSyncResult['unavailable'],
  ): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      const status = lineFailureStatus(err);
      if (status === null) throw err;
      unavailable.push({ part, status });
      const normal = part === 'memberIds' && status === 403;
      const log = { channelId: ref.channelId, part, status };
      if (normal) this.logger.log(log, 'LINE lists members only for verified or premium accounts');
      else this.logger.warn(log, 'LINE did not answer; stored values kept');
      return undefined;
    }
  }

  /** Inserts the channel unless it exists; true when this call created it. */
  private async create(ref: ChannelRef, at: Date, status: Channel['status']): Promise<boolean> {
    if ((await this.readState(ref.channelId)) !== 'missing') return false;
    const now = new Date();
    try {
      await this.channels.insert({
        channelId: ref.channelId,
        type: ref.type,
        name: null,
        pictureUrl: null,
        memberCount: null,
        status,
        createdAt: now,
        createdBy: 'system',
        enabledAt: at,
        disabledAt: null,
        lineReadAt: null,
        memberCountAt: null,
        updatedAt: now,
      });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }
}

function chatRef(ref: ChannelRef): ChatRef {
  if (ref.type === 'user') throw new Error('A 1:1 chat has no group/room endpoints');
  return { type: ref.type, id: ref.channelId };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) Object.values(value).forEach(deepFreeze);
  return Object.freeze(value);
}

function chatFieldsOf(profile: MemberProfileData): ChannelFields {
  return { name: profile.displayName, pictureUrl: profile.pictureUrl };
}
