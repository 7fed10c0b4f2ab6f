// The text report: a counterexample reads top to bottom and ends by saying what went wrong.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { explore } from "../checker/explore";
import { System } from "../checker/system";
import { buildTrace } from "../checker/trace";
import { loadProgram } from "../model/load";
import { explain, renderTrace, renderTraceColumns } from "./text";

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
