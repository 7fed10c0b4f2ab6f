// The text report: a counterexample reads top to bottom and ends by saying what went wrong.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { explore } from "../checker/explore";
import type { Outcome, PropertyResult } from "../checker/outcome";
import { System } from "../checker/system";
import { buildTrace, type Trace, type TraceStep } from "../checker/trace";
import { loadProgram } from "../model/load";
import { explain, renderReport, renderTrace, renderTraceColumns, STEPS_SHOWN, wakeStory } from "./text";

function counterexample(spec: string, property: string) {
  const r = loadProgram(join(__dirname, "..", spec));
  if (!r.ok) throw new Error("spec does not compile");
  const sys = new System(r.program);
  const o = explore(sys, { keepGoing: true });
  const p = o.properties.find((q) => q.name === property);
  if (!p?.counterexample) throw new Error(`${property} is not violated`);
  return { p, trace: buildTrace(sys, r.sources, p.counterexample.choices).trace };
}

describe("text report", () => {
  it("tells a sleep_on lost wake-up in kernel words", () => {
    const { p, trace } = counterexample("specs/ksem/down-up.bug-sleep-on.kc", "stuck_waiter");
    const text = explain(p, trace);
    expect(text).toMatch(/^worker\[\d\] sleeps on sem\.wait forever/);
    expect(text).toMatch(
      /The last wake-up ran at step \d+ \(worker\[\d\]\), before worker\[\d\] had queued itself \(step \d+\)/,
    );
    expect(text).toContain("a lost wake-up");
  });

  it("says when no wake-up ever comes", () => {
    const { p, trace } = counterexample("specs/ksem/down-up.bug-missing-wake-up.kc", "stuck_waiter");
    expect(explain(p, trace)).toMatch(/got ready to sleep at step \d+, and no step calls a wake-up after it/);
  });

  it("lists each step's process, location, statement and named changes", () => {
    const { trace } = counterexample("specs/ksem/down-up.bug-token-not-consumed.kc", "mutual_exclusion");
    const text = renderTrace(trace);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^step\s+process\s+where\s+statement \/ memory changed$/);
    expect(lines[1]).toMatch(/^\s+1\s+worker\[\d\]\s+down-up\.bug-token-not-consumed\.kc:\d+ /);
    expect(text).toMatch(/holders: 1 → 2/);
    expect(text).toContain("at the end:");
  });

  it("puts each process in its own column with --columns", () => {
    const { trace } = counterexample("specs/ksem/down-up.bug-sleep-on.kc", "stuck_waiter");
    const lines = renderTraceColumns(trace, 120).split("\n");
    expect(lines[0]).toMatch(/^step\s+worker\[\d\]\s+\| worker\[\d\]$/);
    const bar = (lines[1] as string).indexOf("+");
    expect(bar).toBeGreaterThan(10);
    // A step of the second worker writes right of the bar, one of the first left of it.
    const second = trace.steps.find((st) => st.process === lines[0]?.split("|")[1]?.trim());
    const row = lines.find((l) => l.startsWith(String(second?.n).padStart(4)));
    expect(row?.slice(6, bar).trim()).toBe("");
    expect(row?.slice(bar + 2).trim().length).toBeGreaterThan(0);
    expect(lines.every((l) => l.length <= 120)).toBe(true);
  });
});

/** A made-up trace of `n` steps of two processes, each running `text` and failing with `fault` at the end. */
function syntheticTrace(n: number, text = "x++;", fault = "boom"): Trace {
  const steps: TraceStep[] = [];
  for (let i = 1; i <= n; i++)
    steps.push({
      n: i,
      choice: 0,
      slot: i % 2,
      process: `p[${i % 2}]`,
      entered: [],
      kind: "process",
      values: [],
      statements: [{ file: "spec.kc", line: i, col: 1, text }],
      changes: [{ name: "x", from: String(i - 1), to: String(i) }],
      fault: i === n ? { kind: "assertion", message: fault, where: null } : null,
    } as TraceStep);
  return {
    steps,
    finalState: [{ name: "x", from: "0", to: String(n) }],
    tasks: [{ process: "p[0]", status: "running" }],
  };
}

function outcomeWith(p: PropertyResult, extra: PropertyResult[] = []): Outcome {
  return {
    verdict: "violated",
    properties: [p, ...extra],
    limit: null,
    stats: {
      states: 1,
      transitions: 1,
      depth: 1,
      seconds: 0,
      statesPerSecond: 0,
      bytes: 0,
      peakRss: 0,
      stateWords: 1,
      remembered: 0,
    },
  };
}

const violated = (name: string, message: string): PropertyResult => ({
  name,
  kind: "assertion",
  status: "violated",
  counterexample: { choices: [], message, span: null, fault: null, sleeper: null },
  witness: null,
});

