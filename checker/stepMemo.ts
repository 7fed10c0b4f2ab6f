// Step memo: what a task's step does, remembered by the task's block index in the collapsed
// state and the words it reads, so that a step seen before is not run, restored and
// collapsed again.
//
// Why it is exact. A step is a deterministic function of the memory it reads. The stepping
// task's own block (task_struct and stack) is named by one index in the stored vector. Every
// other word the step reads before writing it (a global, or a word of another task's block,
// such as a wait-queue entry on a sleeper's stack) is noted with its value, in the order the
// step first reads it. Another state whose own block has the same index and that holds the
// same values at those words runs the step identically: up to the k-th noted read nothing
// differs, so the k-th address is the same, and so on. Its successor is the parent with the
// same words written: the new own block (one index), the written globals (values, whether
// or not they changed in the recorded run), and for another task's block the written words
// applied to whatever that block holds in this state (see CollapseStore.stageDelta).
//
// The noted reads of one task's recorded steps form a tree per (slot, own block index): a
// node names the next word to compare, its children are keyed by the value found there, and
// a leaf holds the outcome. A lookup walks that tree; nothing is run, hashed or copied.
//
// Steps that fault, or that need `choose` values, are not remembered (their leaf says to run
// them as before); a store without component indices (the plain store) gets no memo.
import type { BlockWrites, CollapseStore } from "./collapseStore";
import { MOVED, PRUNED } from "./compile";

/** Outcomes kept in a leaf. */
export const MEMO_MOVED = MOVED;
export const MEMO_PRUNED = PRUNED;
/** The step makes no successor (blocked, or a handler that did not fire). */
export const MEMO_NONE = 0;
/** The step is run every time (it faults or needs choose values). */
export const MEMO_RUN = -1;

/** Nodes kept at most; beyond this no new step is recorded (lookups go on). */
const MAX_NODES = 1 << 20;
/** Values a branch may tell apart; a step that would add one more is not recorded. */
const MAX_FANOUT = 64;
/** Recordings allowed before any answer, and answers that pay for each one after (see `open`). */
const FREE_RECORDS = 256;
const ANSWERS_PER_RECORD = 32;
/** A node's heap size, roughly (object, two small arrays), for `bytes`: an estimate. */
const NODE_BYTES = 160;

const NO_WORDS = new Int32Array(0);

/**
 * A node of the tree of one (slot, own block index), path-compressed: `checks` are reads that
 * must all find their recorded values (most steps read a chain of words without branching),
 * then a leaf ends the walk or the value at `at` picks a child. See the file comment.
 */
export class MemoNode {
  /** Pairs (address, value), in the order the step read them. */
  checks: Int32Array = NO_WORDS;
  /** −1 for a leaf; else the address whose value picks the child. */
  at = -1;
  /** Children by that value (parallel arrays; trees are narrow). */
  keys: number[] = [];
  kids: MemoNode[] = [];
  /** For a leaf: */
  outcome = MEMO_RUN;
  /** Pairs (offset in the stored vector, value): the written globals and the new own index. */
  delta: Int32Array = NO_WORDS;
  /** Words written in other tasks' blocks. */
  blocks: BlockWrites[] = [];

  /** Moves everything after the checks (branch or leaf) to `to`, leaving this a bare leaf. */
  moveTail(to: MemoNode): void {
    to.at = this.at;
    to.keys = this.keys;
    to.kids = this.kids;
    to.outcome = this.outcome;
    to.delta = this.delta;
    to.blocks = this.blocks;
    this.at = -1;
    this.keys = [];
    this.kids = [];
    this.outcome = MEMO_RUN;
    this.delta = NO_WORDS;
    this.blocks = [];
  }
}

export class StepMemo {
  /** roots[slot][own block index]. */
  private readonly roots: Array<Array<MemoNode | undefined>>;
  /** compOf[address] = the component (task block) holding it, or −1 for a global. */
  private readonly compOf: Int32Array;
  private readonly head: number;
  private nodes = 0;
  /** Bytes of the leaves' typed arrays. */
  private leafBytes = 0;
  /** Steps answered (the bench reports them) and steps recorded (which answers must pay for). */
  hits = 0;
  records = 0;

