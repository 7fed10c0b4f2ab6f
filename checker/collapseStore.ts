// Exact state storage by components (SPIN calls this COLLAPSE): each task's block and stack is
// stored once in a table of its own, and a state is kept as its globals plus one index per task.
import { hashState, MAX_CHOICE, rehashPairs, StateStore, type StateStoreLike } from "./stateStore";

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
  private readonly head: number;
  private readonly vec: Int32Array;
  /**
   * The state last read (the caller's buffer: callers must not change it while they insert
   * its successors) and its stored vector: successors are compared with it.
   */
  private lastFull: Int32Array;
  private readonly lastVec: Int32Array;
  private haveLast = false;

  constructor(
    readonly words: number,
    private readonly components: ReadonlyArray<readonly [number, number]>,
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
    this.main = new StateStore(this.head + components.length);
    this.vec = new Int32Array(this.head + components.length);
    this.lastFull = new Int32Array(words);
    this.lastVec = new Int32Array(this.head + components.length);
  }

  get size(): number {
    return this.main.size;
  }

  insert(state: Int32Array, parent: number, choice: number, depth: number, dirty = -1): number {
    if (choice > MAX_CHOICE) throw new RangeError(`choice ${choice} is outside 0..${MAX_CHOICE}`);
    const vec = this.vec;
    const head = this.head;
    for (let k = 0; k < head; k++) vec[k] = state[k]!;
    const comps = this.components;
    const last = this.lastFull;
    for (let c = 0; c < comps.length; c++) {
      const range = comps[c]!;
      const s = range[0];
      const e = range[1];
      // Bit c + 1 clear: the step wrote nothing there, the parent's index stands.
      if (this.haveLast && (dirty & (1 << (c + 1))) === 0 && c < 30) {
        vec[head + c] = this.lastVec[head + c]!;
        continue;
      }
      if (this.haveLast) {
        let k = s;
        while (k < e && state[k] === last[k]) k++;
        if (k === e) {
          vec[head + c] = this.lastVec[head + c]!;
          continue;
        }
      }
      vec[head + c] = this.tables[c]!.insert(state, s);
    }
    return this.main.insert(vec, parent, choice, depth);
  }

  /**
   * Copies state `index` into `out` and remembers it as the parent of the next inserts; `out`
   * must keep that state until the next `read`.
   */
  read(index: number, out: Int32Array): void {
    const vec = this.lastVec;
    this.main.read(index, vec);
    const head = this.head;
    for (let k = 0; k < head; k++) out[k] = vec[k]!;
    const comps = this.components;
    for (let c = 0; c < comps.length; c++) this.tables[c]!.read(vec[head + c]!, out, comps[c]![0]);
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
