// Tests of the state store against a Map<string, number> reference, including forced hash collisions.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hashState, MAX_CHOICE, STATE_HASH_SEED, StateStore } from "./stateStore";

const key = (state: Int32Array, words: number): string => Array.from(state.subarray(0, words)).join(",");

interface Recorded {
  state: Int32Array;
  parent: number;
  choice: number;
  depth: number;
}

/** Checks every stored state against what the reference recorded for it. */
function checkAll(store: StateStore, recorded: Recorded[]): void {
  const words = store.words;
  expect(store.size).toBe(recorded.length);
  const out = new Int32Array(words + 2).fill(99);
  recorded.forEach((r, index) => {
    store.read(index, out);
    expect(Array.from(out.subarray(0, words))).toEqual(Array.from(r.state));
    expect(out[words]).toBe(99); // read writes only `words` words
    expect(Array.from(store.view(index))).toEqual(Array.from(r.state));
    const chunk = store.chunk(index);
    const off = store.offset(index);
    expect(Array.from(chunk.subarray(off, off + words))).toEqual(Array.from(r.state));
    expect(store.parent(index)).toBe(r.parent);
    expect(store.choice(index)).toBe(r.choice);
    expect(store.depth(index)).toBe(r.depth);
    expect(store.find(r.state)).toBe(index);
  });
}

const storeOptions = fc.record({
  initialCapacity: fc.integer({ min: 1, max: 40 }),
  chunkWords: fc.integer({ min: 1, max: 64 }),
  // -1 keeps the real hash; the others force many (0: all) distinct states onto one hash.
  hashMask: fc.constantFrom(-1, -1, 0, 1, 0x80000003),
  // The packed index: its ranges widen as values arrive, and it gives way to the hash table
  // when the vectors stop fitting in 64 bits (the extreme values do that).
  packed: fc.boolean(),
});

