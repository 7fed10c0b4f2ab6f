// Law suites over random KC programs: every search order, the explorer and a reference explorer
// (plain BFS over a Map, stepping with the reference interpreter) must agree on states,
// transitions and verdicts; BFS counterexamples are shortest; counterexamples replay; and
// expanding a state is deterministic.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  IRQ_CLI,
  type Slot,
  startTask,
  T_ATOMIC,
  T_IRQOFF,
  T_PC,
  TASK_INTERRUPTIBLE,
  TASK_RUNNING,
  TASK_ZOMBIE,
} from "../model/layout";
import { loadProgram } from "../model/load";
import { CUT, FAULT, type FaultKind, MOVED, NEED_CHOICE, PRUNED, StepContext } from "./compile";
import { explore } from "./explore";
import { buildInitialState } from "./init";
import { interpretProperty, interpretStep } from "./interpret";
import { findLeak } from "./leaks";
import type { Counterexample, Outcome } from "./outcome";
import { EXPAND_PRUNED, MAX_CHOICE_SPAN, System } from "./system";
import { kcProgram } from "./testing/randomPrograms";

/** Programs whose reference search passes this many states are skipped, not compared. */
const STATE_CAP = 2500;
const RUNS = 100;

function system(text: string): System {
  const r = loadProgram("random.kc", {}, text);
  if (!r.ok)
    throw new Error(
      `does not compile:\n${text}\n${r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n")}`,
    );
  return new System(r.program);
}

const keyOf = (m: Int32Array): string => m.join(",");

// ---------------------------------------------------------------- the reference explorer

/** One choice of a state, as the reference sees it. */
interface RefChoice {
  slot: number;
  values: number[];
  next: Int32Array | null;
  fault: FaultKind | null;
}

/**
 * The successors of `src` written from the documented rules, stepping with the interpreter:
 * tasks inside atomic or with interrupts off by cli go first and alone if any of them can move (or
 * had its step cut by a failed assume);
 * otherwise every other process in slot order, then every handler (which fires from its entry
 * as one step, or not at all). A choose step is tried with every value, in order.
 */
function refExpand(sys: System, src: Int32Array): { choices: RefChoice[]; pruned: boolean } {
  const { procs, slots } = sys.layout;
  const choices: RefChoice[] = [];
  let pruned = false;
  const holds = (s: Slot): boolean =>
    src[s.base + T_PC] !== 0 && (src[s.base + T_ATOMIC]! | (src[s.base + T_IRQOFF]! & IRQ_CLI)) !== 0;
  const attempt = (slotIndex: number, values: number[]): void => {
    const s = slots[slotIndex] as Slot;
    const m = src.slice();
    if (s.kind === "interrupt") {
      startTask(sys.program, m, s);
    }
    const ctx = new StepContext();
    ctx.cv = [...values];
    const run = () => interpretStep(sys.program, m, s.base, s.task, s.self, s.stackEnd, ctx);
    let r = run();
    if (r === CUT) {
      // A fault behind a finished visible group: the step ends after that group instead.
      m.set(src);
      ctx.cpos = 0;
      ctx.short = true;
      r = run();
    }
    if (r === MOVED) {
      if (s.kind === "interrupt" && m[s.base + T_PC] !== 0) return; // stopped half way: did not fire
      // pc 0 means "exited" and nothing else: a process gets there only through its exit.
      if (
        s.kind === "process" &&
        m[s.base + T_PC] === 0 &&
        m[s.task + sys.program.task.state] !== TASK_ZOMBIE
      )
        throw new Error(`${s.label} has pc 0 without having exited`);
      choices.push({ slot: slotIndex, values, next: m, fault: null });
    } else if (r === FAULT) choices.push({ slot: slotIndex, values, next: null, fault: ctx.faultKind });
    else if (r === PRUNED) {
      // A handler's failed assume is its guard (it does not fire); a process's ends the path.
      if (s.kind !== "interrupt") pruned = true;
    } else if (r === NEED_CHOICE) {
      if (ctx.hi - ctx.lo + 1 > MAX_CHOICE_SPAN)
        choices.push({ slot: slotIndex, values, next: null, fault: "empty_choice" });
      else for (let v = ctx.lo; v <= ctx.hi; v++) attempt(slotIndex, [...values, v]);
    }
  };
  const handlers = (): void => {
    for (const s of sys.layout.handlers) attempt(slots.indexOf(s), []);
  };
  // The up model: a task in the kernel that holds the CPU runs alone but for interrupt handlers
  // (while it has interrupts on and is not in atomic). If it cannot move: with interrupts off
  // nothing runs (a lockup); spinning in atomic, only handlers; waiting in a plain await, it
  // sleeps and the CPU is free, so the rules below apply as when nobody holds it.
  const cpu = sys.program.model === "up" ? (src[sys.program.cpuWord] as number) : 0;
  if (cpu !== 0) {
    const holder = procs.find((s) => s.base === cpu);
    if (!holder) throw new Error(`the CPU word holds ${cpu}, which is no task`);
    attempt(slots.indexOf(holder), []);
    const irqOff = src[cpu + T_IRQOFF] !== 0;
    const inAtomic = src[cpu + T_ATOMIC] !== 0;
    if (choices.length > 0 || pruned) {
      if (!irqOff && !inAtomic) handlers();
      return { choices, pruned };
    }
    if (irqOff) return { choices, pruned };
    if (inAtomic) {
      handlers();
      return { choices, pruned };
    }
  }
  const exclusive = procs.filter(holds);
  for (const s of exclusive) attempt(slots.indexOf(s), []);
  // A task holding the CPU whose step was pruned still holds it: nobody runs in its place.
  if (choices.length > 0 || pruned) return { choices, pruned };
  // One blocked with interrupts off, and not asleep in schedule(), keeps the CPU: a lockup.
  if (exclusive.some((s) => (src[s.base + T_IRQOFF]! & IRQ_CLI) !== 0 && !sys.asleep(src, procs.indexOf(s))))
    return { choices, pruned };
  for (const s of procs)
    if (src[s.base + T_PC] !== 0 && !exclusive.includes(s)) attempt(slots.indexOf(s), []);
  handlers();
  return { choices, pruned };
}

