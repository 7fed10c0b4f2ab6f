// Exact state storage by components (SPIN calls this COLLAPSE): each task's block and stack is
// stored once in a table of its own, and a state is kept as its globals plus one index per task.
import { hashState, MAX_CHOICE, rehashPairs, StateStore, type StateStoreLike } from "./stateStore";

/**
 * Words a step wrote into one component (pairs address, value), and what that makes of each
 * vector the component may hold: after[old] = 1 + the index of old with the writes applied (0:
 * not yet known). See CollapseStore.stageDelta and StepMemo.
 */
export interface BlockWrites {
  readonly comp: number;
  readonly writes: Int32Array;
  after: Int32Array;
}

/** Successors remembered per component vector (see ComponentTable.insertAfter). */
const GUESSES = 4;

/** A set of fixed-width word vectors, each stored once; `insert` returns a vector's index. */
class ComponentTable {
  private arena: Int32Array;
  /** Pairs (index + 1, hash); 0 marks an empty slot. */
  private table: Int32Array;
  private slotMask: number;
  count = 0;

  constructor(readonly width: number) {
    this.arena = new Int32Array(Math.max(16, width * 64));
    this.table = new Int32Array(256 * 2);
    this.slotMask = 255;
  }

  /** Index of the vector src[offset .. offset + width), added if new. */
  insert(src: Int32Array, offset: number): number {
    const w = this.width;
    const h = hashState(src, offset, w, 0x3c6ef372);
    const table = this.table;
    const arena = this.arena;
    let slot = h & this.slotMask;
    for (;;) {
      const p = slot << 1;
      const entry = table[p]!;
      if (entry === 0) break;
      if (table[p + 1] === h) {
        const base = (entry - 1) * w;
        let k = 0;
        while (k < w && arena[base + k] === src[offset + k]) k++;
        if (k === w) return entry - 1;
      }
      slot = (slot + 1) & this.slotMask;
    }
    const index = this.count;
    if ((index + 1) * w > this.arena.length) {
      const grown = new Int32Array(this.arena.length * 2);
      grown.set(this.arena);
      this.arena = grown;
    }
    this.arena.set(src.subarray(offset, offset + w), index * w);
    table[slot << 1] = index + 1;
    table[(slot << 1) + 1] = h;
    this.count = index + 1;
    if (this.count * 4 > (this.slotMask + 1) * 3) this.grow();
    return index;
  }

  /**
   * `insert`, given that the vector came from vector `from` by one step. The table remembers,
   * per vector, the last GUESSES vectors steps from it led to: a task's step depends mostly on
   * its own block, so one of them is usually right (99.6% of lookups in down-up at N = 5 with
   * four guesses, 85% with one, as measured), and checking a guess is a compare, without hashing or probing.
   */
  insertAfter(from: number, src: Int32Array, offset: number): number {
    const w = this.width;
    const arena = this.arena;
    const next = this.next;
    const at = from * GUESSES;
    if (at < next.length) {
      for (let j = 0; j < GUESSES; j++) {
        const guess = next[at + j]!;
        if (guess === 0) break;
        const base = (guess - 1) * w;
        let k = 0;
        while (k < w && arena[base + k] === src[offset + k]) k++;
        if (k === w) return guess - 1;
      }
    }
    const index = this.insert(src, offset);
    if (at >= this.next.length) {
      const grown = new Int32Array(Math.max(64, this.next.length * 2, at + GUESSES));
      grown.set(this.next);
      this.next = grown;
    }
    // The newest guess first; the oldest drops out.
    this.next.copyWithin(at + 1, at, at + GUESSES - 1);
    this.next[at] = index + 1;
    return index;
  }

  /**
   * next[v * GUESSES + j] = 1 + a vector steps from vector v led to, newest first (0: none).
   */
  private next = new Int32Array(64);

  /** Copies vector `index` into out[offset ..]. */
  read(index: number, out: Int32Array, offset: number): void {
    const w = this.width;
    const arena = this.arena;
    const base = index * w;
    // A plain loop: subarray() would allocate a view per component per state.
    for (let k = 0; k < w; k++) out[offset + k] = arena[base + k]!;
  }

  bytes(): number {
    return this.arena.byteLength + this.table.byteLength;
  }

