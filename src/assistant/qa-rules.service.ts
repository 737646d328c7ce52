import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { QaMode } from '../channels/channel-config';
import type { ChannelType } from '../channels/channel.entity';
import { ChannelsService } from '../channels/channels.service';
import { NotFoundError } from '../common/errors/domain.errors';
import { isUniqueViolation } from '../members/sync-helpers';
import { AssistantInputError } from './assistant.errors';
import { AssistantSettings } from './entities/assistant-settings.entity';
import { QaRule } from './entities/qa-rule.entity';
import { normalizeText } from './matching/normalize';
import { QaEngine } from './qa-engine.service';
import { CleanRule, cleanRule, MAX_RULES_PER_CHANNEL, RawRule } from './qa-rule-input';
import { TemplateRenderer } from './template-renderer.service';

/** A rule as the API shows it. */
export interface QaRuleView extends CleanRule {
  id: number;
  /** The text of a one-text-message answer (the short form it may have been created with), else null. */
  answer: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The portable form of a channel's rules (GET .../qa/export, POST .../qa/import). */
export interface QaExport {
  version: 1;
  channelId: string;
  exportedAt: string;
  rules: CleanRule[];
}

export interface QaTestResult {
  matched: boolean;
  rule: QaRuleView | null;
  trigger: string | null;
  mode: QaMode | null;
  /** What the bot would send (placeholders filled for the caller), or null when nothing matches. */
  messages: unknown[] | null;
  /** Other rules that match too, best first, by id. */
  alsoMatched: number[];
}

/** The Q&A rules of channels: validated changes, each audited and bumping the channel's revision. */
@Injectable()
export class QaRulesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(QaRule) private readonly rules: Repository<QaRule>,
    @InjectRepository(AssistantSettings) private readonly settings: Repository<AssistantSettings>,
    private readonly channels: ChannelsService,
    private readonly engine: QaEngine,
    private readonly renderer: TemplateRenderer,
    private readonly audit: AuditService,
  ) {}

  async list(channelId: string): Promise<QaRuleView[]> {
    const rows = await this.rules.find({ where: { channelId }, order: { id: 'ASC' } });
    return rows.map(view);
  }

  async get(channelId: string, id: number): Promise<QaRuleView> {
    return view(await this.find(channelId, id));
  }

  async create(channelId: string, raw: RawRule, actor: string): Promise<QaRuleView> {
    const clean = cleanRule(raw, await this.defaultMode(channelId));
    return view(await this.write(channelId, actor, (em) => this.insert(em, channelId, clean, actor)));
  }

  /** Changes the given fields; the others stay. */
  async update(channelId: string, id: number, raw: RawRule, actor: string): Promise<QaRuleView> {
    const defaultMode = await this.defaultMode(channelId);
    const saved = await this.write(channelId, actor, async (em) => {
      const row = await this.find(channelId, id, em);
      const before = view(row);
      Object.assign(row, cleanRule(raw, defaultMode, '', before), { updatedAt: new Date() });
      await em.getRepository(QaRule).save(row);
      await this.audit.record(
        { channelId, actor, action: 'assistant.qa.update', before, after: view(row) },
        em,
      );
      return row;
    });
    return view(saved);
  }

  async remove(channelId: string, id: number, actor: string): Promise<void> {
    await this.write(channelId, actor, async (em) => {
      const row = await this.find(channelId, id, em);
      await em.getRepository(QaRule).delete({ id: row.id });
      await this.audit.record({ channelId, actor, action: 'assistant.qa.delete', before: view(row) }, em);
    });
  }

  /**
   * `/qa add` from the chat: a rule with exactly these triggers (compared folded) gets the new
   * answer and is enabled again; otherwise a new rule is made.
   */
  async addFromChat(
    channelId: string,
    triggers: string[],
    answer: string,
    actor: string,
  ): Promise<{ rule: QaRuleView; created: boolean }> {
    const clean = cleanRule({ triggers, answer }, await this.defaultMode(channelId));
    const keys = clean.triggers.map(normalizeText).sort().join('\u0000');
    return this.write(channelId, actor, async (em) => {
      const rows = await em.getRepository(QaRule).find({ where: { channelId }, order: { id: 'ASC' } });
      const same = rows.find((r) => r.triggers.map(normalizeText).sort().join('\u0000') === keys);
      if (!same)
        return { rule: view(await this.insert(em, channelId, clean, actor, rows.length)), created: true };
      const before = view(same);
      Object.assign(same, { messages: clean.messages, enabled: true, updatedAt: new Date() });
      await em.getRepository(QaRule).save(same);
      await this.audit.record(
        { channelId, actor, action: 'assistant.qa.update', before, after: view(same) },
        em,
      );
      return { rule: view(same), created: false };
    });
  }

  /**
   * `/qa del <trigger>` from the chat: the trigger (compared folded) leaves every rule that has it;
   * a rule left without triggers is deleted. Returns how many rules it touched.
   */
  async removeTrigger(channelId: string, trigger: string, actor: string): Promise<number> {
    const key = normalizeText(trigger);
    if (!key) return 0;
    return this.write(channelId, actor, async (em) => {
      const repo = em.getRepository(QaRule);
      const rows = (await repo.find({ where: { channelId } })).filter((r) =>
        r.triggers.some((t) => normalizeText(t) === key),
      );
      for (const row of rows) {
        const before = view(row);
        const rest = row.triggers.filter((t) => normalizeText(t) !== key);
        if (rest.length === 0) {
          await repo.delete({ id: row.id });
          await this.audit.record({ channelId, actor, action: 'assistant.qa.delete', before }, em);
        } else {
          Object.assign(row, { triggers: rest, updatedAt: new Date() });
          await repo.save(row);
          await this.audit.record(
            { channelId, actor, action: 'assistant.qa.update', before, after: view(row) },
            em,
          );
        }
      }
      return rows.length;
    });
  }

  async export(channelId: string): Promise<QaExport> {
    const rows = await this.rules.find({ where: { channelId }, order: { id: 'ASC' } });
    return { version: 1, channelId, exportedAt: new Date().toISOString(), rules: rows.map(stored) };
  }

  /**
   * All or nothing: every rule is validated before anything is written, and the writes share one
   * transaction. `replace` deletes the channel's rules first.
   */
  async import(
    channelId: string,
    raws: RawRule[],
    replace: boolean,
    actor: string,
  ): Promise<{ imported: number; deleted: number }> {
    const defaultMode = await this.defaultMode(channelId);
    const clean = raws.map((raw, i) => cleanRule(raw ?? {}, defaultMode, `rules[${i}].`));
    return this.write(channelId, actor, async (em) => {
      const repo = em.getRepository(QaRule);
      const deleted = replace ? ((await repo.delete({ channelId })).affected ?? 0) : 0;
      const existing = replace ? 0 : await repo.countBy({ channelId });
      assertRoom(existing, clean.length);
      const now = new Date();
      const rows = clean.map((c) =>
        repo.create({ ...c, channelId, createdBy: actor, createdAt: now, updatedAt: now }),
      );
      for (let i = 0; i < rows.length; i += 200) await repo.insert(rows.slice(i, i + 200));
      await this.audit.record(
        {
          channelId,
          actor,
          action: 'assistant.qa.import',
          before: { deleted },
          after: { imported: rows.length, replace },
        },
        em,
      );
      return { imported: rows.length, deleted };
    });
  }

  /** Which rule would answer `text`, and what it would send, for the caller as the sender. Sends nothing. */
  async test(
    channelId: string,
    channelType: ChannelType,
    text: string,
    userId: string,
  ): Promise<QaTestResult> {
    const config = await this.channels.getConfig(channelId);
    const [best, ...others] = await this.engine.match(channelId, text, config.assistant.qa.mode);
    const rule = best ? await this.engine.load(best.rule) : null;
    if (!best || !rule) {
      return { matched: false, rule: null, trigger: null, mode: null, messages: null, alsoMatched: [] };
    }
    return {
      matched: true,
      rule: view(rule),
      trigger: best.hit.trigger,
      mode: best.hit.mode,
      messages: await this.renderer.renderAnswer(rule.messages, {
        channelId,
        channelType,
        language: config.language,
        timezone: config.timezone,
        at: new Date(),
        userIds: [userId],
      }),
      alsoMatched: others.map((m) => m.rule.id),
    };
  }

  private async defaultMode(channelId: string): Promise<QaMode> {
    return (await this.channels.getConfig(channelId)).assistant.qa.mode;
  }

  private async find(channelId: string, id: number, em?: EntityManager): Promise<QaRule> {
    const repo = em ? em.getRepository(QaRule) : this.rules;
    const row = await repo.findOneBy({ id, channelId });
    if (!row) throw new NotFoundError('Rule not found');
    return row;
  }

  private async insert(
    em: EntityManager,
    channelId: string,
    clean: CleanRule,
    actor: string,
    count?: number,
  ): Promise<QaRule> {
    const repo = em.getRepository(QaRule);
    assertRoom(count ?? (await repo.countBy({ channelId })), 1);
    const now = new Date();
    const row = await repo.save(
      repo.create({ ...clean, channelId, createdBy: actor, createdAt: now, updatedAt: now }),
    );
    await this.audit.record({ channelId, actor, action: 'assistant.qa.create', after: view(row) }, em);
    return row;
  }

  /**
   * Runs a change in a transaction that also bumps the channel's Q&A revision. The engine's cached
   * revision is dropped after the commit, not before: a message read in between would keep the old.
   */
  private async write<T>(
    channelId: string,
    actor: string,
    change: (em: EntityManager) => Promise<T>,
  ): Promise<T> {
    await this.ensureSettings(channelId, actor);
    return this.dataSource
      .transaction(async (em) => {
        const result = await change(em);
        await em
          .getRepository(AssistantSettings)
          .createQueryBuilder()
          .update(AssistantSettings)
          .set({ qaRevision: () => 'qa_revision + 1' })
          .where('channel_id = :channelId', { channelId })
          .execute();
        return result;
      })
      .finally(() => this.engine.revisionChanged(channelId));
  }

  /** The settings row exists before any transaction updates it (an insert race is settled here). */
  async ensureSettings(channelId: string, actor: string): Promise<void> {
    if (await this.settings.existsBy({ channelId })) return;
    try {
      await this.settings.insert({
        channelId,
        qaRevision: 0,
        welcomeText: null,
        welcomeAppendRules: false,
        rulesText: null,
        updatedAt: new Date(),
        updatedBy: actor,
      });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
}

function assertRoom(existing: number, adding: number): void {
  if (existing + adding > MAX_RULES_PER_CHANNEL) {
    throw new AssistantInputError(
      `a channel can have at most ${MAX_RULES_PER_CHANNEL} rules`,
      'tooManyRules',
      {
        max: MAX_RULES_PER_CHANNEL,
      },
    );
  }
}

function stored(r: QaRule): CleanRule {
  return {
    triggers: r.triggers,
    mode: r.mode,
    messages: r.messages,
    enabled: r.enabled,
    priority: r.priority,
    cooldownSeconds: r.cooldownSeconds,
  };
}

function view(r: QaRule): QaRuleView {
  const only = r.messages.length === 1 && r.messages[0].type === 'text' ? r.messages[0].text : null;
  return {
    id: r.id,
    ...stored(r),
    answer: only,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}