/** The reachable graph, breadth first: `depth` is the shortest distance from the initial state. */
interface RefGraph {
  states: Int32Array[];
  index: Map<string, number>;
  depth: number[];
  /** Successor state indices, one per successor choice (faults are not edges). */
  succ: number[][];
  faults: FaultKind[][];
  /** No choice at all and no step cut by an assume: a deadlock, or everyone has exited. */
  terminal: boolean[];
  transitions: number;
  complete: boolean;
}

function refExplore(sys: System, cap: number): RefGraph {
  const g: RefGraph = {
    states: [],
    index: new Map(),
    depth: [],
    succ: [],
    faults: [],
    terminal: [],
    transitions: 0,
    complete: true,
  };
  const add = (m: Int32Array, depth: number): number => {
    const k = keyOf(m);
    const known = g.index.get(k);
    if (known !== undefined) return known;
    g.index.set(k, g.states.length);
    g.states.push(m);
    g.depth.push(depth);
    return g.states.length - 1;
  };
  // The reference builds the initial state too: init run by the interpreter.
  add(
    buildInitialState(sys.program, sys.layout, (m, tb, cur, self, lim, ctx) =>
      interpretStep(sys.program, m, tb, cur, self, lim, ctx),
    ),
    0,
  );
  for (let i = 0; i < g.states.length; i++) {
    if (g.states.length > cap) {
      g.complete = false;
      break;
    }
    const { choices, pruned } = refExpand(sys, g.states[i] as Int32Array);
    g.transitions += choices.length;
    g.succ[i] = choices
      .filter((c) => c.next)
      .map((c) => add(c.next as Int32Array, (g.depth[i] as number) + 1));
    g.faults[i] = choices.flatMap((c) => (c.fault ? [c.fault] : []));
    g.terminal[i] = choices.length === 0 && !pruned;
  }
  return g;
}

function allExited(sys: System, m: Int32Array): boolean {
  return sys.layout.procs.every((s) => m[s.base + T_PC] === 0);
}

/**
 * A process asleep in schedule(): its pc at a schedule() call and its state not running, and
 * not an interruptible sleeper with an unblocked signal pending (that one wakes at its next step).
 */
function asleep(sys: System, m: Int32Array, proc: number): boolean {
  const s = sys.layout.procs[proc] as Slot;
  const pc = m[s.base + T_PC]!;
  const ins = sys.program.code[pc];
  const t = sys.program.task;
  const st = m[s.task + t.state]!;
  const signalled = st === TASK_INTERRUPTIBLE && (m[s.task + t.signal]! & ~m[s.task + t.blocked]!) !== 0;
  return pc !== 0 && st !== TASK_RUNNING && !signalled && ins?.k === "prim" && ins.name === "schedule";
}

