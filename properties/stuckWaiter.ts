// Stuck waiters (lost wake-ups): a task asleep that can never be woken again while the rest of
// the system may run on. Found on the explored graph with the bottom-SCC rule of DESIGN.md.

import { CollapseStore } from "../checker/collapseStore";
import { pathTo } from "../checker/explore";
import type { Counterexample } from "../checker/outcome";
import type { StateStoreLike } from "../checker/stateStore";
import type { System } from "../checker/system";
import { bottomComponents, type EdgeStore, reachableMarks } from "./graph";
import { sleepQueue } from "./waitQueues";

/**
 * A test "is process p asleep in state v" over stored states. With the collapsed store it is
 * decided once per distinct task block (whether a process sleeps depends only on its own block,
 * and the component tables are small) instead of decoding every state.
 */
function asleepIn(sys: System, store: StateStoreLike): (v: number, p: number) => boolean {
  const buf = new Int32Array(sys.words);
  if (store instanceof CollapseStore) {
    const sleeps = store.componentCounts().map((k) => new Int8Array(k).fill(-1));
    return (v, p) => {
      const ci = store.componentOf(v, p);
      const cache = sleeps[p] as Int8Array;
      let flag = cache[ci] as number;
      if (flag < 0) {
        store.readComponent(p, ci, buf);
        flag = sys.asleep(buf, p) ? 1 : 0;
        cache[ci] = flag;
      }
      return flag === 1;
    };
  }
  let last = -1;
  return (v, p) => {
    if (v !== last) {
      store.read(v, buf);
      last = v;
    }
    return sys.asleep(buf, p);
  };
}

/** Sweeps allowed to the quick check before it leaves the question to the SCCs. */
const MAX_SWEEPS = 16;

/**
 * Every bottom strongly connected component must contain, for each process, a state where it
 * is not asleep. A process asleep in every state of a bottom component sleeps forever once the
 * search enters it: nothing that can still happen wakes it. Returns the counterexample that
 * reaches the shallowest such state, or null. Needs a complete search (every state expanded).
 */
export function findStuckWaiters(
  sys: System,
  store: StateStoreLike,
  edges: EdgeStore,
): Counterexample | null {
  const n = store.size;
  const { offsets, targets } = edges.freeze(n);
  const procs = sys.layout.procs.length;
  const asleep = asleepIn(sys, store);
  if (procs <= 30) {
    // The quick check, equivalent to the rule: some bottom component keeps process p asleep
    // iff some state cannot reach any state where p is awake. When every state can reach one
    // for every process (the usual answer for a correct spec) there is nothing to report, and
    // no SCCs are needed: a few linear sweeps instead of Tarjan's random walk over the graph.
    const awake = new Int32Array(n);
    for (let v = 0; v < n; v++) {
      let m = 0;
      for (let p = 0; p < procs; p++) if (!asleep(v, p)) m |= 1 << p;
      awake[v] = m;
    }
    const full = (1 << procs) - 1;
    const can = reachableMarks(n, offsets, targets, awake, full, MAX_SWEEPS);
    if (can?.every((m) => m === full)) return null;
  }
  // Otherwise find the bottom components, for the same counterexample as always.
  const { component, count, bottom } = bottomComponents(n, offsets, targets);
  if (bottom.length === 0) return null;
  const isBottom = new Uint8Array(count);
  for (const c of bottom) isBottom[c] = 1;
  // awake[c * procs + p] = 1 once some state of component c has process p not asleep.
  const awake = new Uint8Array(count * procs);
  for (let v = 0; v < n; v++) {
    const c = component[v] as number;
    if (!isBottom[c]) continue;
    for (let p = 0; p < procs; p++) if (!awake[c * procs + p] && !asleep(v, p)) awake[c * procs + p] = 1;
  }
  // The shallowest state of a bottom component in which some process never wakes.
  let best = -1;
  let bestProc = -1;
  for (let v = 0; v < n; v++) {
    const c = component[v] as number;
    if (!isBottom[c]) continue;
    for (let p = 0; p < procs; p++) {
      if (awake[c * procs + p]) continue;
      if (best < 0 || store.depth(v) < store.depth(best)) {
        best = v;
        bestProc = p;
      }
      break;
    }
  }
  if (best < 0) return null;
  const buf = new Int32Array(sys.words);
  store.read(best, buf);
  const label = sys.layout.procs[bestProc]?.label ?? `process ${bestProc}`;
  const queue = sleepQueue(sys, buf, bestProc);
  return {
    choices: pathTo(store, best),
    message: `${label} sleeps${queue ? ` on ${queue}` : ""} forever: no step that can still happen wakes it`,
    span: null,
    fault: null,
    sleeper: bestProc,
  };
}
