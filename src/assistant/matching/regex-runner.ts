import { createContext, Script } from 'node:vm';

/** Time all regex triggers of a channel may take on one message. */
export const REGEX_BUDGET_MS = 25;

export interface RegexRun {
  /** Per regex: the length of its first match, or -1. */
  lengths: number[];
  /** Index of the regex that ran out of time (it and those after it did not run), or -1. */
  timedOut: number;
}

interface RunnerScope {
  regexes: RegExp[];
  text: string;
  lengths: number[];
  current: number;
}

/**
 * Runs regexes with a time bound. A JavaScript regex cannot be interrupted from the outside, but a
 * `vm` script with a `timeout` is terminated by V8 even in the middle of a backtracking regex. One
 * script run covers all the regexes of a message (the watchdog costs about 0.1 ms per run), and the
 * script records which regex it was in, so the caller can set that one aside.
 */
export class RegexRunner {
  private readonly scope = createContext({ regexes: [], text: '', lengths: [], current: 0 }) as RunnerScope;
  private readonly script = new Script(
    'for (current = 0; current < regexes.length; current++) {' +
      ' const m = regexes[current].exec(text); lengths[current] = m ? m[0].length : -1; }',
  );

  constructor(private readonly budgetMs = REGEX_BUDGET_MS) {}

  run(regexes: RegExp[], text: string): RegexRun {
    if (regexes.length === 0) return { lengths: [], timedOut: -1 };
    const scope = this.scope;
    scope.regexes = regexes;
    scope.text = text;
    scope.lengths = [];
    scope.current = 0;
    try {
      this.script.runInContext(scope, { timeout: this.budgetMs });
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw err;
      return { lengths: padded(scope.lengths, regexes.length), timedOut: scope.current };
    }
    return { lengths: padded(scope.lengths, regexes.length), timedOut: -1 };
  }
}

function padded(lengths: number[], n: number): number[] {
  return Array.from({ length: n }, (_, i) => lengths[i] ?? -1);
}