/** Property `name` on `m` by the reference interpreter; a fault while evaluating counts as false. */
function holds(sys: System, name: string, m: Int32Array): boolean {
  const i = sys.program.properties.findIndex((p) => p.name === name);
  try {
    return interpretProperty(sys.program, i, m) !== 0;
  } catch {
    return false;
  }
}

/** Strongly connected components (iterative Kosaraju); returns the component of each state. */
function components(succ: number[][]): number[] {
  const n = succ.length;
  const order: number[] = [];
  const seen = new Uint8Array(n);
  for (let root = 0; root < n; root++) {
    if (seen[root]) continue;
    seen[root] = 1;
    const stack: Array<[number, number]> = [[root, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as [number, number];
      const next = succ[top[0]]?.[top[1]++];
      if (next === undefined) {
        order.push(top[0]);
        stack.pop();
      } else if (!seen[next]) {
        seen[next] = 1;
        stack.push([next, 0]);
      }
    }
  }
  const pred: number[][] = Array.from({ length: n }, () => []);
  succ.forEach((ts, v) => {
    for (const t of ts) pred[t]?.push(v);
  });
  const comp = new Array<number>(n).fill(-1);
  let count = 0;
  for (let k = n - 1; k >= 0; k--) {
    const root = order[k] as number;
    if (comp[root] !== -1) continue;
    const stack = [root];
    comp[root] = count;
    while (stack.length > 0) {
      const v = stack.pop() as number;
      for (const u of pred[v] ?? [])
        if (comp[u] === -1) {
          comp[u] = count;
          stack.push(u);
        }
    }
    count++;
  }
  return comp;
}

/** What the reference says about every property: violated ones with their shortest counterexample length. */
interface RefVerdicts {
  /** Violated property → length of its shortest counterexample (0 for an unreachable `reachable`). */
  violated: Map<string, number>;
  /** Reachable property that holds → distance of its nearest witness. */
  witness: Map<string, number>;
  /** `stateKey|proc` for every state in which that process sleeps forever. */
  stuck: Set<string>;
}

function refVerdicts(sys: System, g: RefGraph): RefVerdicts {
  const violated = new Map<string, number>();
  const witness = new Map<string, number>();
  const found = (into: Map<string, number>, name: string, d: number): void => {
    if (!into.has(name) || (into.get(name) as number) > d) into.set(name, d);
  };
  const props = sys.program.properties;
  g.states.forEach((m, i) => {
    const d = g.depth[i] as number;
    for (const p of props) {
      if (p.kind === "invariant" && !holds(sys, p.name, m)) found(violated, p.name, d);
      if (p.kind === "reachable" && holds(sys, p.name, m)) found(witness, p.name, d);
      if (p.kind === "final" && g.terminal[i] && allExited(sys, m) && !holds(sys, p.name, m))
        found(violated, p.name, d);
    }
    for (const f of g.faults[i] ?? [])
      found(violated, f === "assertion" ? "assertion" : "runtime_error", d + 1);
    if (g.terminal[i] && !allExited(sys, m)) found(violated, "deadlock", d);
    if (g.terminal[i] && allExited(sys, m) && findLeak(sys.program, sys.layout, m))
      found(violated, "memory_leak", d);
  });
  for (const p of props) if (p.kind === "reachable" && !witness.has(p.name)) violated.set(p.name, 0);

  // Stuck waiters: a process asleep in every state of a bottom strongly connected component.
  const comp = components(g.succ);
  const bottom = new Set(comp);
  g.succ.forEach((ts, v) => {
    for (const t of ts) if (comp[t] !== comp[v]) bottom.delete(comp[v] as number);
  });
  const stuck = new Set<string>();
  const members = new Map<number, number[]>();
  comp.forEach((c, v) => {
    if (bottom.has(c)) members.set(c, [...(members.get(c) ?? []), v]);
  });
  for (const vs of members.values()) {
    for (let p = 0; p < sys.layout.procs.length; p++) {
      if (!vs.every((v) => asleep(sys, g.states[v] as Int32Array, p))) continue;
      for (const v of vs) {
        stuck.add(`${keyOf(g.states[v] as Int32Array)}|${p}`);
        found(violated, "stuck_waiter", g.depth[v] as number);
      }
    }
  }
  return { violated, witness, stuck };
}

// ---------------------------------------------------------------- running the explorer

/** Explores with every state the loop expands recorded (in order), by wrapping `expand`. */
function run(
  sys: System,
  strategy: "bfs" | "dfs",
  keepGoing: boolean,
  stuckWaiters = true,
): { outcome: Outcome; expanded: string[] } {
  const expanded: string[] = [];
  const expand = sys.expand;
  sys.expand = (src, sink, memo) => {
    expanded.push(keyOf(src));
    return expand.call(sys, src, sink, memo);
  };
  try {
    return {
      outcome: explore(sys, { strategy, keepGoing, stuckWaiters, maxStates: STATE_CAP * 2 }),
      expanded,
    };
  } finally {
    sys.expand = expand;
  }
}

const violatedNames = (o: Outcome): string[] =>
  o.properties
    .filter((p) => p.status === "violated")
    .map((p) => p.name)
    .sort();

/** The reference graph and verdicts of a program, or null when it is too big to compare. */
function reference(sys: System): { g: RefGraph; v: RefVerdicts } | null {
  const g = refExplore(sys, STATE_CAP);
  return g.complete ? { g, v: refVerdicts(sys, g) } : null;
}

// ---------------------------------------------------------------- replay

/**
 * Follows `choices` with System.choices from the initial state: the state reached, or the
 * state before and the fault when the last choice is one. Throws when a choice does not exist
 * or a fault comes before the end.
 */
function replayTo(sys: System, choices: number[]): { m: Int32Array; fault: FaultKind | null } {
  let m = sys.initial();
  for (let j = 0; j < choices.length; j++) {
    const all = sys.choices(m);
    const chosen = all[choices[j] as number];
    if (!chosen) throw new Error(`step ${j}: choice ${choices[j]} of ${all.length}`);
    // The tracing replay of the same choice (what traces are built from) must agree.
    const traced = sys.replayChoice(m, chosen.choice);
    if (
      (traced.fault?.kind ?? null) !== (chosen.fault?.kind ?? null) ||
      (!chosen.fault && keyOf(traced.next) !== keyOf(chosen.next as Int32Array))
    )
      throw new Error(`step ${j}: replayChoice disagrees with choices`);
    if (chosen.fault) {
      if (j !== choices.length - 1) throw new Error(`step ${j}: a fault before the end of the trace`);
      return { m, fault: chosen.fault.kind };
    }
    m = chosen.next as Int32Array;
  }
  return { m, fault: null };
}

/** Why replaying counterexample `cx` of property `name` does not show the violation, or null. */
function replayProblem(
  sys: System,
  name: string,
  kind: string,
  cx: Counterexample,
  ref: RefVerdicts,
): string | null {
  const { m, fault } = replayTo(sys, cx.choices);
  const terminal = (): boolean => sys.expand(m, { successor() {}, fault() {} }) === 0;
  switch (kind) {
    case "assertion":
      return fault === "assertion" && cx.fault === fault
        ? null
        : `ends in ${fault ?? "no fault"}, reported ${cx.fault}`;
    case "runtime_error":
      return fault !== null && fault !== "assertion" && cx.fault === fault
        ? null
        : `ends in ${fault ?? "no fault"}, reported ${cx.fault}`;
    case "invariant":
      return fault === null && !holds(sys, name, m) ? null : "the invariant holds in the state reached";
    case "final":
      return fault === null && allExited(sys, m) && terminal() && !holds(sys, name, m)
        ? null
        : "not a final state violating it";
    case "deadlock":
      return fault === null && !allExited(sys, m) && terminal()
        ? null
        : "the state reached is not a deadlock";
    case "memory_leak":
      return fault === null && allExited(sys, m) && terminal() && findLeak(sys.program, sys.layout, m)
        ? null
        : "the state reached leaks nothing";
    case "stuck_waiter":
      return fault === null &&
        cx.sleeper !== null &&
        asleep(sys, m, cx.sleeper) &&
        ref.stuck.has(`${keyOf(m)}|${cx.sleeper}`)
        ? null
        : `process ${cx.sleeper} does not sleep forever in the state reached`;
    case "reachable":
      return cx.choices.length === 0 && !ref.witness.has(name)
        ? null
        : "a reachable property reported unreachable";
    default:
      return `unknown property kind ${kind}`;
  }
}

// ---------------------------------------------------------------- the laws

describe("search laws over random programs", () => {
  it("BFS and DFS expand exactly the reference's states, each once", () => {
    fc.assert(
      fc.property(kcProgram(), (text) => {
        const sys = system(text);
        const ref = reference(sys);
        if (!ref) return;
        const want = [...ref.g.index.keys()].sort();
        const results = (["bfs", "dfs"] as const).map((strategy) => run(sys, strategy, true));
        for (const { outcome, expanded } of results) {
          expect(outcome.limit).toBeNull();
          expect(expanded.length).toBe(new Set(expanded).size);
          expect([...expanded].sort()).toEqual(want);
          expect(outcome.stats.states).toBe(want.length);
        }
        const [bfs, dfs] = results as [(typeof results)[0], (typeof results)[0]];
        expect(dfs.outcome.stats.transitions).toBe(bfs.outcome.stats.transitions);
        expect(violatedNames(dfs.outcome)).toEqual(violatedNames(bfs.outcome));
      }),
      { numRuns: RUNS },
    );
  });

  it("the explorer agrees with the reference explorer on states, transitions and verdicts", () => {
    fc.assert(
      fc.property(kcProgram(), fc.constantFrom("bfs" as const, "dfs" as const), (text, strategy) => {
        const sys = system(text);
        const ref = reference(sys);
        if (!ref) return;
        const { outcome } = run(sys, strategy, true);
        expect(outcome.stats.states).toBe(ref.g.states.length);
        expect(outcome.stats.transitions).toBe(ref.g.transitions);
        expect(violatedNames(outcome)).toEqual([...ref.v.violated.keys()].sort());
        // A final property is checked only if some run ends with every process exited; with no
        // such run it is inconclusive, never "holds".
        const someRunEnds = ref.g.states.some((m, i) => ref.g.terminal[i] && allExited(sys, m));
        for (const p of outcome.properties)
          if (p.status !== "violated")
            expect([p.name, p.status]).toEqual([
              p.name,
              p.kind === "final" && !someRunEnds ? "inconclusive" : "holds",
            ]);
        // Without the stuck-waiter check that property is unknown, the others unchanged.
        const plain = run(sys, strategy, true, false).outcome;
        expect(violatedNames(plain)).toEqual(
          [...ref.v.violated.keys()].filter((n) => n !== "stuck_waiter").sort(),
        );
        // Stopping at the first violation: some violation iff there is one, and only real ones.
        const first = run(sys, strategy, false).outcome;
        expect(violatedNames(first).length > 0).toBe(ref.v.violated.size > 0);
        for (const n of violatedNames(first)) expect(ref.v.violated.has(n)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("merging local-only statements into their neighbours never changes a verdict", () => {
    fc.assert(
      fc.property(kcProgram(), (text) => {
        const merged = system(text);
        const plainLoad = loadProgram("random.kc", { noMerge: true }, text);
        if (!plainLoad.ok) throw new Error("does not compile without merging");
        const plain = new System(plainLoad.program);
        const a = explore(merged, { keepGoing: true, maxStates: 20_000 });
        const b = explore(plain, { keepGoing: true, maxStates: 20_000 });
        if (a.limit || b.limit) return;
        // An endless loop over locals is one step that never ends when merged (a fault), and a
        // cycle of steps when not: the one intended difference.
        const loops = (o: Outcome) => o.properties.some((p) => p.counterexample?.fault === "infinite_loop");
        if (loops(a)) return;
        expect(violatedNames(a)).toEqual(violatedNames(b));
        // Merging only removes intermediate states.
        expect(a.stats.states).toBeLessThanOrEqual(b.stats.states);
      }),
      { numRuns: RUNS },
    );
  });

  it("merging never hides a value written to a local whose address is out, however it got out", () => {
    // Process a publishes a local's address in one of the ways C allows, then writes values to it
    // by name; process b reads through the pointer. Every written value must be seen by b with
    // merging as without it (a `reachable` per value makes a hidden one a different verdict).
    const publish = [
      { decl: "int x = 0;", pub: "pub = &x;", lv: "x" },
      { decl: "int a[2] = { 0, 0 };", pub: "pub = a;", lv: "a[0]" },
      { decl: "struct box b = { 0, { 0 } };", pub: "pub = b.arr;", lv: "b.arr[0]" },
      { decl: "struct box b = { 0, { 0 } };", pub: "pub = &b.v;", lv: "b.v" },
      { decl: "int x = 0;", pub: "keep(&x);", lv: "x" },
    ];
    const writes = ["= 1", "= 2", "+= 3", "= choose(4, 5)"];
    fc.assert(
      fc.property(
        fc.nat(publish.length - 1),
        fc.array(fc.nat(writes.length - 1), { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (how, ws, inBlock) => {
          const p = publish[how] as (typeof publish)[number];
          const body = `${p.decl} ${p.pub} ${ws.map((w) => `${p.lv} ${writes[w]};`).join(" ")}`;
          const text = [
            "struct box { int v; int arr[1]; }; int *pub; int seen = -1; int done;",
            "void keep(int *q) { pub = q; }",
            `process a { ${inBlock ? `{ ${body} await(done); }` : `${body} await(done);`} }`,
            "process b { await(pub != NULL); seen = *pub; done = 1; }",
            ...[1, 2, 3, 4, 5, 6].map((v) => `reachable saw${v}: seen == ${v};`),
          ].join("\n");
          const merged = explore(system(text), { keepGoing: true });
          const plainLoad = loadProgram("escape.kc", { noMerge: true }, text);
          if (!plainLoad.ok) throw new Error("does not compile without merging");
          const plain = explore(new System(plainLoad.program), { keepGoing: true });
          expect(violatedNames(merged)).toEqual(violatedNames(plain));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("BFS counterexamples and witnesses are shortest", () => {
    fc.assert(
      fc.property(kcProgram(), fc.boolean(), (text, keepGoing) => {
        const sys = system(text);
        const ref = reference(sys);
        if (!ref) return;
        const { outcome } = run(sys, "bfs", keepGoing);
        for (const p of outcome.properties) {
          if (p.status === "violated" && p.counterexample && !(p.kind === "reachable"))
            expect([p.name, p.counterexample.choices.length]).toEqual([p.name, ref.v.violated.get(p.name)]);
          if (p.kind === "reachable" && p.witness)
            expect([p.name, p.witness.length]).toEqual([p.name, ref.v.witness.get(p.name)]);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("every counterexample and witness replays to what it claims", () => {
    fc.assert(
      fc.property(kcProgram(), fc.constantFrom("bfs" as const, "dfs" as const), (text, strategy) => {
        const sys = system(text);
        const ref = reference(sys);
        if (!ref) return;
        const { outcome } = run(sys, strategy, true);
        for (const p of outcome.properties) {
          if (p.status === "violated") {
            expect(p.counterexample).not.toBeNull();
            const problem = replayProblem(sys, p.name, p.kind, p.counterexample as Counterexample, ref.v);
            expect([p.name, problem]).toEqual([p.name, null]);
          }
          if (p.witness)
            expect([p.name, holds(sys, p.name, replayTo(sys, p.witness).m)]).toEqual([p.name, true]);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("init builds the same initial state compiled and interpreted", () => {
    fc.assert(
      fc.property(kcProgram(), (text) => {
        const sys = system(text);
        const p = sys.program;
        const ref = buildInitialState(p, sys.layout, (m, tb, cur, self, lim, ctx) =>
          interpretStep(p, m, tb, cur, self, lim, ctx),
        );
        expect(keyOf(ref)).toBe(keyOf(sys.initial()));
      }),
      { numRuns: RUNS },
    );
  });

  it("expanding a state is deterministic, leaves it unchanged and matches the reference expansion", () => {
    fc.assert(
      fc.property(kcProgram(), (text) => {
        const sys = system(text);
        const g = refExplore(sys, 600);
        // Compared as text: deep equality of typed arrays is slow, and text shows the difference.
        const show = (
          cs: Array<{ slot: number; values: number[]; next: Int32Array | null; fault: string | null }>,
        ): string =>
          cs
            .map((c) => `${c.slot}[${c.values.join(" ")}] ${c.fault ?? keyOf(c.next as Int32Array)}`)
            .join("\n");
        const ours = (m: Int32Array): string =>
          show(
            sys.choices(m).map((c) => ({
              slot: c.choice.slot,
              values: c.choice.values,
              next: c.next,
              fault: c.fault?.kind ?? null,
            })),
          );
        for (const m of g.states) {
          const before = keyOf(m);
          const first = ours(m);
          expect(ours(m)).toBe(first);
          expect(keyOf(m)).toBe(before);
          const want = refExpand(sys, m);
          expect(first).toBe(show(want.choices));
          const pruned = (sys.expand(m, { successor() {}, fault() {} }) & EXPAND_PRUNED) !== 0;
          expect(pruned).toBe(want.pruned);
        }
      }),
      { numRuns: RUNS },
    );
  });
});
