import type { QaMode } from '../../channels/channel-config';
import { AhoCorasick } from './aho-corasick';
import { isWordChar, normalizeText } from './normalize';
import { compileSafeRegex, MAX_REGEX_INPUT } from './regex-safety';
import { RegexRunner } from './regex-runner';

/** What matching needs of a rule; `mode` is already resolved against the channel default. */
export interface MatchableRule {
  id: number;
  triggers: readonly string[];
  mode: QaMode;
  priority: number;
}

export interface QaHit {
  ruleId: number;
  /** The trigger as the rule stores it. */
  trigger: string;
  priority: number;
  /** Length of what matched (the trigger, or a regex's match): longer is more specific. */
  specificity: number;
  mode: QaMode;
}

/** A trigger matching could not use (a stored regex that became invalid); logged by the caller. */
export interface SkippedTrigger {
  ruleId: number;
  trigger: string;
  reason: string;
}

export interface QaMatcherOptions {
  runner?: RegexRunner;
  /** Told when a regex ran out of time; it is set aside until the rules are rebuilt. */
  onSlowRegex?: (slow: SkippedTrigger) => void;
}

interface KeywordEntry {
  rule: MatchableRule;
  trigger: string;
  length: number;
  /** The keyword starts / ends with a Latin-script letter or digit: it needs a word boundary there. */
  boundaryStart: boolean;
  boundaryEnd: boolean;
}

interface RegexEntry {
  rule: MatchableRule;
  trigger: string;
  regex: RegExp;
}

/** Best first: higher priority, then the more specific match, then exact before the others, then the older rule. */
export function compareHits(a: QaHit, b: QaHit): number {
  return (
    b.priority - a.priority ||
    b.specificity - a.specificity ||
    Number(b.mode === 'exact') - Number(a.mode === 'exact') ||
    a.ruleId - b.ruleId
  );
}

/**
 * A channel's Q&A rules compiled for matching: keyword triggers into one Aho-Corasick automaton,
 * exact triggers into a map, regex triggers into checked regexes run under a time bound. Immutable:
 * a change to the rules builds a new one.
 */
export class QaMatcher {
  readonly skipped: SkippedTrigger[] = [];
  private readonly keywords: KeywordEntry[] = [];
  private readonly automaton: AhoCorasick;
  private readonly exact = new Map<string, MatchableRule[]>();
  private readonly regexes: RegexEntry[] = [];
  /** Regexes that ran out of time once: not run again until the rules are rebuilt. */
  private readonly quarantined = new Set<RegexEntry>();

  private readonly runner?: RegexRunner;
  private readonly onSlowRegex?: (slow: SkippedTrigger) => void;

  constructor(rules: readonly MatchableRule[], options: QaMatcherOptions = {}) {
    this.runner = options.runner;
    this.onSlowRegex = options.onSlowRegex;
    const patterns: string[] = [];
    for (const rule of rules) {
      for (const trigger of new Set(rule.triggers)) {
        if (rule.mode === 'regex') {
          const verdict = compileSafeRegex(trigger);
          if (verdict.ok) this.regexes.push({ rule, trigger, regex: verdict.regex });
          else this.skipped.push({ ruleId: rule.id, trigger, reason: verdict.reason });
          continue;
        }
        const key = normalizeText(trigger);
        if (!key) {
          this.skipped.push({ ruleId: rule.id, trigger, reason: 'is empty' });
          continue;
        }
        if (rule.mode === 'exact') {
          const list = this.exact.get(key) ?? [];
          if (!list.includes(rule)) list.push(rule);
          this.exact.set(key, list);
          continue;
        }
        patterns.push(key);
        this.keywords.push({
          rule,
          trigger,
          length: [...key].length,
          boundaryStart: isWordChar(key[0]),
          boundaryEnd: isWordChar(key[key.length - 1]),
        });
      }
    }
    this.automaton = new AhoCorasick(patterns);
  }

  get size(): { keywords: number; exact: number; regex: number; nodes: number } {
    return {
      keywords: this.keywords.length,
      exact: this.exact.size,
      regex: this.regexes.length,
      nodes: this.automaton.size,
    };
  }

  /** Every matching rule once (its best trigger), best first. */
  match(text: string): QaHit[] {
    const normalized = normalizeText(text);
    if (!normalized) return [];
    const best = new Map<number, QaHit>();
    const offer = (hit: QaHit) => {
      const seen = best.get(hit.ruleId);
      if (!seen || compareHits(hit, seen) < 0) best.set(hit.ruleId, hit);
    };

    for (const rule of this.exact.get(normalized) ?? []) {
      const trigger = rule.triggers.find((t) => normalizeText(t) === normalized) ?? normalized;
      offer({
        ruleId: rule.id,
        trigger,
        priority: rule.priority,
        specificity: [...normalized].length,
        mode: 'exact',
      });
    }

    this.automaton.forEachMatch(normalized, (index, start, end) => {
      const k = this.keywords[index];
      if (k.boundaryStart && isWordChar(charBefore(normalized, start))) return;
      if (k.boundaryEnd && isWordChar(charAt(normalized, end))) return;
      offer({
        ruleId: k.rule.id,
        trigger: k.trigger,
        priority: k.rule.priority,
        specificity: k.length,
        mode: 'keyword',
      });
    });

    const runnable = this.regexes.filter((r) => !this.quarantined.has(r));
    if (runnable.length > 0) {
      const input = normalized.slice(0, MAX_REGEX_INPUT);
      const run = (this.runner ?? sharedRunner()).run(
        runnable.map((r) => r.regex),
        input,
      );
      run.lengths.forEach((length, i) => {
        if (length < 0) return;
        const r = runnable[i];
        offer({
          ruleId: r.rule.id,
          trigger: r.trigger,
          priority: r.rule.priority,
          specificity: length,
          mode: 'regex',
        });
      });
      if (run.timedOut >= 0) {
        const slow = runnable[run.timedOut];
        this.quarantined.add(slow);
        this.onSlowRegex?.({
          ruleId: slow.rule.id,
          trigger: slow.trigger,
          reason: 'ran out of time and was set aside',
        });
      }
    }

    return [...best.values()].sort(compareHits);
  }
}

let shared: RegexRunner | undefined;
/** One vm context for the whole process (runs are synchronous), made the first time a regex runs. */
function sharedRunner(): RegexRunner {
  return (shared ??= new RegexRunner());
}

function charBefore(s: string, index: number): string | undefined {
  if (index <= 0) return undefined;
  const cp = s.codePointAt(index - 1);
  // Step back over a surrogate pair.
  if (cp !== undefined && cp >= 0xdc00 && cp <= 0xdfff && index >= 2)
    return String.fromCodePoint(s.codePointAt(index - 2)!);
  return cp === undefined ? undefined : String.fromCodePoint(cp);
}

function charAt(s: string, index: number): string | undefined {
  const cp = s.codePointAt(index);
  return cp === undefined ? undefined : String.fromCodePoint(cp);
}
