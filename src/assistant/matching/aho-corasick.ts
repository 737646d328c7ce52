/**
 * Aho-Corasick automaton over UTF-16 code units: every occurrence of every pattern in one pass over
 * the text, whatever the number of patterns. Built once per rule set (rules change rarely, messages
 * arrive constantly).
 *
 * Layout after building: the trie's edges are stored per node as sorted (code unit, target) pairs in
 * flat typed arrays (binary search when a node has many children, as the root has with CJK), plus the
 * failure link and a "dictionary link" to the nearest failure ancestor that ends a pattern, so that
 * reporting matches skips nodes that end none.
 */
export class AhoCorasick {
  /** Number of trie nodes, the root included. */
  readonly size: number;
  private readonly edgeStart: Int32Array;
  private readonly edgeChar: Uint16Array;
  private readonly edgeTarget: Int32Array;
  private readonly fail: Int32Array;
  private readonly dictLink: Int32Array;
  private readonly outStart: Int32Array;
  private readonly outPattern: Int32Array;
  private readonly patternLength: Int32Array;

  /** Empty patterns are ignored; duplicates are reported once per index. */
  constructor(patterns: readonly string[]) {
    this.patternLength = Int32Array.from(patterns, (p) => p.length);
    // Inserting the patterns in sorted order needs no child lookups: a pattern shares its trie path
    // with the previous one for exactly their common prefix, and each node's children are created
    // in increasing code-unit order, which is the order the lookups need.
    const order = patterns
      .map((_, i) => i)
      .filter((i) => patterns[i].length > 0)
      .sort((a, b) => (patterns[a] < patterns[b] ? -1 : patterns[a] > patterns[b] ? 1 : a - b));
    const parent: number[] = [-1];
    const edge: number[] = [0];
    const endsAt = new Int32Array(patterns.length).fill(-1);
    const path: number[] = [0];
    let previous = '';
    for (const index of order) {
      const pattern = patterns[index];
      let common = 0;
      const limit = Math.min(previous.length, pattern.length);
      while (common < limit && previous.charCodeAt(common) === pattern.charCodeAt(common)) common++;
      path.length = common + 1;
      for (let i = common; i < pattern.length; i++) {
        parent.push(path[i]);
        edge.push(pattern.charCodeAt(i));
        path.push(parent.length - 1);
      }
      endsAt[index] = path[pattern.length];
      previous = pattern;
    }

    const n = parent.length;
    this.size = n;
    this.edgeStart = new Int32Array(n + 1);
    for (let v = 1; v < n; v++) this.edgeStart[parent[v] + 1]++;
    for (let v = 0; v < n; v++) this.edgeStart[v + 1] += this.edgeStart[v];
    this.edgeChar = new Uint16Array(n - 1);
    this.edgeTarget = new Int32Array(n - 1);
    const fill = this.edgeStart.slice(0, n);
    for (let v = 1; v < n; v++) {
      const at = fill[parent[v]]++;
      this.edgeChar[at] = edge[v];
      this.edgeTarget[at] = v;
    }

    this.outStart = new Int32Array(n + 1);
    for (const node of endsAt) if (node >= 0) this.outStart[node + 1]++;
    for (let v = 0; v < n; v++) this.outStart[v + 1] += this.outStart[v];
    this.outPattern = new Int32Array(this.outStart[n]);
    const outFill = this.outStart.slice(0, n);
    endsAt.forEach((node, index) => {
      if (node >= 0) this.outPattern[outFill[node]++] = index;
    });

    // Breadth first: a node's failure link is known before its children need it.
    this.fail = new Int32Array(n);
    this.dictLink = new Int32Array(n).fill(-1);
    const queue = new Int32Array(n);
    let head = 0;
    let tail = 0;
    for (let e = this.edgeStart[0]; e < this.edgeStart[1]; e++) queue[tail++] = this.edgeTarget[e];
    while (head < tail) {
      const node = queue[head++];
      for (let e = this.edgeStart[node]; e < this.edgeStart[node + 1]; e++) {
        const child = this.edgeTarget[e];
        const c = this.edgeChar[e];
        let f = this.fail[node];
        let target = this.child(f, c);
        while (target < 0 && f !== 0) {
          f = this.fail[f];
          target = this.child(f, c);
        }
        const link = target < 0 ? 0 : target;
        this.fail[child] = link;
        this.dictLink[child] = this.outStart[link] < this.outStart[link + 1] ? link : this.dictLink[link];
        queue[tail++] = child;
      }
    }
  }

  /** Calls `onMatch(patternIndex, start, end)` (end exclusive) for every occurrence, left to right by end. */
  forEachMatch(text: string, onMatch: (pattern: number, start: number, end: number) => void): void {
    let node = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      for (;;) {
        const next = this.child(node, c);
        if (next >= 0) {
          node = next;
          break;
        }
        if (node === 0) break;
        node = this.fail[node];
      }
      let out = this.outStart[node] < this.outStart[node + 1] ? node : this.dictLink[node];
      while (out > 0) {
        for (let k = this.outStart[out]; k < this.outStart[out + 1]; k++) {
          const p = this.outPattern[k];
          onMatch(p, i + 1 - this.patternLength[p], i + 1);
        }
        out = this.dictLink[out];
      }
    }
  }

  private child(node: number, c: number): number {
    let lo = this.edgeStart[node];
    let hi = this.edgeStart[node + 1] - 1;
    if (hi - lo < 8) {
      for (let k = lo; k <= hi; k++) if (this.edgeChar[k] === c) return this.edgeTarget[k];
      return -1;
    }
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.edgeChar[mid];
      if (m === c) return this.edgeTarget[mid];
      if (m < c) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}
