// Exact-mode state store: states in a chunked Int32Array arena, found through an open-addressing hash table.

import { PackedIndex } from "./packedIndex";

const P1 = 0x9e3779b1 | 0;
const P2 = 0x85ebca77 | 0;
const P3 = 0xc2b2ae3d | 0;
const P4 = 0x27d4eb2f | 0;
const P5 = 0x165667b1 | 0;

/** Seed of the fingerprint the store uses; a second, independent 32 bits come from any other seed. */
export const STATE_HASH_SEED = 0x2545f491;

/**
 * A 32-bit hash of `length` words of `words` from `offset`, well mixed in every bit (four independent
 * multiply-rotate lanes, then a full avalanche). Different seeds give independent hashes, so two calls
 * make a 64-bit fingerprint. Pure and allocation-free; the caller keeps `offset + length` in bounds.
 */
export function hashState(words: Int32Array, offset: number, length: number, seed: number): number {
  let i = offset;
  const end = offset + length;
  let h: number;
  if (length >= 4) {
    // Four lanes carry no dependency on each other, so the CPU overlaps their multiplies.
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    const last = end - 4;
    while (i <= last) {
      v1 = (v1 + Math.imul(words[i]!, P2)) | 0;
      v1 = Math.imul((v1 << 13) | (v1 >>> 19), P1);
      v2 = (v2 + Math.imul(words[i + 1]!, P2)) | 0;
      v2 = Math.imul((v2 << 13) | (v2 >>> 19), P1);
      v3 = (v3 + Math.imul(words[i + 2]!, P2)) | 0;
      v3 = Math.imul((v3 << 13) | (v3 >>> 19), P1);
      v4 = (v4 + Math.imul(words[i + 3]!, P2)) | 0;
      v4 = Math.imul((v4 << 13) | (v4 >>> 19), P1);
      i += 4;
    }
    h =
      (((v1 << 1) | (v1 >>> 31)) +
        ((v2 << 7) | (v2 >>> 25)) +
        ((v3 << 12) | (v3 >>> 20)) +
        ((v4 << 18) | (v4 >>> 14))) |
      0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + length) | 0;
  while (i < end) {
    h = (h + Math.imul(words[i]!, P3)) | 0;
    h = Math.imul((h << 17) | (h >>> 15), P4);
    i++;
  }
  // Avalanche: every input bit reaches every output bit, so the table may use the low bits as the slot.
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h;
}

/** Options of a `StateStore`; the defaults suit millions of states. */
export interface StateStoreOptions {
  /** States held before the table first grows (default 1024); the first chunk starts with room for them. */
  initialCapacity?: number;
  /** Words per arena chunk (default 2^20); a chunk holds a power-of-two number of state records. */
  chunkWords?: number;
  /** For tests: only these bits of the hash are kept (0 makes every state collide). Default: all. */
  hashMask?: number;
  /**
   * Find states through a PackedIndex while the vectors pack into 64 bits (one cache miss per
   * lookup instead of two), and through the hash table once they do not. Default: false.
   */
  packed?: boolean;
}

/** Words kept after a state's words in its record: parent, depth, choice. */
const META = 3;
/** The table grows when it would be fuller than this. */
const MAX_LOAD = 0.75;
/** Largest table (slots); `slot << 1` must stay a positive int32. */
const MAX_SLOTS = 2 ** 29;
/** Largest choice number: choices fit 16 bits so a more compact record stays possible. */
export const MAX_CHOICE = 0xffff;

/**
 * A set of states of `words` Int32 words each, numbered 0, 1, 2, … in insertion order, with each state's
 * parent, choice and depth (so a counterexample is rebuilt as a list of choices).
 *
 * Layout: a state's record is its `words` words followed by parent, depth and choice, kept in arena chunks
 * of a power-of-two number of records (so index → chunk is a shift and a mask, no record straddles two
 * chunks, and growth never copies more than the first chunk, which starts small and doubles until full).
 * The table is one Int32Array of slot pairs (state index + 1, 32-bit hash of the state's words); index 0
 * marks an empty slot. The hash's low bits pick the slot and the whole hash is compared before any word,
 * so a probe reads the arena only for a real match (a false match has odds 2^-32 per probed slot), and a
 * probe sequence stays inside one or two cache lines of the table. The table rehashes from its own stored
 * hashes, never from the words. Power-of-two capacity, linear probing, load ≤ 0.75.
 *
 * Memory per state, all overhead included: 4·(words + 3) bytes of arena plus 10.7–21.3 bytes of table
 * (16–32 with the packed index's slots of three words), plus at most one partly used chunk; within
 * 2·(4·words) for words ≥ 9 (≥ 10 packed).
 */
