// The explored state graph in compact typed arrays, its strongly connected components and bottom SCCs.

/** A graph over states 0 .. n − 1 in compressed sparse rows: the successors of v are
 * `targets[offsets[v] .. offsets[v + 1])`. */
export interface Csr {
  offsets: Int32Array;
  targets: Int32Array;
}

function grown(array: Int32Array, needed: number, fill: number): Int32Array {
  let length = Math.max(array.length, 16);
  while (length < needed) length *= 2;
  if (length === array.length) return array;
  const next = new Int32Array(length);
  next.set(array);
  if (fill !== 0) next.fill(fill, array.length);
  return next;
}

/**
 * Successor edges of the explored graph, recorded as the explorer expands states in any order: each
 * expanded state's successors are appended as one run. A state never expanded (the search stopped
 * first) is told apart from a terminal one (expanded, no successors) by `expanded`. Memory: 4 bytes per
 * edge plus 8 bytes per state, each up to 2× while growing.
 */
export class EdgeStore {
  /** All runs, back to back in the order they were added. */
  private runs: Int32Array = new Int32Array(0);
  private edges = 0;
  /** invariant: runStart[v] = −1 iff v was never expanded; else its run is runs[runStart[v] .. + runCount[v]). */
  private runStart: Int32Array = new Int32Array(0);
  private runCount: Int32Array = new Int32Array(0);
  private expandedStates = 0;
  /** True while runs were added for states 0, 1, 2, … in order (BFS does), so the runs already are CSR. */
  private inOrder = true;

  /** Records that state `from` has these successors: `targets[offset .. offset + count)`. Once per expanded state. */
  addRun(from: number, targets: Int32Array, count: number, offset = 0): void {
    if (!(from >= 0 && from <= 0x7ffffffe && Number.isInteger(from)))
      throw new RangeError(`bad state ${from}`);
    if (!(count >= 0 && offset >= 0 && offset + count <= targets.length))
      throw new RangeError(`bad successor count ${count}`);
    if (from >= this.runStart.length) {
      this.runStart = grown(this.runStart, from + 1, -1);
      this.runCount = grown(this.runCount, from + 1, 0);
    }
    if (this.runStart[from] !== -1) throw new Error(`state ${from} was expanded twice`);
    if (this.edges + count > 0x7fffffff) throw new RangeError("too many edges for an Int32 offset");
    if (this.edges + count > this.runs.length) this.runs = grown(this.runs, this.edges + count, 0);
    const runs = this.runs;
    let e = this.edges;
    for (let k = offset; k < offset + count; k++) {
      const t = targets[k]!;
      if (t < 0) throw new RangeError(`bad successor ${t} of state ${from}`);
      runs[e++] = t;
    }
    this.runStart[from] = this.edges;
    this.runCount[from] = count;
    this.edges = e;
    if (from !== this.expandedStates) this.inOrder = false;
    this.expandedStates++;
  }

  /** Whether state `v` was expanded (its successors recorded, possibly none). */
  expanded(v: number): boolean {
    return v >= 0 && v < this.runStart.length && this.runStart[v] !== -1;
  }

  /** Number of expanded states. */
  get expandedCount(): number {
    return this.expandedStates;
  }

  /** Number of recorded edges. */
  get edgeCount(): number {
    return this.edges;
  }

  /** Number of successor edges of `v` (0 if it was never expanded or is terminal). */
  successorCount(v: number): number {
    return this.expanded(v) ? this.runCount[v]! : 0;
  }

  /** Position of `v`'s first successor for `target` (meaningful only when successorCount(v) > 0). */
  successorStart(v: number): number {
    return this.expanded(v) ? this.runStart[v]! : 0;
  }

  /** The successor at position `k` (from `successorStart(v) + i`, i < successorCount(v)). */
  target(k: number): number {
    if (!(k >= 0 && k < this.edges)) throw new RangeError(`no edge at ${k}`);
    return this.runs[k]!;
  }