  private grow(): void {
    const slots = (this.slotMask + 1) * 2;
    this.table = rehashPairs(this.table, slots);
    this.slotMask = slots - 1;
  }
}

/**
 * The same contract as StateStore (insert, read, parent, choice, depth, size, bytes), storing
 * a state as [words before the first component, one index per component]. Components are
 * word ranges [start, end) that tile the rest of the state in order. A task's block changes
 * only when that task steps (or is woken), so most components of a successor are equal to
 * its parent's and are not hashed again: `insert` compares them with the state last `read`.
 */
export class CollapseStore implements StateStoreLike {
  private readonly main: StateStore;
  private readonly tables: ComponentTable[];
  /** Words before the first component (the globals), kept as they are in a stored vector. */
  readonly head: number;
  private readonly vec: Int32Array;
  /**
   * The state last read (the caller's buffer: callers must not change it while they insert
   * its successors) and its stored vector: successors are compared with it.
   */
  private lastFull: Int32Array;
  private lastVec: Int32Array;
  /** The stored vector of the state read before the last one (`read` swaps the two). */
  private prevVec: Int32Array;
  private haveLast = false;

  constructor(
    readonly words: number,
    readonly components: ReadonlyArray<readonly [number, number]>,
  ) {
    this.head = components.length > 0 ? (components[0] as readonly [number, number])[0] : words;
    let at = this.head;
    for (const [s, e] of components) {
      if (s !== at || e <= s)
        throw new RangeError(`components must tile the state in order: [${s}, ${e}) after ${at}`);
      at = e;
    }
    if (at !== words) throw new RangeError(`components end at ${at}, the state has ${words} words`);
    this.tables = components.map(([s, e]) => new ComponentTable(e - s));
    this.main = new StateStore(this.head + components.length, { packed: true });
    this.vec = new Int32Array(this.head + components.length);
    this.lastFull = new Int32Array(words);
    this.lastVec = new Int32Array(this.head + components.length);
    this.prevVec = new Int32Array(this.head + components.length);
    this.blockBuf = new Int32Array(words);
  }

  get size(): number {
    return this.main.size;
  }

  insert(state: Int32Array, parent: number, choice: number, depth: number, dirty = -1): number {
    if (choice > MAX_CHOICE) throw new RangeError(`choice ${choice} is outside 0..${MAX_CHOICE}`);
    this.collapse(state, dirty, this.vec, 0);
    return this.main.insert(this.vec, parent, choice, depth);
  }

  stage(state: Int32Array, choice: number, dirty = -1): void {
    const at = this.main.reserve();
    this.collapse(state, dirty, this.main.stagedWords, at);
    this.main.seal(choice);
  }

  /**
   * Stages a successor given as the stored vector of the state last read with some words
   * replaced: `delta` holds pairs (offset in the vector, value), and each of `blocks` gives
   * words written into a component, whose new index depends on what it holds now. See StepMemo.
   */
  stageDelta(delta: Int32Array, blocks: readonly BlockWrites[], choice: number): void {
    const at = this.main.reserve();
    const vec = this.main.stagedWords;
    const last = this.lastVec;
    for (let k = 0; k < last.length; k++) vec[at + k] = last[k]!;
    for (let j = 0; j < delta.length; j += 2) vec[at + delta[j]!] = delta[j + 1]!;
    for (let b = 0; b < blocks.length; b++) {
      const w = blocks[b]!;
      const p = at + this.head + w.comp;
      const old = vec[p]!;
      const known = old < w.after.length ? w.after[old]! : 0;
      vec[p] = known !== 0 ? known - 1 : this.blockAfter(w, old);
    }
    this.main.seal(choice);
  }

  /** The index of component `w.comp`'s vector `old` with `w.writes` applied (and remembered). */
  private blockAfter(w: BlockWrites, old: number): number {
    const buf = this.blockBuf;
    this.tables[w.comp]!.read(old, buf, this.components[w.comp]![0]);
    for (let j = 0; j < w.writes.length; j += 2) buf[w.writes[j]!] = w.writes[j + 1]!;
    const index = this.tables[w.comp]!.insertAfter(old, buf, this.components[w.comp]![0]);
    if (old >= w.after.length) {
      const grown = new Int32Array(Math.max(16, 2 * old + 2));
      grown.set(w.after);
      w.after = grown;
    }
    w.after[old] = index + 1;
    return index;
  }

