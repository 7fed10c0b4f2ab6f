// The one exhaustive search loop: pop a state, expand it, store and check its successors.

import { resourceUsage } from "node:process";
import { EdgeStore } from "../properties/graph";
import { findStuckWaiters } from "../properties/stuckWaiter";
import { CollapseStore } from "./collapseStore";
import type { FaultKind } from "./compile";
import { makeFrontier } from "./frontier";
import { findLeak } from "./leaks";
import { DEFAULT_OPTIONS, type SearchOptions } from "./options";
import type { Counterexample, Outcome, PropertyKind, PropertyResult } from "./outcome";
import { lockupMessage } from "./schedule";
import { MAX_CHOICE, StateStore, type StateStoreLike } from "./stateStore";
import { type MemoNode, StepMemo } from "./stepMemo";
import type { StepFault, System } from "./system";
import { COUNT_MASK, EXPAND_PRUNED } from "./system";

const FAULT_PROPERTY: Record<FaultKind, PropertyKind> = {
  assertion: "assertion",
  null_deref: "runtime_error",
  no_task: "runtime_error",
  bad_pointer: "runtime_error",
  out_of_bounds: "runtime_error",
  div_by_zero: "runtime_error",
  div_overflow: "runtime_error",
  bad_shift: "runtime_error",
  range_overflow: "runtime_error",
  infinite_loop: "runtime_error",
  stack_overflow: "runtime_error",
  schedule_in_interrupt: "runtime_error",
  interrupt_blocks: "runtime_error",
  empty_choice: "runtime_error",
  use_after_free: "runtime_error",
  use_after_return: "runtime_error",
  bad_cast: "runtime_error",
  double_free: "runtime_error",
  bad_free: "runtime_error",
  atomic_exit: "runtime_error",
};

/** States BFS expands before it inserts their successors together (see `explore`). */
const BFS_BATCH = 8;

/** Path of choice indices from the root to `index`, by following parents. */
export function pathTo(store: StateStoreLike, index: number): number[] {
  const out: number[] = [];
  for (let i = index; store.parent(i) >= 0; i = store.parent(i)) out.push(store.choice(i));
  return out.reverse();
}