  // Recording state: the own block's range, the parent state, the reads noted so far (pairs
  // address, value), and the words written outside the own block.
  private ownStart = 0;
  private ownEnd = 0;
  private parent: Int32Array = NO_WORDS;
  private reads: number[] = [];
  private writes: number[] = [];
  /** touched[a]: 1 once a is read or written in this step, 2 once written. */
  private readonly touched: Uint8Array;
  /** The store's staged count when the recording began (a recorded successor adds one). */
  private stagedBefore = 0;
  private proxyTarget: Int32Array | null = null;
  private proxy: Int32Array | null = null;

  constructor(private readonly store: CollapseStore) {
    this.head = store.head;
    this.roots = store.components.map(() => []);
    this.compOf = new Int32Array(store.words).fill(-1);
    store.components.forEach(([s, e], c) => {
      this.compOf.fill(c, s, e);
    });
    this.touched = new Uint8Array(store.words);
  }

  /**
   * The leaf for slot `slot` stepping from `state`, the state last read from the store, or
   * null when no equal step was recorded.
   */
  find(slot: number, state: Int32Array): MemoNode | null {
    let node = this.roots[slot]![this.store.readVector[this.head + slot]!];
    while (node !== undefined) {
      const checks = node.checks;
      for (let j = 0; j < checks.length; j += 2) if (state[checks[j]!] !== checks[j + 1]) return null;
      if (node.at < 0) {
        if (node.outcome !== MEMO_RUN) this.hits++;
        return node;
      }
      const v = state[node.at]!;
      const keys = node.keys;
      let j = 0;
      while (j < keys.length && keys[j] !== v) j++;
      if (j === keys.length) return null;
      node = node.kids[j];
    }
    return null;
  }

  /**
   * True while the memo takes new records. A recording costs as much as some hundred plain
   * steps (it runs on a Proxy), so recordings must be paid for by answers: beyond the first
   * FREE_RECORDS, one more per ANSWERS_PER_RECORD steps answered. A spec whose steps rarely
   * repeat (a counter read by every step) then runs its steps plainly instead of recording
   * each one; recording resumes when answers have caught up.
   */
  get open(): boolean {
    return this.nodes < MAX_NODES && this.records < FREE_RECORDS + this.hits / ANSWERS_PER_RECORD;
  }

  /**
   * Starts recording slot `slot`'s step from `state`, the state last read from the store:
   * returns a stand-in for `scratch` (which must equal `state`) that notes what the step reads
   * and writes. The caller runs the step on it, then calls `finish` before restoring scratch.
   */
  recording(slot: number, state: Int32Array, scratch: Int32Array): Int32Array {
    const [s, e] = this.store.components[slot]!;
    this.ownStart = s;
    this.ownEnd = e;
    this.parent = state;
    this.stagedBefore = this.store.stagedCount;
    for (let j = 0; j < this.reads.length; j += 2) this.touched[this.reads[j]!] = 0;
    for (const a of this.writes) this.touched[a] = 0;
    this.reads = [];
    this.writes = [];
    if (this.proxyTarget !== scratch) {
      this.proxyTarget = scratch;
      this.proxy = this.makeProxy(scratch);
    }
    return this.proxy as Int32Array;
  }

  /** Notes a read of address `a`: keyed by its parent value unless the step wrote it first. */
  private noteRead(a: number): void {
    if ((a >= this.ownStart && a < this.ownEnd) || this.touched[a] !== 0) return;
    this.touched[a] = 1;
    this.reads.push(a, this.parent[a]!);
  }

  private noteWrite(a: number): void {
    if ((a >= this.ownStart && a < this.ownEnd) || this.touched[a] === 2) return;
    this.touched[a] = 2;
    this.writes.push(a);
  }

  /**
   * A Proxy over the scratch state whose element reads and writes, and fill(), note their
   * addresses. Only recording runs use it, through a separate copy of the compiled step, so
   * the hot one stays specialised to plain Int32Arrays.
   */
  private makeProxy(target: Int32Array): Int32Array {
    const memo = this;
    const index = (k: string | symbol): number => {
      if (typeof k !== "string") return -1;
      const c = k.charCodeAt(0);
      if (c < 48 || c > 57) return -1;
      const a = Number(k);
      return Number.isInteger(a) && a < target.length ? a : -1;
    };
    const fill = (v: number, from: number, to: number): Int32Array => {
      for (let a = from; a < to; a++) memo.noteWrite(a);
      target.fill(v, from, to);
      return target;
    };
    return new Proxy(target, {
      get(t, k) {
        const a = index(k);
        if (a >= 0) {
          memo.noteRead(a);
          return t[a];
        }
        if (k === "fill") return fill;
        return Reflect.get(t, k);
      },
      set(t, k, v) {
        const a = index(k);
        // Elsewhere, as on the Int32Array itself (dereferences are checked, so none comes here).
        if (a < 0) return Reflect.set(t, k, v);
        memo.noteWrite(a);
        t[a] = v;
        return true;
      },
    });
  }