/** What the explorer needs of a state store; StateStore and CollapseStore both provide it. */
export interface StateStoreLike {
  readonly size: number;
  /** `dirty` (optional): the components that may differ from the state last read. */
  insert(state: Int32Array, parent: number, choice: number, depth: number, dirty?: number): number;
  /** States staged from now on are children of `parent` at `depth` (until the next `from`). */
  from(parent: number, depth: number): void;
  /** Stages `state` for the next commit (`dirty` as for insert). */
  stage(state: Int32Array, choice: number, dirty?: number): void;
  /** Inserts the staged states, in the order staged; results as insert's. */
  commit(results: Int32Array): number;
  /** States staged since the last commit. */
  readonly stagedCount: number;
  read(index: number, out: Int32Array): void;
  parent(index: number): number;
  choice(index: number): number;
  depth(index: number): number;
  bytes(): number;
}

/** Widest vector the packed index is tried for (a 64-bit key holds at most 64 varying fields). */
export const MAX_PACKED_WORDS = 256;

export class StateStore implements StateStoreLike {
  /** Words per state. */
  readonly words: number;
  private readonly stride: number;
  /** log2 of records per chunk, and records per chunk − 1. */
  private readonly chunkShift: number;
  private readonly chunkMask: number;
  /** invariant: every chunk but the first holds exactly `chunkMask + 1` records; the first may be shorter. */
  private readonly chunks: Int32Array[] = [];
  private table: Int32Array;
  private slotMask: number;
  private growAt: number;
  private count = 0;
  private readonly hashMask: number;
  /** While not null, states are found through it and `table` stays empty (see `unpack`). */
  private packed: PackedIndex | null;

  constructor(words: number, options: StateStoreOptions = {}) {
    if (!Number.isInteger(words) || words < 1)
      throw new RangeError(`state words must be a positive integer: ${words}`);
    const initialCapacity = Math.max(1, Math.floor(options.initialCapacity ?? 1024));
    const chunkWords = Math.floor(options.chunkWords ?? 1 << 20);
    this.words = words;
    this.stride = words + META;
    let shift = 0;
    while (shift < 30 && 2 ** (shift + 1) * this.stride <= chunkWords) shift++;
    this.chunkShift = shift;
    this.chunkMask = 2 ** shift - 1;
    this.hashMask = options.hashMask ?? -1;
    // Vectors of many words do not pack into 64 bits for long, and each widening compiles an
    // encoder with a line per word: past MAX_PACKED_WORDS the store hashes from the start.
    const packed = options.packed === true && words <= MAX_PACKED_WORDS;
    this.packed = packed ? new PackedIndex(words, initialCapacity, this.hashMask) : null;
    let slots = 16;
    // With the packed index the hash table waits, empty, until the vectors stop packing.
    while (slots * MAX_LOAD < initialCapacity && slots < MAX_SLOTS && !packed) slots *= 2;
    this.table = new Int32Array(slots * 2);
    this.slotMask = slots - 1;
    this.growAt = Math.floor(slots * MAX_LOAD);
    this.chunks.push(new Int32Array(Math.min(initialCapacity, this.chunkMask + 1) * this.stride));
  }

  /** Number of stored states. */
  get size(): number {
    return this.count;
  }

