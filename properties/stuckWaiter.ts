// Stuck waiters (lost wake-ups): a task asleep that can never be woken again while the rest of
// the system may run on. Found on the explored graph with the bottom-SCC rule of DESIGN.md.

import { CollapseStore } from "../checker/collapseStore";
import { pathTo } from "../checker/explore";
import type { Counterexample } from "../checker/outcome";
import type { StateStoreLike } from "../checker/stateStore";
import type { System } from "../checker/system";
import { bottomComponents, type EdgeStore } from "./graph";
import { sleepQueue } from "./waitQueues";

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
  const { component, count, bottom } = bottomComponents(n, offsets, targets);
  if (bottom.length === 0) return null;
  const isBottom = new Uint8Array(count);
  for (const c of bottom) isBottom[c] = 1;
  const procs = sys.layout.procs.length;
  // awake[c * procs + p] = 1 once some state of component c has process p not asleep.
  const awake = new Uint8Array(count * procs);
  const buf = new Int32Array(sys.words);
  if (store instanceof CollapseStore) {
    // Whether a process sleeps depends only on its own block: decide it once per distinct
    // block (the component tables are small) instead of decoding every state.
    const sleeps = store.componentCounts().map((k) => new Int8Array(k).fill(-1));
    for (let v = 0; v < n; v++) {
      const c = component[v] as number;
      if (!isBottom[c]) continue;
      for (let p = 0; p < procs; p++) {
        if (awake[c * procs + p]) continue;
        const ci = store.componentOf(v, p);
        const cache = sleeps[p] as Int8Array;
        let flag = cache[ci] as number;
        if (flag < 0) {
          store.readComponent(p, ci, buf);
          flag = sys.asleep(buf, p) ? 1 : 0;
          cache[ci] = flag;
        }
        if (flag === 0) awake[c * procs + p] = 1;
      }
    }
  } else {
    for (let v = 0; v < n; v++) {
      const c = component[v] as number;
      if (!isBottom[c]) continue;
      store.read(v, buf);
      for (let p = 0; p < procs; p++)
        if (!awake[c * procs + p] && !sys.asleep(buf, p)) awake[c * procs + p] = 1;
    }
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