  /**
   * Ends a recording with the step's outcome. For MEMO_MOVED, `next` is the successor's full
   * state and the store has just staged it (its own block index is taken from there).
   */
  finish(slot: number, outcome: number, next: Int32Array): void {
    if (!this.open) return;
    // A successor the sink refused to stage (too many choices) is run again next time.
    if (outcome === MEMO_MOVED && this.store.stagedCount !== this.stagedBefore + 1) outcome = MEMO_RUN;
    this.records++;
    const node = this.newLeaf(slot);
    if (node === null) return;
    node.outcome = outcome;
    if (outcome !== MEMO_MOVED) return;
    const delta: number[] = [];
    const byBlock = new Map<number, number[]>();
    for (const a of this.writes) {
      const c = this.compOf[a]!;
      if (c < 0) delta.push(a, next[a]!);
      else {
        const w = byBlock.get(c) ?? [];
        w.push(a, next[a]!);
        byBlock.set(c, w);
      }
    }
    const staged = this.store.stagedVectors;
    delta.push(this.head + slot, staged[this.store.lastStagedAt() + this.head + slot]!);
    node.delta = Int32Array.from(delta);
    node.blocks = [...byBlock].map(([comp, w]) => ({ comp, writes: Int32Array.from(w), after: NO_WORDS }));
    this.leafBytes += node.delta.byteLength + node.checks.byteLength;
    for (const w of node.blocks) this.leafBytes += w.writes.byteLength + 64;
  }

  /**
   * Adds the path of the reads just recorded under slot `slot`'s root for the own block of the
   * state last read, and returns its new leaf (null when the branch it needs is full). The walk
   * that failed to find this step fails at a check whose value differs (the node splits there)
   * or at a branch without this value (a child is added). Anything else means an equal step
   * read other words: not deterministic.
   */
  private newLeaf(slot: number): MemoNode | null {
    const reads = this.reads;
    const roots = this.roots[slot]!;
    const own = this.store.readVector[this.head + slot]!;
    const leafFrom = (p: number): MemoNode => {
      const leaf = new MemoNode();
      leaf.checks = Int32Array.from(reads.slice(p));
      this.nodes++;
      return leaf;
    };
    const fail = (what: string): never => {
      throw new Error(
        `step memo: slot ${slot} ${what} than an equal step recorded before: the step is not deterministic`,
      );
    };
    let node = roots[own];
    if (node === undefined) {
      node = leafFrom(0);
      roots[own] = node;
      return node;
    }
    let p = 0;
    for (;;) {
      const checks = node.checks;
      let j = 0;
      for (; j < checks.length; j += 2) {
        if (p + j >= reads.length || reads[p + j] !== checks[j]) fail("read other words");
        if (reads[p + j + 1] !== checks[j + 1]) break;
      }
      if (j < checks.length) {
        // Split: the checks before j stay, the word at j becomes a branch with two children.
        const rest = new MemoNode();
        rest.checks = checks.slice(j + 2);
        node.moveTail(rest);
        this.nodes++;
        const fresh = leafFrom(p + j + 2);
        node.checks = checks.slice(0, j);
        node.at = checks[j]!;
        node.keys = [checks[j + 1]!, reads[p + j + 1]!];
        node.kids = [rest, fresh];
        return fresh;
      }
      p += checks.length;
      if (node.at < 0 || p >= reads.length || reads[p] !== node.at) fail("read other words");
      const k = node.keys.indexOf(reads[p + 1]!);
      if (k < 0) {
        // A lookup scans the values of a branch in turn: a word with too many (a counter) is
        // left to plain steps.
        if (node.keys.length >= MAX_FANOUT) return null;
        const fresh = leafFrom(p + 2);
        node.keys.push(reads[p + 1]!);
        node.kids.push(fresh);
        return fresh;
      }
      node = node.kids[k]!;
      p += 2;
    }
  }

  /**
   * Heap bytes held, estimated (nodes are JS objects): nodes and the leaves' write lists. Not
   * counted: each block write's map from old to new index (4 bytes per vector of that block).
   */
  bytes(): number {
    return this.nodes * NODE_BYTES + this.leafBytes;
  }
}