describe("StateStore", () => {
  it("agrees with a Map reference on random insert/find sequences (duplicates, collisions, growth)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        storeOptions,
        fc.array(
          fc.record({
            find: fc.boolean(),
            // Few distinct values so many states repeat; the extremes probe sign handling.
            values: fc.array(fc.constantFrom(0, 1, 2, -1, 0x7fffffff, -0x80000000), {
              minLength: 6,
              maxLength: 6,
            }),
            choice: fc.integer({ min: 0, max: MAX_CHOICE }),
            depth: fc.nat(),
            parentPick: fc.nat(),
          }),
          { maxLength: 300 },
        ),
        (words, options, ops) => {
          const store = new StateStore(words, options);
          const reference = new Map<string, number>();
          const recorded: Recorded[] = [];
          for (const op of ops) {
            // A state longer than `words` checks that only the first `words` words count.
            const state = Int32Array.from(op.values);
            const k = key(state, words);
            const known = reference.get(k);
            if (op.find) {
              expect(store.find(state)).toBe(known ?? -1);
              continue;
            }
            const parent = recorded.length === 0 ? -1 : (op.parentPick % (recorded.length + 1)) - 1;
            const result = store.insert(state, parent, op.choice, op.depth);
            if (known === undefined) {
              expect(result).toBe(recorded.length);
              reference.set(k, result);
              recorded.push({ state: state.slice(0, words), parent, choice: op.choice, depth: op.depth });
            } else {
              expect(result).toBe(-(known + 1));
            }
            expect(store.size).toBe(reference.size);
          }
          checkAll(store, recorded);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("inserts staged batches exactly as one insert after another", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        storeOptions,
        // Batches of successors; few values, so states repeat within and across batches. A
        // commit takes the batches of one or more parents.
        fc.array(
          fc.record({
            parentPick: fc.nat(),
            depth: fc.nat({ max: 1000 }),
            states: fc.array(
              fc.record({
                // Now and then an extreme value, so that the packed index gives way inside a commit.
                values: fc.array(
                  fc.oneof(
                    { arbitrary: fc.integer({ min: -1, max: 2 }), weight: 30 },
                    { arbitrary: fc.constantFrom(0x7fffffff, -0x80000000), weight: 1 },
                  ),
                  { minLength: 5, maxLength: 5 },
                ),
                choice: fc.integer({ min: 0, max: MAX_CHOICE }),
              }),
              { maxLength: 40 },
            ),
            commitAfter: fc.boolean(),
          }),
          { maxLength: 40 },
        ),
        (words, options, batches) => {
          const staged = new StateStore(words, options);
          const oneByOne = new StateStore(words, options);
          const root = new Int32Array(words).fill(7);
          staged.insert(root, -1, 0, 0);
          oneByOne.insert(root, -1, 0, 0);
          const results = new Int32Array(64 * 40);
          const recorded: Recorded[] = [{ state: root, parent: -1, choice: 0, depth: 0 }];
          let pending: Array<{ parent: number; depth: number; values: number[]; choice: number }> = [];
          const commit = () => {
            expect(staged.stagedCount).toBe(pending.length);
            const n = staged.commit(results);
            expect(n).toBe(pending.length);
            expect(staged.stagedCount).toBe(0);
            pending.forEach((st, i) => {
              const state = Int32Array.from(st.values);
              const r = oneByOne.insert(state, st.parent, st.choice, st.depth);
              expect(results[i]).toBe(r);
              if (r >= 0)
                recorded.push({
                  state: state.slice(0, words),
                  parent: st.parent,
                  choice: st.choice,
                  depth: st.depth,
                });
            });
            pending = [];
          };
          batches.forEach((b, j) => {
            // Parents must be stored already: pick among the states committed so far.
            const parent = b.parentPick % staged.size;
            staged.from(parent, b.depth);
            for (const st of b.states) {
              staged.stage(Int32Array.from(st.values), st.choice);
              pending.push({ parent, depth: b.depth, values: st.values, choice: st.choice });
            }
            if (b.commitAfter || j === batches.length - 1) commit();
          });
          checkAll(staged, recorded);
          checkAll(oneByOne, recorded);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("keeps the inserted copy when the caller reuses its buffer", () => {
    const store = new StateStore(3);
    const scratch = new Int32Array([1, 2, 3]);
    expect(store.insert(scratch, -1, 0, 0)).toBe(0);
    scratch[1] = 7;
    expect(store.insert(scratch, 0, 1, 1)).toBe(1);
    expect(Array.from(store.view(0))).toEqual([1, 2, 3]);
    expect(store.find(new Int32Array([1, 2, 3]))).toBe(0);
    expect(store.insert(new Int32Array([1, 7, 3]), 0, 5, 9)).toBe(-2);
    expect(store.choice(1)).toBe(1); // a duplicate insert leaves the stored state's record alone
  });

  it("grows across many chunks and table resizes, all states colliding or not", () => {
    for (const hashMask of [-1, 0x0f]) {
      const words = 7;
      const store = new StateStore(words, { initialCapacity: 1, chunkWords: 32, hashMask });
      const state = new Int32Array(words);
      const n = 3000;
      for (let i = 0; i < n; i++) {
        state.fill(0);
        state[i % words] = i; // distinct states differing in a different word each time
        state[(i + 3) % words] = -i;
        expect(store.insert(state, i - 1, i & 0xffff, i)).toBe(i);
      }
      for (let i = 0; i < n; i++) {
        state.fill(0);
        state[i % words] = i;
        state[(i + 3) % words] = -i;
        expect(store.find(state)).toBe(i);
        expect(store.insert(state, 0, 0, 0)).toBe(-(i + 1));
        expect(store.parent(i)).toBe(i - 1);
        expect(store.depth(i)).toBe(i);
      }
      expect(store.size).toBe(n);
      // chunkWords 32 holds 2 records of 10 words: ~1500 chunks, each exactly full.
      expect(store.bytes()).toBeGreaterThanOrEqual(n * (words + 3) * 4);
    }
  });

  it("stays within 2·(4·W) bytes per state at W = 10 when the table is at its emptiest", () => {
    const words = 10;
    const store = new StateStore(words);
    const state = new Int32Array(words);
    // 0.75 · 2^20 + 1 states: the table just doubled to 2^21 slots, its worst bytes per state.
    const n = 0.75 * 2 ** 20 + 1;
    for (let i = 0; i < n; i++) {
      state[0] = i;
      state[7] = i >> 3;
      store.insert(state, -1, 0, 0);
    }
    expect(store.size).toBe(n);
    expect(store.bytes() / n).toBeLessThanOrEqual(2 * 4 * words);
  });

  it("rejects what it cannot store", () => {
    const store = new StateStore(2);
    expect(() => store.insert(new Int32Array(1), -1, 0, 0)).toThrow(RangeError);
    expect(() => store.find(new Int32Array(1))).toThrow(RangeError);
    expect(() => store.insert(new Int32Array(2), 0, 0, 0)).toThrow(/parent/);
    expect(() => store.insert(new Int32Array(2), -1, MAX_CHOICE + 1, 0)).toThrow(/choice/);
    expect(() => store.insert(new Int32Array(2), -1, -1, 0)).toThrow(/choice/);
    expect(() => store.insert(new Int32Array(2), -1, 0, -1)).toThrow(/depth/);
    expect(store.size).toBe(0);
    expect(() => store.view(0)).toThrow(RangeError);
    expect(() => store.parent(-1)).toThrow(RangeError);
    expect(() => new StateStore(0)).toThrow(RangeError);
  });
});

describe("hashState", () => {
  it("depends only on the words in range, and seeds give independent hashes", () => {
    const a = new Int32Array([9, 1, 2, 3, 4, 5, 6, 9]);
    const b = new Int32Array([1, 2, 3, 4, 5, 6]);
    expect(hashState(a, 1, 6, 7)).toBe(hashState(b, 0, 6, 7));
    expect(hashState(a, 1, 6, 7)).not.toBe(hashState(b, 0, 6, 8));
    expect(hashState(b, 0, 6, 7)).not.toBe(hashState(b, 0, 5, 7));
    expect(Number.isInteger(hashState(b, 0, 0, STATE_HASH_SEED))).toBe(true);
  });

  it("flips about half the output bits when one input bit flips", () => {
    for (const length of [1, 3, 4, 9, 64]) {
      const words = new Int32Array(length);
      let flipped = 0;
      let trials = 0;
      for (let w = 0; w < length; w++) {
        for (let bit = 0; bit < 32; bit++) {
          const before = hashState(words, 0, length, STATE_HASH_SEED);
          words[w]! ^= 1 << bit;
          const after = hashState(words, 0, length, STATE_HASH_SEED);
          words[w]! ^= 1 << bit;
          let x = before ^ after;
          while (x !== 0) {
            flipped += x & 1;
            x >>>= 1;
          }
          trials++;
        }
      }
      const mean = flipped / trials;
      expect(mean).toBeGreaterThan(14);
      expect(mean).toBeLessThan(18);
    }
  });

  it("spreads small, similar states evenly over the low bits (the slot)", () => {
    const buckets = new Int32Array(256);
    const state = new Int32Array(8);
    const n = 256 * 200;
    for (let i = 0; i < n; i++) {
      state[2] = i & 15;
      state[5] = i >> 4;
      buckets[hashState(state, 0, 8, STATE_HASH_SEED) & 255]!++;
    }
    for (const count of buckets) {
      expect(count).toBeGreaterThan(120);
      expect(count).toBeLessThan(280);
    }
  });
});

describe("StateStore with the packed index", () => {
  it("stays exact while its ranges widen, and after it gives way to the hash table", () => {
    const store = new StateStore(3, { packed: true });
    const plain = new Map<string, number>();
    const states: Int32Array[] = [];
    // Field 0 grows a little at a time (many widenings); fields 1 and 2 stay small...
    for (let i = 0; i < 3000; i++) states.push(Int32Array.of(i * 7 - 500, i % 5, -(i % 3)));
    // ...until spans of 32 bits in every field, which no 64-bit key holds.
    states.push(Int32Array.of(0x7fffffff, -0x80000000, 0x7fffffff));
    for (let i = 0; i < 3000; i += 3) states.push(Int32Array.of(i, -0x80000000 + i, i % 7));
    for (const [j, s] of states.entries()) {
      const want = plain.get(key(s, 3));
      const got = store.insert(s, -1, j % 100, 0);
      if (want === undefined) {
        expect(got).toBe(plain.size);
        plain.set(key(s, 3), got);
      } else expect(got).toBe(-(want + 1));
    }
    for (const s of states) expect(store.find(s)).toBe(plain.get(key(s, 3)));
    expect(store.find(Int32Array.of(1, 2, 3))).toBe(-1);
  });

  it("hashes the states staged while it packed when an insert makes it give way", () => {
    // Found by review: staged states had no hash when the packed index gave way in between.
    const s = new StateStore(3, { packed: true });
    const res = new Int32Array(8);
    s.insert(Int32Array.of(0, 0, 0), -1, 0, 0);
    s.from(0, 1);
    s.stage(Int32Array.of(1, 1, 1), 0);
    s.insert(Int32Array.of(0x7fffffff, -0x80000000, 0x7fffffff), 0, 1, 1);
    expect(s.commit(res)).toBe(1);
    expect(res[0]).toBe(2);
    expect(s.find(Int32Array.of(1, 1, 1))).toBe(2);
    expect(s.insert(Int32Array.of(1, 1, 1), 0, 2, 1)).toBe(-3);
    expect(s.size).toBe(3);
  });
});
