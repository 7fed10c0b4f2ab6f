// Benchmark of the state store: inserts and duplicate lookups of pseudo-random states, and bytes per state.

import { StateStore } from "../checker/stateStore";

/** Sizes of one benchmark run; the defaults are the figures quoted in reviews. */
export interface StoreBenchOptions {
  /** Distinct states inserted (default 2,000,000). */
  states?: number;
  /** Words per state (default 64). */
  words?: number;
}

/**
 * Fills `out` with state number `n` of a fixed pseudo-random sequence: small word values, as in real
 * states, distinct from every other `n` with overwhelming probability (8 random bits per word).
 */
function makeState(n: number, out: Int32Array): void {
  let x = (Math.imul(n + 1, 0x9e3779b1) ^ 0x5bd1e995) | 0;
  for (let k = 0; k < out.length; k++) {
    // xorshift32
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[k] = x & 0xff;
  }
  // Make distinctness certain, not probable: the first word carries n's low bits.
  out[0] = n;
}

function rate(count: number, ms: number): string {
  return `${Math.round(count / (ms / 1000)).toLocaleString("en-US")}/s`;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

/**
 * Runs the store benchmark once and returns a printed table: time to generate the states alone, inserts
 * of new states, `find` and `insert` of duplicates (each with generation time subtracted), and stored
 * bytes per state against the 4·W bytes of the state itself. Run by hand; never a timed test.
 */
export function runStoreBench(options: StoreBenchOptions = {}): string {
  const states = options.states ?? 2_000_000;
  const words = options.words ?? 64;
  const scratch = new Int32Array(words);

  // Generation cost alone, so the store's own rates can be reported net of it.
  let t = performance.now();
  for (let n = 0; n < states; n++) makeState(n, scratch);
  const genMs = performance.now() - t;

  const store = new StateStore(words);
  t = performance.now();
  for (let n = 0; n < states; n++) {
    makeState(n, scratch);
    if (store.insert(scratch, n === 0 ? -1 : n - 1, n & 0xffff, n) < 0)
      throw new Error(`state ${n} collided`);
  }
  const insertMs = performance.now() - t;

  t = performance.now();
  for (let n = 0; n < states; n++) {
    makeState(n, scratch);
    if (store.find(scratch) !== n) throw new Error(`state ${n} not found`);
  }
  const findMs = performance.now() - t;

  t = performance.now();
  for (let n = 0; n < states; n++) {
    makeState(n, scratch);
    if (store.insert(scratch, 0, 0, 1) !== -(n + 1)) throw new Error(`state ${n} not recognised`);
  }
  const dupMs = performance.now() - t;

  const perState = store.bytes() / store.size;
  const rows: [string, string, string][] = [
    ["generate states (not the store)", `${genMs.toFixed(0)} ms`, rate(states, genMs)],
    ["insert new (net)", `${(insertMs - genMs).toFixed(0)} ms`, rate(states, insertMs - genMs)],
    ["insert new (gross)", `${insertMs.toFixed(0)} ms`, rate(states, insertMs)],
    ["find duplicate (net)", `${(findMs - genMs).toFixed(0)} ms`, rate(states, findMs - genMs)],
    ["insert duplicate (net)", `${(dupMs - genMs).toFixed(0)} ms`, rate(states, dupMs - genMs)],
  ];
  const lines = [
    `state store: ${states.toLocaleString("en-US")} states of W = ${words} words`,
    ...rows.map(([what, ms, r]) => `  ${pad(what, 34)}${pad(ms, 10)}${r}`),
    `  ${pad("bytes per state", 34)}${perState.toFixed(1)} B  (4·W = ${4 * words} B, ratio ${(perState / (4 * words)).toFixed(2)})`,
    `  ${pad("store bytes()", 34)}${(store.bytes() / 2 ** 20).toFixed(1)} MiB`,
    // Cross-check of bytes(): all ArrayBuffer memory of the process, the store being nearly all of it.
    `  ${pad("process ArrayBuffers", 34)}${(process.memoryUsage().arrayBuffers / 2 ** 20).toFixed(1)} MiB`,
  ];
  return lines.join("\n");
}