  /**
   * Adds a copy of `state` (its first `words` words) unless an equal state is stored. Returns the new
   * state's index when added, or −(index + 1) of the equal stored state (whose parent, choice and depth
   * stay as they were). `parent` is −1 for a root or an index already stored; 0 ≤ choice ≤ 65535.
   */
  insert(state: Int32Array, parent: number, choice: number, depth: number): number {
    const words = this.words;
    if (state.length < words)
      throw new RangeError(`state has ${state.length} words, the store needs ${words}`);
    if (!(parent >= -1 && parent < this.count))
      throw new RangeError(`parent ${parent} is not a stored state`);
    if (!(choice >= 0 && choice <= MAX_CHOICE))
      throw new RangeError(`choice ${choice} is outside 0..${MAX_CHOICE}`);
    if (!(depth >= 0 && depth <= 0x7fffffff)) throw new RangeError(`depth ${depth} is out of range`);
    if (this.packed !== null) return this.insertPacked(state, 0, parent, choice, depth);
    return this.insertHashed(
      state,
      0,
      hashState(state, 0, words, STATE_HASH_SEED) & this.hashMask,
      parent,
      choice,
      depth,
    );
  }

  /**
   * Sets the parent (and its depth) of the states staged next, until the next `from`. The
   * explorer stages the successors of a few states before it commits them all.
   */
  from(parent: number, depth: number): void {
    if (!(parent >= -1 && parent < this.count))
      throw new RangeError(`parent ${parent} is not a stored state`);
    if (!(depth >= 0 && depth <= 0x7fffffff)) throw new RangeError(`depth ${depth} is out of range`);
    this.fromParent = parent;
    this.fromDepth = depth;
  }

  private fromParent = -1;
  private fromDepth = 0;

  /**
   * Stages a copy of `state` to be inserted by the next `commit`, reached by `choice` from the
   * parent set by `from`. Staging successors and inserting them together lets the CPU fetch
   * their table slots in parallel (one cache miss each, overlapped, instead of in turn): the
   * more states in a commit, the more misses overlap.
   */
  stage(state: Int32Array, choice: number): void {
    const at = this.reserve();
    const buf = this.stagedWords;
    for (let k = 0; k < this.words; k++) buf[at + k] = state[k]!;
    this.seal(choice);
  }

  /**
   * Room for one more staged state: returns its offset in `stagedWords`, where the caller writes
   * the state's words before calling `seal`. (CollapseStore builds its vectors in place.)
   */
  reserve(): number {
    if (this.staged === this.stagedChoice.length) this.growStage();
    return this.staged * this.words;
  }

  /** Completes the state written at the offset `reserve` returned. */
  seal(choice: number): void {
    if (!(choice >= 0 && choice <= MAX_CHOICE))
      throw new RangeError(`choice ${choice} is outside 0..${MAX_CHOICE}`);
    const n = this.staged;
    if (this.packed === null)
      this.stagedHash[n] =
        hashState(this.stagedWords, n * this.words, this.words, STATE_HASH_SEED) & this.hashMask;
    this.stagedChoice[n] = choice;
    this.stagedParent[n] = this.fromParent;
    this.stagedDepth[n] = this.fromDepth;
    this.staged = n + 1;
  }

