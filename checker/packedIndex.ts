// The lookup table of a StateStore whose vectors pack into 64 bits: each slot holds the state's
// index and its whole packed vector, so a probe decides equality inside the table and never
// reads the arena (one cache miss per lookup instead of two). CollapseStore's stored vectors
// (globals plus one small index per task) usually pack.
import { buildFunction, type Js, joinJs, js } from "./emit";

/** The table grows when it would be fuller than this. */
const MAX_LOAD = 0.75;
/** Largest table (slots), as for the hash table; `slot * SLOT` stays below 2^31. */
const MAX_SLOTS = 2 ** 29;
/** Words per slot: index + 1 (0: empty), then the two key words. */
const SLOT = 3;

/**
 * Packs vectors of `words` words into two 32-bit key words, field k as (v − lo[k]) in bits[k]
 * bits, fields laid out in order without straddling a key word. The ranges start empty and
 * widen (with slack, so that it happens rarely) as values outside them arrive: the caller then
 * rebuilds the table from its arena. When the fields no longer fit in 64 bits, `widen` says so
 * and the caller stops packing.
 */
export class PackedIndex {
  private readonly lo: Int32Array;
  private readonly bits: Uint8Array;
  /** Where field k goes: key word (0 or 1) and shift. */
  private readonly word: Uint8Array;
  private readonly shift: Uint8Array;
  /** The key of the last `encode`. */
  k0 = 0;
  k1 = 0;
  private table: Int32Array;
  private slotMask: number;
  private growAt: number;
  /** Stored entries. */
  private count = 0;

  constructor(
    readonly words: number,
    initialCapacity = 1024,
    private readonly hashMask = -1,
  ) {
    this.lo = new Int32Array(words);
    this.bits = new Uint8Array(words);
    this.word = new Uint8Array(words);
    this.shift = new Uint8Array(words);
    let slots = 16;
    while (slots * MAX_LOAD < initialCapacity && slots < MAX_SLOTS) slots *= 2;
    this.table = new Int32Array(slots * SLOT);
    this.slotMask = slots - 1;
    this.growAt = Math.floor(slots * MAX_LOAD);
    this.layout();
  }

  /** Encodes src[off .. off + words) into k0, k1; false when a value lies outside its range. */
  encode(src: Int32Array, off: number): boolean {
    return this.encoder(src, off);
  }

  /** `encode` for the current ranges, compiled with them as constants (see `layout`). */
  private encoder: (src: Int32Array, off: number) => boolean = () => false;

  /**
   * Widens the ranges to hold the vector src[off ..] as well (twice the needed span, so that
   * values drifting one way do not widen them every time). False when the fields would no
   * longer fit in 64 bits; the ranges are then unusable. The caller must `rebuild` after true.
   */
  widen(src: Int32Array, off: number): boolean {
    for (let k = 0; k < this.words; k++) {
      const v = src[off + k]!;
      const lo = this.lo[k]!;
      const b = this.bits[k]!;
      const hi = b === 0 ? lo : lo + 2 ** b - 1;
      if (v >= lo && v <= hi) continue;
      const newLo = Math.min(lo, v);
      const newHi = Math.max(hi, v);
      const span = newHi - newLo + 1;
      let nb = 0;
      while (2 ** nb < span) nb++;
      if (nb < 31) nb++; // slack: room for as many values again
      // Keep the range's start below the values seen (slack on the side that grew).
      const start = v < lo ? Math.max(-(2 ** 31), newHi - 2 ** nb + 1) : newLo;
      this.lo[k] = start;
      this.bits[k] = nb;
    }
    return this.layout();
  }

  /**
   * Assigns fields to key words in order and compiles `encoder` for them; false if they do not
   * fit. Each field is its value's unsigned offset from the range's start, which must fit its
   * bits (checked in one compare); a field of no bits must equal the start.
   */
  private layout(): boolean {
    let w = 0;
    let used = 0;
    for (let k = 0; k < this.words; k++) {
      const b = this.bits[k]!;
      if (b > 32) return false;
      if (used + b > 32) {
        w++;
        used = 0;
      }
      if (w > 1) return false;
      this.word[k] = w;
      this.shift[k] = used;
      used += b;
    }
    // Built with the typed emitter: only integers of this table reach the generated code.
    const body: Js[] = [js`let d = 0, k0 = 0, k1 = 0;`];
    for (let k = 0; k < this.words; k++) {
      const b = this.bits[k]!;
      const lo = this.lo[k]!;
      if (b === 0) {
        body.push(js`if (src[off + ${k}] !== ${lo}) return false;`);
        continue;
      }
      body.push(js`d = (src[off + ${k}] - ${lo}) >>> 0;`);
      if (b < 32) body.push(js`if (d > ${2 ** b - 1}) return false;`);
      body.push(js`k${this.word[k]!} |= d << ${this.shift[k]!};`);
    }
    body.push(js`self.k0 = k0; self.k1 = k1; return true;`);
    this.encoder = buildFunction([js`self`], js`return (src, off) => { ${joinJs(body, js` `)} };`, this) as (
      src: Int32Array,
      off: number,
    ) => boolean;
    return true;
  }

