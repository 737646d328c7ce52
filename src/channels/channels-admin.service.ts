import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { AuthUser, ChannelAccess } from '../auth/auth-user';
import { BadRequestError, ChannelNotFoundError, ConflictError } from '../common/errors/domain.errors';
import type { Language, Settings } from '../config/settings';
import { LineApiError } from '../line/line-api.error';
import { LineClient } from '../line/line-client.service';
import { isoFromDb } from '../database/db-time';
import { MemberRolesService } from '../members/member-roles.service';
import { isUniqueViolation } from '../members/sync-helpers';
import { ChannelConfig, defaultChannelConfig, mergeConfig } from './channel-config';
import { ChannelConfigRow } from './channel-config.entity';
import { Channel } from './channel.entity';
import { ChannelsService, ChannelSyncResult } from './channels.service';
import { LineUnavailableError } from './channels.errors';

/** A validated partial of ChannelConfig (PATCH .../config). */
export type ChannelConfigPatch = DeepPartial<ChannelConfig>;
type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object | null ? DeepPartial<NonNullable<T[K]>> | Extract<T[K], null> : T[K];
};

/** One entry of the channel list (enabledAt ISO-8601 UTC). */
export type ChannelSummary = Pick<Channel, 'channelId' | 'name' | 'type' | 'status'> & { enabledAt: string };

export interface ChannelDetail {
  channel: Channel;
  config: ChannelConfig;
}

/** The REST use cases of channels: listing, detail, config changes, sync with LINE, leaving. */
@Injectable()
export class ChannelsAdminService {
  private readonly logger = new Logger(ChannelsAdminService.name);
  private readonly defaultLanguage: Language;

  constructor(
    @InjectRepository(Channel) private readonly channelRows: Repository<Channel>,
    @InjectRepository(ChannelConfigRow) private readonly configRows: Repository<ChannelConfigRow>,
    private readonly channels: ChannelsService,
    private readonly roles: MemberRolesService,
    private readonly line: LineClient,
    private readonly audit: AuditService,
    config: ConfigService<Settings, true>,
  ) {
    this.defaultLanguage = config.get('defaultLanguage', { infer: true });
  }

  /**
   * The channels the caller is an active member of (every channel for an operator), newest first.
   * Raw rows of the five listed columns: a user may be in hundreds of channels, and entity
   * hydration would cost more than the query.
   */
  async listFor(user: AuthUser): Promise<ChannelSummary[]> {
    const q = this.channelRows
      .createQueryBuilder('c')
      .select('c.channel_id', 'channelId')
      .addSelect('c.name', 'name')
      .addSelect('c.type', 'type')
      .addSelect('c.enabled_at', 'enabledAt')
      .addSelect('c.status', 'status')
      .orderBy('c.enabled_at', 'DESC')
      .addOrderBy('c.channel_id', 'ASC');
    if (!user.isOperator) {
      const memberOf = this.roles.activeChannelIdsSubquery(user.userId);
      q.where(`c.channel_id IN (${memberOf.sql})`, memberOf.params);
    }
    const rows: Array<Omit<ChannelSummary, 'enabledAt'> & { enabledAt: unknown }> = await q.getRawMany();
    return rows.map((r) => ({ ...r, enabledAt: isoFromDb(r.enabledAt)! }));
  }

  async detail(access: ChannelAccess): Promise<ChannelDetail> {
    const channel = await this.channels.get(access.channelId);
    if (!channel) throw new ChannelNotFoundError();
    return { channel, config: await this.channels.getConfig(access.channelId) };
  }

  /**
   * Merges a validated partial over the stored config and answers the whole config. The write is
   * one conditional statement (compare-and-set on updated_at), so two concurrent PATCHes never
   * lose each other's keys; the audit log gets the whole config before and after.
   */
  /** Also used by the assistant's in-chat switches (`/lang`, `/welcome on`), so they are audited alike. */
  async updateConfig(channelId: string, actor: string, patch: ChannelConfigPatch): Promise<ChannelConfig> {
    const clean = plain(patch);
    for (let attempt = 0; attempt < 5; attempt++) {
      const row = await this.configRows.findOneBy({ channelId });
      const stored = row?.data ?? {};
      const before = mergeConfig(defaultChannelConfig(this.defaultLanguage), stored);
      const after = mergeConfig(before, clean);
      if (JSON.stringify(before) === JSON.stringify(after)) return after;
      const data = mergeConfig(stored, clean);
      const written = await this.writeConfig(channelId, row, data).finally(() =>
        this.channels.forgetConfig(channelId),
      );
      if (!written) continue;
      await this.audit.record({ channelId, actor, action: 'channel.config', before, after });
      return after;
    }
    throw new ConflictError('The config changed meanwhile; try again');
  }

  sync(access: ChannelAccess): Promise<ChannelSyncResult> {
    return this.channels.refreshFromLine(access.channelId);
  }

  /** The bot leaves the LINE group or room; the channel is disabled (history kept). */
  async leave(access: ChannelAccess): Promise<void> {
    const { channelId, channelType } = access;
    if (channelType === 'user')
      throw new BadRequestError('The bot cannot leave a 1:1 chat; the user can block it instead');
    try {
      await this.line.leave({ type: channelType, id: channelId });
    } catch (err) {
      // 404: LINE no longer knows the bot there, which is what leaving wants.
      if (!(err instanceof LineApiError)) throw err;
      if (err.status !== 404) {
        this.logger.warn({ channelId, status: err.status }, 'LINE refused to leave the chat');
        throw new LineUnavailableError();
      }
    }
    const before = await this.channels.get(channelId);
    await this.channels.disable(channelId, new Date());
    await this.audit.record({
      channelId,
      actor: access.userId,
      action: 'channel.leave',
      before: { status: before?.status ?? null },
      after: { status: 'disabled' },
    });
  }

  /** Insert, or update only if nobody wrote in between; false means read again and retry. */
  private async writeConfig(
    channelId: string,
    row: ChannelConfigRow | null,
    data: Partial<ChannelConfig>,
  ): Promise<boolean> {
    if (!row) {
      try {
        await this.configRows.insert({ channelId, data, updatedAt: new Date() });
        return true;
      } catch (err) {
        if (isUniqueViolation(err)) return false;
        throw err;
      }
    }
    // Strictly later than what was read, so the compare-and-set below always sees a change.
    const updatedAt = new Date(Math.max(Date.now(), row.updatedAt.getTime() + 1));
    const result = await this.configRows
      .createQueryBuilder()
      .update(ChannelConfigRow)
      .set({ data, updatedAt })
      .where({ channelId, updatedAt: row.updatedAt })
      .execute();
    return result.affected === 1;
  }
}

/** A DTO instance as a plain object without undefined keys. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