  /**
   * The graph over states 0 .. n − 1 as CSR; a state never expanded has no successors there (check
   * `expandedCount === n` before trusting bottom components). Throws if a state ≥ n was expanded or an
   * edge leads to a state ≥ n. When runs were added in index order (BFS), `targets` shares this store's
   * memory instead of copying it; runs are append-only, so the result stays valid after more `addRun`s.
   */
  freeze(n: number): Csr {
    if (!(n >= 0 && Number.isInteger(n))) throw new RangeError(`bad state count ${n}`);
    if (this.expandedStates > 0 && this.runStart.length > n) {
      for (let v = n; v < this.runStart.length; v++) {
        if (this.runStart[v] !== -1)
          throw new RangeError(`state ${v} was expanded but the graph has ${n} states`);
      }
    }
    const runs = this.runs;
    for (let e = 0; e < this.edges; e++) {
      if (runs[e]! >= n) throw new RangeError(`an edge leads to state ${runs[e]}, outside 0..${n - 1}`);
    }
    const offsets = new Int32Array(n + 1);
    const known = Math.min(n, this.runStart.length);
    if (this.inOrder) {
      // Runs of 0 .. expandedCount − 1 lie back to back, in index order: they already are the targets.
      for (let v = 0; v < this.expandedStates; v++) offsets[v] = this.runStart[v]!;
      offsets.fill(this.edges, this.expandedStates);
      return { offsets, targets: runs.subarray(0, this.edges) };
    }
    let total = 0;
    for (let v = 0; v < n; v++) {
      offsets[v] = total;
      if (v < known && this.runStart[v] !== -1) total += this.runCount[v]!;
    }
    offsets[n] = total;
    const targets = new Int32Array(total);
    for (let v = 0; v < known; v++) {
      const start = this.runStart[v]!;
      if (start === -1) continue;
      const end = start + this.runCount[v]!;
      let out = offsets[v]!;
      for (let e = start; e < end; e++) targets[out++] = runs[e]!;
    }
    return { offsets, targets };
  }

  /** Bytes held by the edge store's typed arrays. */
  bytes(): number {
    return this.runs.byteLength + this.runStart.byteLength + this.runCount.byteLength;
  }
}

function checkCsr(n: number, offsets: Int32Array, targets: Int32Array): void {
  if (!(n >= 0 && Number.isInteger(n))) throw new RangeError(`bad state count ${n}`);
  if (offsets.length < n + 1) throw new RangeError(`offsets has ${offsets.length} entries, needs ${n + 1}`);
  if (offsets[0] !== 0 || offsets[n]! > targets.length) throw new RangeError("offsets do not span targets");
  for (let v = 0; v < n; v++) {
    if (offsets[v + 1]! < offsets[v]!) throw new RangeError(`offsets decrease at state ${v}`);
  }
  const edges = offsets[n]!;
  for (let e = 0; e < edges; e++) {
    const t = targets[e]!;
    if (!(t >= 0 && t < n)) throw new RangeError(`an edge leads to state ${t}, outside 0..${n - 1}`);
  }
}

/**
 * Strongly connected components of the CSR graph over states 0 .. n − 1, by Tarjan's algorithm with an
 * explicit stack (no recursion: graphs of millions of states). `component[v]` is v's component id in
 * 0 .. count − 1. Ids come out in reverse topological order: an edge between different components goes
 * from a higher id to a lower one. Memory: 20 bytes per state besides the result.
 */