  /** The slot hash of a key. */
  hashOf(k0: number, k1: number): number {
    let h = Math.imul(k0 ^ 0x2545f491, 0x9e3779b1) ^ Math.imul(k1 + 0x27d4eb2f, 0x85ebca77);
    h ^= h >>> 15;
    h = Math.imul(h, 0xc2b2ae3d);
    h ^= h >>> 13;
    h = Math.imul(h, 0x85ebca77);
    h ^= h >>> 16;
    return h & this.hashMask;
  }

  /** The first slot to probe for a key of slot hash `h`: load it early to overlap cache misses. */
  touch(h: number): number {
    return this.table[(h & this.slotMask) * SLOT]!;
  }

  /**
   * The index stored under key (k0, k1), whose slot hash is `h`, or else adds `index` under it
   * and returns −1. (The caller appends the state to its arena as `index` when −1 comes back.)
   */
  findOrAdd(k0: number, k1: number, h: number, index: number): number {
    const found = this.probe(k0, k1, h);
    if (found >= 0) return found;
    const p = (-found - 1) * SLOT;
    this.table[p] = index + 1;
    this.table[p + 1] = k0;
    this.table[p + 2] = k1;
    if (++this.count > this.growAt) this.grow();
    return -1;
  }

  /** The index stored under key (k0, k1), or −1. */
  find(k0: number, k1: number): number {
    const found = this.probe(k0, k1, this.hashOf(k0, k1));
    return found >= 0 ? found : -1;
  }

  /** The index stored under key (k0, k1), or −(slot + 1) of the empty slot where it would go. */
  private probe(k0: number, k1: number, h: number): number {
    const table = this.table;
    const mask = this.slotMask;
    let slot = h & mask;
    for (;;) {
      const p = slot * SLOT;
      const entry = table[p]!;
      if (entry === 0) return -(slot + 1);
      if (table[p + 1] === k0 && table[p + 2] === k1) return entry - 1;
      slot = (slot + 1) & mask;
    }
  }

  /**
   * Empties the table and adds states 0 .. n − 1 again, each read by `vector` (which must put
   * state i's words at vec[at ..] and return at). For after `widen`: every state must encode.
   */
  rebuild(n: number, vector: (i: number) => [Int32Array, number]): void {
    let slots = 16;
    while (slots * MAX_LOAD < n + 1 && slots < MAX_SLOTS) slots *= 2;
    this.table = new Int32Array(slots * SLOT);
    this.slotMask = slots - 1;
    this.growAt = Math.floor(slots * MAX_LOAD);
    this.count = 0;
    for (let i = 0; i < n; i++) {
      const [vec, at] = vector(i);
      if (!this.encode(vec, at))
        throw new Error(`packed index: stored state ${i} does not fit the widened ranges`);
      if (this.findOrAdd(this.k0, this.k1, this.hashOf(this.k0, this.k1), i) !== -1)
        throw new Error(`packed index: stored state ${i} is stored twice`);
    }
  }

  bytes(): number {
    return this.table.byteLength;
  }

  /** Doubles the table, moving every entry to the slot of its key. */
  private grow(): void {
    const old = this.table;
    const slots = (this.slotMask + 1) * 2;
    if (slots > MAX_SLOTS) throw new RangeError(`state store is full (${this.count} states)`);
    const table = new Int32Array(slots * SLOT);
    const mask = slots - 1;
    for (let p = 0; p < old.length; p += SLOT) {
      const entry = old[p]!;
      if (entry === 0) continue;
      let slot = this.hashOf(old[p + 1]!, old[p + 2]!) & mask;
      while (table[slot * SLOT] !== 0) slot = (slot + 1) & mask;
      table[slot * SLOT] = entry;
      table[slot * SLOT + 1] = old[p + 1]!;
      table[slot * SLOT + 2] = old[p + 2]!;
    }
    this.table = table;
    this.slotMask = mask;
    this.growAt = Math.floor(slots * MAX_LOAD);
  }
}