  /** Scratch for blockAfter, a whole state long so that components sit at their own addresses. */
  private readonly blockBuf: Int32Array;

  /** The stored vector of the state last read (valid until the next read). */
  get readVector(): Int32Array {
    return this.lastVec;
  }

  /** The staged stored vectors, one after another (see lastStagedAt). */
  get stagedVectors(): Int32Array {
    return this.main.stagedWords;
  }

  /** The number of states staged since the last commit. */
  get stagedCount(): number {
    return this.main.stagedCount;
  }

  /** Offset in stagedVectors of the vector staged last. */
  lastStagedAt(): number {
    return (this.main.stagedCount - 1) * this.main.words;
  }

  from(parent: number, depth: number): void {
    this.main.from(parent, depth);
  }

  commit(results: Int32Array): number {
    return this.main.commit(results);
  }

  /** Writes `state`'s stored vector into vec[at ..], adding new components to their tables. */
  private collapse(state: Int32Array, dirty: number, vec: Int32Array, at: number): void {
    const head = this.head;
    for (let k = 0; k < head; k++) vec[at + k] = state[k]!;
    const comps = this.components;
    const last = this.lastFull;
    for (let c = 0; c < comps.length; c++) {
      const range = comps[c]!;
      const s = range[0];
      const e = range[1];
      // Bit c + 1 clear: the step wrote nothing there, the parent's index stands.
      if (this.haveLast && (dirty & (1 << (c + 1))) === 0 && c < 30) {
        vec[at + head + c] = this.lastVec[head + c]!;
        continue;
      }
      if (this.haveLast) {
        let k = s;
        while (k < e && state[k] === last[k]) k++;
        if (k === e) {
          vec[at + head + c] = this.lastVec[head + c]!;
          continue;
        }
      }
      vec[at + head + c] = this.haveLast
        ? this.tables[c]!.insertAfter(this.lastVec[head + c]!, state, s)
        : this.tables[c]!.insert(state, s);
    }
  }

  /**
   * Copies state `index` into `out` and remembers it as the parent of the next inserts; `out`
   * must keep that state until the next `read`.
   */
  read(index: number, out: Int32Array): void {
    const head = this.head;
    // A component whose index equals that of the state last read into the same buffer is
    // already there (callers do not change the buffer between reads: see lastFull). The two
    // vectors swap roles, so the previous one is kept without a copy.
    const same = this.haveLast && out === this.lastFull;
    const prev = this.lastVec;
    const vec = this.prevVec;
    this.lastVec = vec;
    this.prevVec = prev;
    this.main.read(index, vec);
    for (let k = 0; k < head; k++) out[k] = vec[k]!;
    const comps = this.components;
    for (let c = 0; c < comps.length; c++) {
      const ci = vec[head + c]!;
      if (same && prev[head + c] === ci) continue;
      this.tables[c]!.read(ci, out, comps[c]![0]);
    }
    // The caller's buffer itself is the reference for the next inserts (no copy): by contract
    // it holds this state until the caller reads the next one.
    this.lastFull = out;
    this.haveLast = true;
  }

  parent(index: number): number {
    return this.main.parent(index);
  }

  choice(index: number): number {
    return this.main.choice(index);
  }

  depth(index: number): number {
    return this.main.depth(index);
  }

  bytes(): number {
    let b = this.main.bytes();
    for (const t of this.tables) b += t.bytes();
    return b;
  }

  /** Index, in component c's table, of state `index`'s component c (no full read). */
  componentOf(index: number, c: number): number {
    return this.main.chunk(index)[this.main.offset(index) + this.head + c]!;
  }

  /** Writes vector `compIndex` of component c into `out` at the component's own position. */
  readComponent(c: number, compIndex: number, out: Int32Array): void {
    this.tables[c]!.read(compIndex, out, this.components[c]![0]);
  }

  /** Distinct vectors per component, for reports and tests. */
  componentCounts(): number[] {
    return this.tables.map((t) => t.count);
  }
}