export function stronglyConnected(
  n: number,
  offsets: Int32Array,
  targets: Int32Array,
): { component: Int32Array; count: number } {
  checkCsr(n, offsets, targets);
  // Per state, side by side so that looking at an edge's target touches one cache line:
  // info[2v] = discovery number (−1 while unvisited); info[2v + 1] = low link while v is on the
  // Tarjan stack, and −(component + 2) once v's component is found (so no on-stack flag array).
  const info = new Int32Array(2 * n).fill(-1);
  const stack = new Int32Array(n);
  let stackTop = 0;
  // The explicit call stack: a state being searched and the next of its edges to look at.
  const callState = new Int32Array(n);
  const callEdge = new Int32Array(n);
  let discovered = 0;
  let count = 0;
  for (let root = 0; root < n; root++) {
    if (info[2 * root] !== -1) continue;
    info[2 * root] = info[2 * root + 1] = discovered++;
    stack[stackTop++] = root;
    callState[0] = root;
    callEdge[0] = offsets[root]!;
    let depth = 1;
    while (depth > 0) {
      const v = callState[depth - 1]!;
      let e = callEdge[depth - 1]!;
      const end = offsets[v + 1]!;
      let descended = false;
      while (e < end) {
        const w = targets[e++]!;
        const ow = info[2 * w]!;
        if (ow === -1) {
          callEdge[depth - 1] = e;
          info[2 * w] = info[2 * w + 1] = discovered++;
          stack[stackTop++] = w;
          callState[depth] = w;
          callEdge[depth] = offsets[w]!;
          depth++;
          descended = true;
          break;
        }
        // w still on the stack (low link ≥ 0): v reaches back to w's discovery.
        if (info[2 * w + 1]! >= 0 && ow < info[2 * v + 1]!) info[2 * v + 1] = ow;
      }
      if (descended) continue;
      // v's edges are all seen: it roots a component iff nothing in its subtree reaches above it.
      depth--;
      const lowV = info[2 * v + 1]!;
      if (lowV === info[2 * v]) {
        let w: number;
        do {
          w = stack[--stackTop]!;
          info[2 * w + 1] = -(count + 2);
        } while (w !== v);
        count++;
      } else if (depth > 0) {
        const u = callState[depth - 1]!;
        if (lowV < info[2 * u + 1]!) info[2 * u + 1] = lowV;
      }
    }
  }
  const component = new Int32Array(n);
  for (let v = 0; v < n; v++) component[v] = -info[2 * v + 1]! - 2;
  return { component, count };
}

/**
 * The bottom strongly connected components of the CSR graph over states 0 .. n − 1: those no edge
 * leaves. A state without successors is a bottom component of its own, so call this only on a complete
 * search (every state expanded; see `EdgeStore.expanded`). `bottom` lists component ids ascending.
 */
export function bottomComponents(
  n: number,
  offsets: Int32Array,
  targets: Int32Array,
): { component: Int32Array; count: number; bottom: number[] } {
  const { component, count } = stronglyConnected(n, offsets, targets);
  const leaves = new Uint8Array(count);
  for (let v = 0; v < n; v++) {
    const c = component[v]!;
    if (leaves[c] === 1) continue;
    const end = offsets[v + 1]!;
    for (let e = offsets[v]!; e < end; e++) {
      if (component[targets[e]!] !== c) {
        leaves[c] = 1;
        break;
      }
    }
  }
  const bottom: number[] = [];
  for (let c = 0; c < count; c++) if (leaves[c] === 0) bottom.push(c);
  return { component, count, bottom };
}

/**
 * For every state v, the union of `marks` over the states reachable from v (v included): the
 * least solution of can[v] = marks[v] | can[w] for each edge v → w. Solved by sweeps over the
 * states from the last to the first, until a sweep changes nothing. States found by BFS mostly
 * have edges to later states, so a sweep in that order carries a mark along most paths at once
 * and few sweeps are needed. Returns null when `maxSweeps` sweeps did not reach the fixpoint
 * (the caller then needs another method). `full` is the union of all bits: a state that has them
 * all is not looked at again.
 */
export function reachableMarks(
  n: number,
  offsets: Int32Array,
  targets: Int32Array,
  marks: Int32Array,
  full: number,
  maxSweeps: number,
): Int32Array | null {
  checkCsr(n, offsets, targets);
  const can = marks.slice(0, n);
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let changed = false;
    for (let v = n - 1; v >= 0; v--) {
      let m = can[v]!;
      if (m === full) continue;
      const end = offsets[v + 1]!;
      for (let e = offsets[v]!; e < end; e++) m |= can[targets[e]!]!;
      if (m !== can[v]) {
        can[v] = m;
        changed = true;
      }
    }
    if (!changed) return can;
  }
  return null;
}