describe("long counterexamples", () => {
  it("prints a 200,000-step counterexample as its start and end, and every step when asked", () => {
    const trace = syntheticTrace(200_000);
    const text = renderTrace(trace);
    const omitted = 200_000 - STEPS_SHOWN.head - STEPS_SHOWN.tail;
    expect(text).toContain(
      `… ${omitted.toLocaleString("en-US")} steps not shown (--full-trace prints every step`,
    );
    expect(text).toMatch(/^\s+1\s+p\[1\]/m);
    expect(text).toMatch(/^200000\s+p\[0\]/m);
    expect(text).not.toMatch(/^\s*5000\s/m);
    expect(text).toContain("✗ boom");
    const full = renderTrace(trace, true);
    expect(full).toMatch(/^\s*5000\s+p\[0\]/m);
    expect(renderTraceColumns(trace)).toContain("steps not shown");
  });

  it("renders a report whose counterexample and property list are longer than a spread allows", () => {
    const p = violated("assertion", "boom");
    const many = Array.from({ length: 200_000 }, (_, i) => ({
      ...violated(`inv${i}`, ""),
      status: "holds" as const,
    }));
    const report = renderReport({
      spec: "spec.kc",
      defines: new Map(),
      outcome: outcomeWith(p, many),
      trace: { property: p, trace: syntheticTrace(150_000) },
      replayHint: null,
      shortest: false,
      expectation: null,
    });
    expect(report).toContain("counterexample, 150,000 steps:");
    expect(report).toContain("inv199999");
  });
});

describe("control characters from a spec", () => {
  it("are escaped in statements, messages, file names and task states; a message stays one line", () => {
    const trace = syntheticTrace(
      3,
      "x++; /* \x1b[2J\x1b]0;owned\x07 */",
      "assert\nevery property holds\u202e",
    );
    trace.steps[0]?.statements.push({ file: "evil\x1b[31m.kc", line: 9, col: 1, text: "y = 1;\r" });
    (trace.tasks[0] as { status: string }).status = "asleep at \x1b[1m";
    const p = violated("assertion", "assert\nforged line\x1b[0m");
    const report = renderReport({
      spec: "dir\x1b[2J/spec.kc",
      defines: new Map([["N", 3]]),
      outcome: outcomeWith(p),
      trace: { property: p, trace },
      replayHint: null,
      shortest: false,
      expectation: null,
    });
    for (const text of [report, renderTrace(trace), renderTraceColumns(trace)]) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for raw control characters
      expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202e]/);
      expect(text).toContain("\\x1b[");
    }
    expect(report).toContain("assertion violated: assert\\x0aforged line\\x1b[0m");
    expect(report).not.toMatch(/^forged line/m);
    expect(report).not.toMatch(/^every property holds/m);
  });
});

describe("the wake-up story", () => {
  it("counts a step as a wake-up by the functions it entered, not by the words on its line", () => {
    // The waker's whole line mentions wake_up (in a comment), but no step of it calls one.
    const text = [
      "struct wait_queue *q; int done;",
      "process sleeper { struct wait_queue w = { current, NULL }; current->state = TASK_UNINTERRUPTIBLE; add_wait_queue(&q, &w); schedule(); }",
      "process waker { done = 1; /* forgets wake_up(&q) */ }",
    ].join("\n");
    const r = loadProgram("story.kc", {}, text);
    if (!r.ok) throw new Error("does not compile");
    const sys = new System(r.program);
    const o = explore(sys, { keepGoing: true });
    const p = o.properties.find((q) => q.status === "violated");
    if (!p?.counterexample) throw new Error("no violation");
    const trace = buildTrace(sys, r.sources, p.counterexample.choices).trace;
    expect(trace.steps.some((s) => s.entered.includes("add_wait_queue"))).toBe(true);
    expect(wakeStory(trace, "sleeper")).toMatch(/no step calls a wake-up after it/);
  });
});

describe("where a sleeper sleeps", () => {
  it("names a queue head on a stack or in a pool object, not only a global one", () => {
    const text = [
      "struct box { struct wait_queue *wait; int done; }; pool struct box[1];",
      "struct box *pubc; struct box *heap; int ready;",
      "process s1 { struct box b = { NULL, 0 }; struct wait_queue w = { current, NULL }; pubc = &b; current->state = TASK_UNINTERRUPTIBLE; add_wait_queue(&b.wait, &w); ready = ready + 1; schedule(); }",
      "process s2 { struct box *h = kmalloc(sizeof(struct box), GFP_KERNEL); struct wait_queue w = { current, NULL }; heap = h; current->state = TASK_UNINTERRUPTIBLE; add_wait_queue(&h->wait, &w); ready = ready + 1; schedule(); }",
      "process waker { await(ready == 2); pubc->done = 1; }",
    ].join("\n");
    const r = loadProgram("queues.kc", {}, text);
    if (!r.ok) throw new Error("does not compile");
    const sys = new System(r.program);
    const o = explore(sys, { keepGoing: true });
    const p = o.properties.find((q) => q.name === "deadlock" && q.status === "violated");
    if (!p?.counterexample) throw new Error("no deadlock");
    const tasks = buildTrace(sys, r.sources, p.counterexample.choices).trace.tasks;
    expect(tasks.find((t) => t.process === "s1")?.status).toMatch(/^asleep on s1:s1\.b\.wait /);
    expect(tasks.find((t) => t.process === "s2")?.status).toMatch(/^asleep on pool<box>\[0\]\.wait /);
  });
});