/** Explores the state space of `sys` and returns a verdict for every property. */
export function explore(sys: System, partial: Partial<SearchOptions> = {}): Outcome {
  const opts: SearchOptions = { ...DEFAULT_OPTIONS, ...partial };
  const started = performance.now();
  const words = sys.words;
  const collapsed =
    opts.store === "plain"
      ? null
      : new CollapseStore(
          words,
          sys.layout.slots.map((s) => [s.base, s.stackEnd] as const),
        );
  const store: StateStoreLike = collapsed ?? new StateStore(words);
  // Steps are remembered by component indices, so only a collapsed store can answer them.
  const memo = collapsed !== null && opts.memo ? new StepMemo(collapsed) : null;
  const frontier = makeFrontier(opts.strategy);
  const edges = opts.stuckWaiters ? new EdgeStore() : null;
  const props = sys.program.properties;
  const preds = sys.compiled.properties;

  // Results by property name, in a stable order: declared properties, then built-ins.
  const results = new Map<string, PropertyResult>();
  const declare = (name: string, kind: PropertyKind): PropertyResult => {
    const r: PropertyResult = { name, kind, status: "holds", counterexample: null, witness: null };
    results.set(name, r);
    return r;
  };
  const invariants: Array<{ pred: (m: Int32Array) => number; r: PropertyResult }> = [];
  const finals: Array<{ pred: (m: Int32Array) => number; r: PropertyResult }> = [];
  // Some explored run ended with every process exited, so final properties were checked at all.
  let runEnded = false;
  const reachables: Array<{ pred: (m: Int32Array) => number; r: PropertyResult; found: boolean }> = [];
  props.forEach((p, i) => {
    const r = declare(p.name, p.kind);
    const pred = preds[i] as (m: Int32Array) => number;
    if (p.kind === "invariant") invariants.push({ pred, r });
    else if (p.kind === "final") finals.push({ pred, r });
    else {
      r.status = "inconclusive";
      reachables.push({ pred, r, found: false });
    }
  });
  const assertion = declare("assertion", "assertion");
  const runtime = declare("runtime_error", "runtime_error");
  const deadlock = declare("deadlock", "deadlock");
  const stuck = declare("stuck_waiter", "stuck_waiter");
  // Only a program that allocates can leak (checker/leaks.ts).
  const leak = sys.program.pools.length > 0 ? declare("memory_leak", "memory_leak") : null;

  let stop = false;
  let limit: string | null = null;
  /** Set when staging one more successor could store more than maxStates: the rest are dropped. */
  let capped = false;
  let transitions = 0;
  let maxDepth = 0;
  let cutByDepth = false;

  const violate = (r: PropertyResult, cx: Counterexample): void => {
    if (r.status === "violated") return;
    r.status = "violated";
    r.counterexample = cx;
    if (!opts.keepGoing && (opts.stopAt === null || opts.stopAt === r.name)) stop = true;
  };

  /** Evaluates a property; a fault while evaluating it counts as a violation of it. */
  /**
   * Evaluates a property: true or false; a fault while evaluating it counts as false, with
   * its message left in `predError` (no allocation on the hot path).
   */
  let predError: string | null = null;
  const evalPred = (pred: (m: Int32Array) => number, m: Int32Array): boolean => {
    predError = null;
    try {
      return pred(m) !== 0;
    } catch (e) {
      predError =
        e && typeof e === "object" && "message" in e ? String((e as { message: string }).message) : String(e);
      return false;
    }
  };

  const checkState = (index: number, m: Int32Array): void => {
    for (const inv of invariants) {
      if (inv.r.status === "violated") continue;
      if (!evalPred(inv.pred, m))
        violate(inv.r, {
          choices: pathTo(store, index),
          message: predError
            ? `invariant ${inv.r.name} cannot be evaluated: ${predError}`
            : `invariant ${inv.r.name} is false`,
          span: null,
          fault: null,
          sleeper: null,
        });
    }
    for (const re of reachables) {
      if (re.found) continue;
      if (evalPred(re.pred, m)) {
        re.found = true;
        re.r.status = "holds";
        re.r.witness = pathTo(store, index);
      }
    }
  };

  // Successor handling: the sink is one object so the hot loop allocates nothing per state.
  let parent = 0;
  let parentDepth = 0;
  let succTargets = new Int32Array(64);
  const tooManyChoices = (choice: number): boolean => {
    if (choice <= MAX_CHOICE) return false;
    // Choices are stored in 16 bits; a state with more successors cannot be traced.
    if (runtime.status !== "violated")
      violate(runtime, {
        choices: pathTo(store, parent),
        message: `a state has more than ${MAX_CHOICE + 1} successors (several choose() calls in one step?); choose over smaller ranges`,
        span: null,
        fault: "too_many_choices",
        sleeper: null,
      });
    return true;
  };
  const sink = {
    successor(next: Int32Array, choice: number, dirty: number): void {
      transitions++;
      if (tooManyChoices(choice) || full()) return;
      store.stage(next, choice, dirty);
    },
    successorMemo(leaf: MemoNode, choice: number): void {
      transitions++;
      if (tooManyChoices(choice) || full()) return;
      (collapsed as CollapseStore).stageDelta(leaf.delta, leaf.blocks, choice);
    },
    fault(f: StepFault, choice: number): void {
      transitions++;
      const r = FAULT_PROPERTY[f.kind] === "assertion" ? assertion : runtime;
      if (r.status === "violated") return;
      violate(r, {
        choices: [...pathTo(store, parent), choice],
        message: f.message,
        span: f.span,
        fault: f.kind,
        sleeper: null,
      });
    },
  };

  const bigStates = words >= 4096;
  let memoryFull = false;
  /**
   * Whether the store could pass maxStates if one more successor were staged (staged ones may
   * turn out to be old states, so this errs on the side of storing fewer). Checked for every
   * successor: a state of a wide spec can have thousands, and the limit must hold to the state.
   */
  const full = (): boolean => {
    if (capped) return true;
    if (store.size + store.stagedCount < opts.maxStates) {
      // Large states: the staged successors of one state may be gigabytes (-D N=10000 gives
      // 10,000 successors of 900 KiB), so memory is checked per successor too.
      if (!bigStates || heldBytes() + store.stagedCount * words * 4 < opts.memoryLimit) return false;
      memoryFull = true;
    }
    capped = true;
    return true;
  };

  /** Everything the search holds, in bytes: what --memory limits and the report shows. */
  const heldBytes = (): number =>
    store.bytes() + frontier.bytes() + (edges?.bytes() ?? 0) + (memo?.bytes() ?? 0);
  const t0 = opts.startedAt ?? started;
  // Time and memory are read every 256 successors, more often for large states (a successor of
  // a 1 MiB state costs a millisecond); the state count at every batch.
  const checkEvery = Math.max(1, Math.min(256, Math.floor(2 ** 18 / words)));
  let checkedAt = -checkEvery;
  /** The first limit that is reached, or null. */
  const limitReached = (): string | null => {
    if (memoryFull) return `--memory ${Math.round(opts.memoryLimit / 2 ** 20)}`;
    if (capped || store.size >= opts.maxStates) return `--max-states ${opts.maxStates}`;
    if (transitions - checkedAt < checkEvery) return null;
    checkedAt = transitions;
    if (opts.timeLimit > 0 && (performance.now() - t0) / 1000 >= opts.timeLimit)
      return `--time-limit ${opts.timeLimit}`;
    if (heldBytes() >= opts.memoryLimit) return `--memory ${Math.round(opts.memoryLimit / 2 ** 20)}`;
    return null;
  };

  const init = sys.initial();
  const root = store.insert(init, -1, 0, 0);
  frontier.push(root);

  const buf = new Int32Array(words);
  let lastProgress = started;
  let sinceCheck = 0;
  // BFS expands a few queued states before it inserts all their successors in one commit: the
  // more states a commit holds, the more of their cache misses overlap (StateStore.stage). The
  // order of states is unchanged, as every state of a batch was queued before the batch began.
  // DFS inserts at once: the next state it pops is one of the successors.
  const batchSize = opts.strategy === "bfs" ? BFS_BATCH : 1;
  const batchParents = new Int32Array(batchSize);
  const batchCounts = new Int32Array(batchSize);
  let inBatch = 0;
  /** Inserts the staged successors of the batch's states and queues the new ones. */
  const commitBatch = (): void => {
    store.commit(succTargets);
    let at = 0;
    for (let b = 0; b < inBatch; b++) {
      const from = batchParents[b]!;
      const k = batchCounts[b]!;
      const depth = store.depth(from) + 1;
      for (let i = at; i < at + k; i++) {
        const t = succTargets[i]!;
        if (t >= 0) {
          if (depth > maxDepth) maxDepth = depth;
          frontier.push(t);
        } else succTargets[i] = -t - 1;
      }
      if (edges) edges.addRun(from, succTargets, k, at);
      at += k;
    }
    inBatch = 0;
  };
  while (!stop && frontier.size > 0) {
    if (inBatch === 0) {
      // Between batches every successor is stored, so the limits see all of them.
      limit = limitReached();
      if (limit) break;
    }
    if (++sinceCheck >= 1024) {
      sinceCheck = 0;
      const now = performance.now();
      const seconds = (now - started) / 1000;
      if (opts.onProgress && now - lastProgress >= 1000) {
        lastProgress = now;
        opts.onProgress({
          states: store.size,
          transitions,
          depth: maxDepth,
          queued: frontier.size,
          seconds,
          bytes: heldBytes(),
        });
      }
    }
    // A batch ends when the queue or the batch is used up, and before the limits are checked, so
    // that they see every state found so far (and cut where they would without batches).
    const last = inBatch + 1 === batchSize || frontier.size === 1 || sinceCheck + 1 >= 1024;
    const s = frontier.pop();
    store.read(s, buf);
    // Properties of a state are checked when it is expanded, not when it is found: its
    // successors' inserts then need only their stored vectors. BFS still reports the shallowest
    // violation first, as states leave the queue in depth order.
    checkState(s, buf);
    if (stop) break;
    parent = s;
    parentDepth = store.depth(s);
    if (parentDepth >= opts.maxDepth) {
      cutByDepth = true;
      if (last && inBatch > 0) commitBatch();
      continue;
    }
    const before = store.stagedCount;
    store.from(s, parentDepth + 1);
    const r = sys.expand(buf, sink, memo);
    // The successors were staged; they are inserted with the rest of the batch.
    const total = store.stagedCount;
    if (succTargets.length < total) succTargets = new Int32Array(2 * total);
    batchParents[inBatch] = s;
    batchCounts[inBatch] = total - before;
    inBatch++;
    if (last) commitBatch();
    const n = r & COUNT_MASK;
    if (n === 0 && (r & EXPAND_PRUNED) === 0) {
      // A terminal state: either everyone is done (check final properties) or a deadlock.
      if (sys.allExited(buf)) {
        runEnded = true;
        if (leak && leak.status !== "violated") {
          const l = findLeak(sys.program, sys.layout, buf);
          if (l)
            violate(leak, {
              choices: pathTo(store, s),
              message: l.message,
              span: null,
              fault: null,
              sleeper: null,
            });
        }
        for (const f of finals) {
          if (f.r.status === "violated") continue;
          if (!evalPred(f.pred, buf))
            violate(f.r, {
              choices: pathTo(store, s),
              message: predError
                ? `final ${f.r.name} cannot be evaluated: ${predError}`
                : `final ${f.r.name} is false when every process has exited`,
              span: null,
              fault: null,
              sleeper: null,
            });
        }
      } else if (deadlock.status !== "violated") {
        violate(deadlock, {
          choices: pathTo(store, s),
          message: lockupMessage(sys, buf) ?? "no process can take a step",
          span: null,
          fault: null,
          sleeper: null,
        });
      }
    }
  }
  // A violation or a limit may end the loop inside a batch: its successors are stored all the same.
  if (inBatch > 0) commitBatch();
  if (!limit && capped) limit = limitReached();
  if (limit && !limit.startsWith("--time-limit")) {
    // States found but never expanded are still checked: a violation among them is real. Not
    // after the time limit, which must hold: reading every queued state can take seconds.
    while (!stop && frontier.size > 0) {
      const s = frontier.pop();
      store.read(s, buf);
      checkState(s, buf);
    }
  }
  if (!limit && cutByDepth) limit = `--max-depth ${opts.maxDepth}`;
  const complete = !limit && !stop;

  if (edges && complete && stuck.status !== "violated") {
    const found = findStuckWaiters(sys, store, edges);
    if (found) violate(stuck, found);
  }

  // What a search that was cut short cannot say.
  for (const r of results.values()) {
    if (r.status === "violated") continue;
    if (r.kind === "reachable") {
      if (!r.witness) r.status = complete ? "violated" : "inconclusive";
      if (r.status === "violated")
        r.counterexample = {
          choices: [],
          message: `reachable ${r.name}: no explored state satisfies it (the search covered all ${store.size} states)`,
          span: null,
          fault: null,
          sleeper: null,
        };
      continue;
    }
    if (!complete) r.status = "inconclusive";
    if (r.kind === "stuck_waiter" && !edges) r.status = "inconclusive";
    // A final property speaks of the runs that end. If none does, it was never checked, and
    // "holds" would pass a program whose processes loop for ever (attack 14).
    if (r.kind === "final" && !runEnded) r.status = "inconclusive";
  }

  const seconds = (performance.now() - started) / 1000;
  const properties = [...results.values()];
  const verdict = properties.some((p) => p.status === "violated")
    ? "violated"
    : properties.some((p) => p.status === "inconclusive")
      ? "inconclusive"
      : "holds";
  return {
    verdict,
    properties,
    stats: {
      states: store.size,
      transitions,
      depth: maxDepth,
      seconds,
      statesPerSecond: seconds > 0 ? store.size / seconds : store.size,
      bytes: heldBytes(),
      peakRss: resourceUsage().maxRSS * 1024,
      stateWords: words,
      remembered: memo?.hits ?? 0,
    },
    limit,
  };
}
