import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { QaMode } from '../channels/channel-config';
import { EVENT_CACHE_ENTRIES, EVENT_CACHE_TTL_MS, TtlCache } from '../common/ttl-cache';
import { isUniqueViolation } from '../members/sync-helpers';
import { AssistantSettings } from './entities/assistant-settings.entity';
import { QaRuleFire } from './entities/qa-rule-fire.entity';
import { QaRule } from './entities/qa-rule.entity';
import { QaHit, QaMatcher } from './matching/qa-matcher';

/** What matching keeps of a rule; its answer is read when it fires (see `load`). */
export interface QaCandidate {
  id: number;
  channelId: string;
  priority: number;
  cooldownSeconds: number;
}

export interface QaMatch {
  rule: QaCandidate;
  hit: QaHit;
}

interface Compiled {
  revision: number;
  defaultMode: QaMode;
  matcher: QaMatcher;
  rules: Map<number, QaCandidate>;
}

interface RuleRow {
  id: number | string;
  triggers: string;
  mode: QaMode | null;
  priority: number | string;
  cooldownSeconds: number | string;
}

/** Channels whose compiled rules stay in memory; the least recently used beyond this are dropped. */
const MAX_CACHED_CHANNELS = 500;

/**
 * Matching for the message handler and the test endpoint. Each channel's enabled rules are
 * compiled once (see QaMatcher) and kept with the channel's Q&A revision; every change to the
 * rules bumps that revision in the same transaction, so a message that sees a new revision
 * rebuilds. The revision itself is remembered for EVENT_CACHE_TTL_MS: a change made in this process
 * drops it at once (`revisionChanged`), one made by another instance is seen within that time,
 * without any cache messaging.
 */
@Injectable()
export class QaEngine {
  private readonly logger = new Logger(QaEngine.name);
  private readonly cache = new Map<string, Compiled>();
  private readonly building = new Map<string, Promise<Compiled>>();
  private readonly revisions = new TtlCache<string, number>({
    maxEntries: EVENT_CACHE_ENTRIES,
    ttlMs: EVENT_CACHE_TTL_MS,
  });

  constructor(
    @InjectRepository(QaRule) private readonly rules: Repository<QaRule>,
    @InjectRepository(AssistantSettings) private readonly settings: Repository<AssistantSettings>,
    @InjectRepository(QaRuleFire) private readonly fires: Repository<QaRuleFire>,
  ) {}

  /** The rules that match `text`, best first (priority, then the longer match). */
  async match(channelId: string, text: string, defaultMode: QaMode): Promise<QaMatch[]> {
    const compiled = await this.compiled(channelId, defaultMode);
    if (compiled.rules.size === 0) return [];
    return compiled.matcher.match(text).map((hit) => ({ rule: compiled.rules.get(hit.ruleId)!, hit }));
  }

  /** The whole rule (its answer included) when it fires; null if it was deleted meanwhile. */
  load(rule: QaCandidate): Promise<QaRule | null> {
    return this.rules.findOneBy({ id: rule.id, channelId: rule.channelId });
  }

  /**
   * Takes the rule's turn to answer in its chat for this event: true when its cooldown has passed
   * since it last answered (in event time), or when this same event already took it (a retry whose
   * reply may not have gone out). One conditional statement, so two workers cannot both take it.
   */
  async claim(rule: QaCandidate, webhookEventId: string, at: Date): Promise<boolean> {
    const threshold = new Date(at.getTime() - rule.cooldownSeconds * 1000);
    const updated = await this.fires
      .createQueryBuilder()
      .update(QaRuleFire)
      .set({ lastFiredAt: at, lastEventId: webhookEventId })
      .where('rule_id = :ruleId', { ruleId: rule.id })
      .andWhere('(last_fired_at <= :threshold OR last_event_id = :webhookEventId)', {
        threshold,
        webhookEventId,
      })
      .execute();
    if (updated.affected) return true;
    if (await this.fires.existsBy({ ruleId: rule.id })) return false;
    try {
      await this.fires.insert({
        ruleId: rule.id,
        channelId: rule.channelId,
        lastFiredAt: at,
        lastEventId: webhookEventId,
      });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  /** After every change to the channel's rules has committed, or failed (it may have committed). */
  revisionChanged(channelId: string): void {
    this.revisions.delete(channelId);
  }

  private async revision(channelId: string): Promise<number> {
    const cached = this.revisions.get(channelId);
    if (cached !== undefined) return cached;
    const since = this.revisions.stamp();
    const row = await this.settings.findOne({
      where: { channelId },
      select: { channelId: true, qaRevision: true },
    });
    const revision = row?.qaRevision ?? 0;
    this.revisions.set(channelId, revision, { since });
    return revision;
  }

  /** The channel's matcher for its current revision, built at most once at a time. */
  private async compiled(channelId: string, defaultMode: QaMode): Promise<Compiled> {
    const revision = await this.revision(channelId);
    const cached = this.cache.get(channelId);
    if (cached && cached.revision === revision && cached.defaultMode === defaultMode) {
      this.cache.delete(channelId);
      this.cache.set(channelId, cached);
      return cached;
    }
    const key = `${channelId}\u0000${revision}\u0000${defaultMode}`;
    let pending = this.building.get(key);
    if (!pending) {
      pending = this.build(channelId, revision, defaultMode).finally(() => this.building.delete(key));
      this.building.set(key, pending);
    }
    return pending;
  }

  private async build(channelId: string, revision: number, defaultMode: QaMode): Promise<Compiled> {
    // Plain rows of the columns matching needs: hydrating 10,000 entities with their answers would
    // cost several times the compile itself, and keep every answer in memory.
    const rows: RuleRow[] = await this.rules
      .createQueryBuilder('r')
      .select('r.id', 'id')
      .addSelect('r.triggers', 'triggers')
      .addSelect('r.mode', 'mode')
      .addSelect('r.priority', 'priority')
      .addSelect('r.cooldown_seconds', 'cooldownSeconds')
      .where('r.channel_id = :channelId AND r.enabled = :enabled', { channelId, enabled: true })
      .orderBy('r.id', 'ASC')
      .getRawMany();
    const rules = rows.map((r) => ({
      id: Number(r.id),
      channelId,
      triggers: JSON.parse(r.triggers) as string[],
      mode: r.mode ?? defaultMode,
      priority: Number(r.priority),
      cooldownSeconds: Number(r.cooldownSeconds),
    }));
    const started = performance.now();
    const matcher = new QaMatcher(rules, {
      onSlowRegex: (slow) =>
        this.logger.warn({ channelId, ruleId: slow.ruleId }, 'Regex trigger ran out of time; set aside'),
    });
    for (const skipped of matcher.skipped) {
      this.logger.warn({ channelId, ruleId: skipped.ruleId, reason: skipped.reason }, 'Trigger skipped');
    }
    this.logger.debug(
      { channelId, rules: rules.length, ms: Math.round(performance.now() - started) },
      'Q&A rules compiled',
    );
    const candidates = rules.map(({ id, priority, cooldownSeconds }) => ({
      id,
      channelId,
      priority,
      cooldownSeconds,
    }));
    const compiled: Compiled = {
      revision,
      defaultMode,
      matcher,
      rules: new Map(candidates.map((r) => [r.id, r])),
    };
    const current = this.cache.get(channelId);
    // A slower build of an older revision must not replace a newer one.
    if (current && current.revision > revision) return compiled;
    this.cache.delete(channelId);
    this.cache.set(channelId, compiled);
    if (this.cache.size > MAX_CACHED_CHANNELS) this.cache.delete(this.cache.keys().next().value!);
    return compiled;
  }
}
