import type { QaMode } from '../channels/channel-config';
import { AnswerMessage, parseAnswerMessages, textAnswer } from './answer-messages';
import { AssistantInputError } from './assistant.errors';
import { normalizeText } from './matching/normalize';
import { compileSafeRegex } from './matching/regex-safety';

export const QA_MODES: readonly QaMode[] = ['keyword', 'exact', 'regex'];
export const MAX_TRIGGERS = 20;
export const MAX_TRIGGER_LENGTH = 200;
export const MAX_RULES_PER_CHANNEL = 10_000;
export const DEFAULT_COOLDOWN_SECONDS = 30;
export const MAX_COOLDOWN_SECONDS = 86_400;
export const MAX_PRIORITY = 1_000;

/** A rule as stored, minus identity and times. */
export interface CleanRule {
  triggers: string[];
  /** null: follows the channel's `assistant.qa.mode`. */
  mode: QaMode | null;
  messages: AnswerMessage[];
  enabled: boolean;
  priority: number;
  cooldownSeconds: number;
}

/** What REST, import and chat hand in; anything may be missing or of the wrong type. */
export interface RawRule {
  triggers?: unknown;
  answer?: unknown;
  messages?: unknown;
  mode?: unknown;
  enabled?: unknown;
  priority?: unknown;
  cooldownSeconds?: unknown;
}

const has = (raw: RawRule, key: keyof RawRule) => raw[key] !== undefined;

/**
 * Validates a rule (a whole one, or a change over `base`) and returns what to store. Triggers are
 * checked for the mode they will match in: the rule's own, else the channel default. `where` prefixes
 * every message (`rules[3].`) so that an import names the faulty rule.
 */
export function cleanRule(raw: RawRule, defaultMode: QaMode, where = '', base?: CleanRule): CleanRule {
  if (has(raw, 'answer') && has(raw, 'messages')) {
    throw new AssistantInputError(`${where}give either answer or messages, not both`);
  }
  if (!base && !has(raw, 'answer') && !has(raw, 'messages')) {
    throw new AssistantInputError(`${where}answer or messages is required`);
  }
  if (!base && !has(raw, 'triggers')) throw new AssistantInputError(`${where}triggers is required`);

  const mode = has(raw, 'mode') || !base ? modeOf(raw.mode, `${where}mode`) : base.mode;
  const triggers = has(raw, 'triggers') ? triggerList(raw.triggers, `${where}triggers`) : base!.triggers;
  checkTriggers(triggers, mode ?? defaultMode, `${where}triggers`);

  let messages: AnswerMessage[];
  if (has(raw, 'answer')) {
    if (typeof raw.answer !== 'string') throw new AssistantInputError(`${where}answer must be a string`);
    messages = textAnswer(raw.answer, `${where}answer`);
  } else if (has(raw, 'messages')) {
    messages = parseAnswerMessages(raw.messages, `${where}messages`);
  } else {
    messages = base!.messages;
  }

  return {
    triggers,
    mode,
    messages,
    enabled: has(raw, 'enabled') ? bool(raw.enabled, `${where}enabled`) : (base?.enabled ?? true),
    priority: has(raw, 'priority')
      ? int(raw.priority, -MAX_PRIORITY, MAX_PRIORITY, `${where}priority`)
      : (base?.priority ?? 0),
    cooldownSeconds: has(raw, 'cooldownSeconds')
      ? int(raw.cooldownSeconds, 0, MAX_COOLDOWN_SECONDS, `${where}cooldownSeconds`)
      : (base?.cooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS),
  };
}

function modeOf(v: unknown, at: string): QaMode | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || !QA_MODES.includes(v as QaMode)) {
    throw new AssistantInputError(`${at} must be one of ${QA_MODES.join(', ')}`);
  }
  return v as QaMode;
}

function triggerList(v: unknown, at: string): string[] {
  if (!Array.isArray(v) || v.length === 0)
    throw new AssistantInputError(`${at} must be a non-empty list`, 'emptyTrigger');
  if (v.length > MAX_TRIGGERS) {
    throw new AssistantInputError(`${at} must hold at most ${MAX_TRIGGERS} triggers`, 'tooManyTriggers', {
      max: MAX_TRIGGERS,
    });
  }
  const out: string[] = [];
  v.forEach((t, i) => {
    if (typeof t !== 'string') throw new AssistantInputError(`${at}[${i}] must be a string`);
    const trimmed = t.trim();
    if (!trimmed) throw new AssistantInputError(`${at}[${i}] must not be empty`, 'emptyTrigger');
    if (trimmed.length > MAX_TRIGGER_LENGTH) {
      throw new AssistantInputError(
        `${at}[${i}] must be at most ${MAX_TRIGGER_LENGTH} characters`,
        'triggerTooLong',
        {
          max: MAX_TRIGGER_LENGTH,
        },
      );
    }
    if (!out.includes(trimmed)) out.push(trimmed);
  });
  return out;
}

/** Keyword and exact triggers must keep something after folding; regex triggers must be safe. */
export function checkTriggers(triggers: string[], mode: QaMode, at: string): void {
  triggers.forEach((t, i) => {
    if (mode === 'regex') {
      const verdict = compileSafeRegex(t);
      if (!verdict.ok) {
        throw new AssistantInputError(`${at}[${i}] ${verdict.reason}`, 'badRegex', { pattern: t });
      }
    } else if (!normalizeText(t)) {
      throw new AssistantInputError(`${at}[${i}] must not be empty`, 'emptyTrigger');
    }
  });
}

function bool(v: unknown, at: string): boolean {
  if (typeof v !== 'boolean') throw new AssistantInputError(`${at} must be a boolean`);
  return v;
}

function int(v: unknown, min: number, max: number, at: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new AssistantInputError(`${at} must be a whole number from ${min} to ${max}`);
  }
  return v;
}