  /**
   * Inserts the staged states in the order staged, each as a child of the parent `from` gave it;
   * writes each one's `insert` result into `results` (which must have room) and returns how many.
   */
  commit(results: Int32Array): number {
    if (this.packed !== null) return this.commitPacked(results);
    const n = this.staged;
    this.staged = 0;
    // Touch every first slot before probing any: the loads do not depend on each other, so
    // their cache misses overlap. The sum keeps the compiler from dropping them.
    const table = this.table;
    const mask = this.slotMask;
    let touched = 0;
    for (let i = 0; i < n; i++) touched ^= table[((this.stagedHash[i]! & mask) << 1) | 1]!;
    // The same again for the stored state each one must be compared with (the first entry of
    // its probe sequence with an equal hash): the slots are in cache now, the arena is not.
    for (let i = 0; i < n; i++) {
      const h = this.stagedHash[i]!;
      let slot = h & mask;
      for (;;) {
        const p = slot << 1;
        const entry = table[p]!;
        if (entry === 0) break;
        if (table[p + 1] === h) {
          const index = entry - 1;
          touched ^= this.chunks[index >>> this.chunkShift]![(index & this.chunkMask) * this.stride]!;
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
    this.touched = touched;
    const words = this.words;
    for (let i = 0; i < n; i++)
      results[i] = this.insertHashed(
        this.stagedWords,
        i * words,
        this.stagedHash[i]!,
        this.stagedParent[i]!,
        this.stagedChoice[i]!,
        this.stagedDepth[i]!,
      );
    return n;
  }

  /** The states staged since the last commit. */
  get stagedCount(): number {
    return this.staged;
  }

  private staged = 0;
  /** Staged states, `words` each, in the order staged. */
  stagedWords = new Int32Array(0);
  private stagedHash = new Int32Array(0);
  private stagedChoice = new Int32Array(0);
  private stagedParent = new Int32Array(0);
  private stagedDepth = new Int32Array(0);
  /** With the packed index, stagedHash holds each staged state's first key word, this the second. */
  private stagedKey1 = new Int32Array(0);
  /** With the packed index: each staged state's slot hash, computed once for touch and probe. */
  private stagedSlotHash = new Int32Array(0);
  /** Written only so that the touching loads in `commit` are not optimised away; no meaning. */
  touched = 0;

  private growStage(): void {
    const cap = Math.max(16, this.stagedChoice.length * 2);
    this.stagedWords = withLength(this.stagedWords, cap * this.words);
    this.stagedHash = withLength(this.stagedHash, cap);
    this.stagedChoice = withLength(this.stagedChoice, cap);
    this.stagedParent = withLength(this.stagedParent, cap);
    this.stagedDepth = withLength(this.stagedDepth, cap);
    this.stagedKey1 = withLength(this.stagedKey1, cap);
    this.stagedSlotHash = withLength(this.stagedSlotHash, cap);
  }

  /** `insert` of src[srcOff .. srcOff + words) whose hash is `h`, without argument checks. */
  private insertHashed(
    src: Int32Array,
    srcOff: number,
    h: number,
    parent: number,
    choice: number,
    depth: number,
  ): number {
    const found = this.probe(src, srcOff, h);
    if (found >= 0) return -(found + 1);
    const slot = -found - 1;
    const index = this.append(src, srcOff, parent, choice, depth);
    this.table[slot << 1] = index + 1;
    this.table[(slot << 1) + 1] = h;
    if (this.count > this.growAt) this.growTable();
    return index;
  }

  /** Adds src[srcOff .. srcOff + words) to the arena as the next state; returns its index. */
  private append(src: Int32Array, srcOff: number, parent: number, choice: number, depth: number): number {
    const words = this.words;
    const stride = this.stride;
    const index = this.count;
    const chunkIndex = index >>> this.chunkShift;
    const off = (index & this.chunkMask) * stride;
    let chunk = this.chunks[chunkIndex];
    if (chunk === undefined || off + stride > chunk.length) chunk = this.growArena(chunkIndex);
    for (let k = 0; k < words; k++) chunk[off + k] = src[srcOff + k]!;
    chunk[off + words] = parent;
    chunk[off + words + 1] = depth;
    chunk[off + words + 2] = choice;
    this.count = index + 1;
    return index;
  }

  /** `insert` through the packed index (widening it, or giving it up, when the state does not fit). */
  private insertPacked(
    src: Int32Array,
    srcOff: number,
    parent: number,
    choice: number,
    depth: number,
  ): number {
    const packed = this.packed as PackedIndex;
    if (!packed.encode(src, srcOff)) {
      if (!this.widen(src, srcOff)) {
        const h = hashState(src, srcOff, this.words, STATE_HASH_SEED) & this.hashMask;
        return this.insertHashed(src, srcOff, h, parent, choice, depth);
      }
      packed.encode(src, srcOff);
    }
    const found = packed.findOrAdd(packed.k0, packed.k1, packed.hashOf(packed.k0, packed.k1), this.count);
    if (found >= 0) return -(found + 1);
    return this.append(src, srcOff, parent, choice, depth);
  }

  /**
   * Widens the packed index's ranges to take src[srcOff ..] and rebuilds it; when the vectors
   * no longer pack, moves every state to the hash table instead and returns false.
   */
  private widen(src: Int32Array, srcOff: number): boolean {
    const packed = this.packed as PackedIndex;
    const pair: [Int32Array, number] = [this.chunks[0]!, 0];
    const vector = (i: number): [Int32Array, number] => {
      pair[0] = this.chunks[i >>> this.chunkShift]!;
      pair[1] = (i & this.chunkMask) * this.stride;
      return pair;
    };
    if (packed.widen(src, srcOff)) {
      packed.rebuild(this.count, vector);
      return true;
    }
    this.packed = null;
    // States staged while packing have no hash yet; the hash table needs one for each.
    for (let i = 0; i < this.staged; i++)
      this.stagedHash[i] =
        hashState(this.stagedWords, i * this.words, this.words, STATE_HASH_SEED) & this.hashMask;
    let slots = 16;
    while (slots * MAX_LOAD < this.count + 1 && slots < MAX_SLOTS) slots *= 2;
    const table = new Int32Array(slots * 2);
    const mask = slots - 1;
    for (let i = 0; i < this.count; i++) {
      const [chunk, off] = vector(i);
      const h = hashState(chunk, off, this.words, STATE_HASH_SEED) & this.hashMask;
      let slot = h & mask;
      while (table[slot << 1] !== 0) slot = (slot + 1) & mask;
      table[slot << 1] = i + 1;
      table[(slot << 1) + 1] = h;
    }
    this.table = table;
    this.slotMask = mask;
    this.growAt = Math.floor(slots * MAX_LOAD);
    return false;
  }

  /** `commit` through the packed index: keys first, then their first slots, then the inserts. */
  private commitPacked(results: Int32Array): number {
    const n = this.staged;
    const words = this.words;
    const src = this.stagedWords;
    const packed = this.packed as PackedIndex;
    const k0 = this.stagedHash;
    const k1 = this.stagedKey1;
    const h = this.stagedSlotHash;
    for (let i = 0; i < n; ) {
      if (packed.encode(src, i * words)) {
        k0[i] = packed.k0;
        k1[i] = packed.k1;
        h[i] = packed.hashOf(packed.k0, packed.k1);
        i++;
        continue;
      }
      // The vectors no longer pack: `widen` has hashed the staged states for the hash table.
      if (!this.widen(src, i * words)) return this.commit(results);
      i = 0; // the ranges changed: encode the batch again
    }
    this.staged = 0;
    let touched = 0;
    for (let i = 0; i < n; i++) touched ^= packed.touch(h[i]!);
    this.touched = touched;
    for (let i = 0; i < n; i++) {
      const found = packed.findOrAdd(k0[i]!, k1[i]!, h[i]!, this.count);
      results[i] =
        found >= 0
          ? -(found + 1)
          : this.append(src, i * words, this.stagedParent[i]!, this.stagedChoice[i]!, this.stagedDepth[i]!);
    }
    return n;
  }

  /** Index of a stored state equal to `state` (its first `words` words), or −1. */
  find(state: Int32Array): number {
    const words = this.words;
    if (state.length < words)
      throw new RangeError(`state has ${state.length} words, the store needs ${words}`);
    if (this.packed !== null)
      return this.packed.encode(state, 0) ? this.packed.find(this.packed.k0, this.packed.k1) : -1;
    const r = this.probe(state, 0, hashState(state, 0, words, STATE_HASH_SEED) & this.hashMask);
    return r >= 0 ? r : -1;
  }

  /**
   * Looks for src[srcOff .. srcOff + words), whose hash is `h`: its index if stored, else
   * −(slot + 1) of the empty table slot where it would go.
   */
  private probe(src: Int32Array, srcOff: number, h: number): number {
    const words = this.words;
    const table = this.table;
    const mask = this.slotMask;
    const stride = this.stride;
    let slot = h & mask;
    for (;;) {
      const p = slot << 1;
      const entry = table[p]!;
      if (entry === 0) return -(slot + 1);
      if (table[p + 1] === h) {
        const index = entry - 1;
        const chunk = this.chunks[index >>> this.chunkShift]!;
        const off = (index & this.chunkMask) * stride;
        let k = 0;
        while (k < words && chunk[off + k] === src[srcOff + k]) k++;
        if (k === words) return index;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Copies state `index` into `out` (length ≥ words). */
  read(index: number, out: Int32Array): void {
    const off = this.offset(index);
    const chunk = this.chunk(index);
    for (let k = 0; k < this.words; k++) out[k] = chunk[off + k]!;
  }

  /**
   * A read-only view (by contract: writing through it corrupts the store) of state `index`'s words.
   * Valid until the next `insert`, which may move the first chunk while it grows. Allocates one small
   * view object; a hot loop that must not allocate uses `chunk(index)` and `offset(index)` instead.
   */
  view(index: number): Int32Array {
    const off = this.offset(index);
    return this.chunk(index).subarray(off, off + this.words);
  }

  /**
   * The arena chunk holding state `index`: its words are `chunk[offset(index) .. offset(index) + words)`.
   * Same lifetime and read-only contract as `view`, without allocating.
   */
  chunk(index: number): Int32Array {
    this.check(index);
    return this.chunks[index >>> this.chunkShift]!;
  }

  /** Offset of state `index`'s first word in `chunk(index)`. */
  offset(index: number): number {
    this.check(index);
    return (index & this.chunkMask) * this.stride;
  }

  /** Parent of state `index`: the state it was first reached from, or −1 for a root. */
  parent(index: number): number {
    return this.meta(index, 0);
  }

  /** Depth of state `index`, as given when it was inserted: its path length from a root along parents. */
  depth(index: number): number {
    return this.meta(index, 1);
  }

  /** The choice (0..65535) that reached state `index` from its parent; for a root, what the caller gave. */
  choice(index: number): number {
    return this.meta(index, 2);
  }

  /** Bytes held by all typed arrays of the store (arena chunks and table). */
  bytes(): number {
    let total = this.table.byteLength + (this.packed?.bytes() ?? 0);
    for (const chunk of this.chunks) total += chunk.byteLength;
    return total;
  }

  private meta(index: number, field: number): number {
    this.check(index);
    return this.chunks[index >>> this.chunkShift]![
      (index & this.chunkMask) * this.stride + this.words + field
    ]!;
  }

  private check(index: number): void {
    if (!(index >= 0 && index < this.count && Number.isInteger(index))) {
      throw new RangeError(`state ${index} is not stored (size ${this.count})`);
    }
  }

  /** Makes room for a record in chunk `chunkIndex`: doubles a short first chunk, or adds a full chunk. */
  private growArena(chunkIndex: number): Int32Array {
    const full = (this.chunkMask + 1) * this.stride;
    if (chunkIndex === 0) {
      const old = this.chunks[0]!;
      const grown = new Int32Array(Math.min(full, Math.max(old.length * 2, this.stride)));
      grown.set(old);
      this.chunks[0] = grown;
      return grown;
    }
    // invariant: records fill in index order, so the missing chunk is the next one and all before it are full.
    if (chunkIndex !== this.chunks.length) throw new Error("arena chunks out of order");
    const chunk = new Int32Array(full);
    this.chunks.push(chunk);
    return chunk;
  }

  /** Doubles the table, placing each entry by its stored hash. */
  private growTable(): void {
    const old = this.table;
    const slots = (this.slotMask + 1) * 2;
    if (slots > MAX_SLOTS) throw new RangeError(`state store is full (${this.count} states)`);
    this.table = rehashPairs(old, slots);
    this.slotMask = slots - 1;
    this.growAt = Math.floor(slots * MAX_LOAD);
  }
}

/** A copy of `a` with room for `length` words (the rest zero). */
function withLength(a: Int32Array, length: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(length);
  b.set(a);
  return b;
}

/**
 * A table of (entry, hash) pairs with `slots` slots (a power of two), holding the entries of
 * `old` placed by their stored hashes with linear probing; 0 entries are empty slots.
 */
export function rehashPairs(old: Int32Array, slots: number): Int32Array {
  const table = new Int32Array(slots * 2);
  const mask = slots - 1;
  for (let p = 0; p < old.length; p += 2) {
    const entry = old[p]!;
    if (entry === 0) continue;
    const h = old[p + 1]!;
    let slot = h & mask;
    while (table[slot << 1] !== 0) slot = (slot + 1) & mask;
    table[slot << 1] = entry;
    table[(slot << 1) + 1] = h;
  }
  return table;
}
