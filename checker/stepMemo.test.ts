// The step memo is exact: with it, a search expands the same states in the same order, finds
// the same transitions and the same counterexamples as without it.
import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { loadProgram } from "../model/load";
import { explore } from "./explore";
import type { Outcome } from "./outcome";
import { StepMemo } from "./stepMemo";
import { System } from "./system";
import { kcProgram } from "./testing/randomPrograms";

function system(text: string, defines: Record<string, number> = {}): System {
  const r = loadProgram("memo.kc", { defines }, text);
  if (!r.ok) throw new Error(`does not compile:\n${text}\n${r.diagnostics.map((d) => d.message).join("\n")}`);
  return new System(r.program);
}

/** Explores with and without the memo; the states expanded, in order, and the outcomes. */
function both(sys: System, strategy: "bfs" | "dfs", keepGoing = true) {
  const runs = [true, false].map((memo) => {
    const expanded: string[] = [];
    const expand = sys.expand;
    sys.expand = (src, sink, m) => {
      expanded.push(src.join(","));
      return expand.call(sys, src, sink, m);
    };
    try {
      const outcome = explore(sys, { strategy, keepGoing, memo, maxStates: 50_000 });
      return { outcome, expanded };
    } finally {
      sys.expand = expand;
    }
  });
  return { memo: runs[0]!, plain: runs[1]! };
}

const summary = (o: Outcome) => ({
  states: o.stats.states,
  transitions: o.stats.transitions,
  depth: o.stats.depth,
  limit: o.limit,
  verdicts: o.properties.map(
    (p) =>
      `${p.name}:${p.status}:${p.counterexample?.choices.join(".") ?? ""}:${p.counterexample?.message ?? ""}:${p.witness?.join(".") ?? ""}`,
  ),
});

describe("step memo", () => {
  it("explores random programs exactly as running every step does", () => {
    let remembered = 0;
    fc.assert(
      fc.property(
        kcProgram(),
        fc.constantFrom("bfs" as const, "dfs" as const),
        fc.boolean(),
        (text, strategy, keepGoing) => {
          const { memo, plain } = both(system(text), strategy, keepGoing);
          expect(summary(memo.outcome)).toEqual(summary(plain.outcome));
          expect(memo.expanded).toEqual(plain.expanded);
          expect(plain.outcome.stats.remembered).toBe(0);
          remembered += memo.outcome.stats.remembered;
        },
      ),
      { numRuns: 300 },
    );
    // The law is about something: the memo did answer steps.
    expect(remembered).toBeGreaterThan(0);
  });

  it("writes a global the recorded step wrote even where the recorded run left it unchanged", () => {
    // b's `x = 5` is recorded from some state and answered in others, where x is 3 or 5: the
    // write must happen in both, whichever was recorded. x is never read by b.
    const text = `
      int x = 5;
      process a[1] { for (;;) { x = 3; x = 5; } }
      process b[1] { for (;;) { x = 5; } }
      reachable three: x == 3;
    `;
    const { memo, plain } = both(system(text), "bfs");
    expect(summary(memo.outcome)).toEqual(summary(plain.outcome));
    expect(memo.expanded).toEqual(plain.expanded);
    expect(memo.outcome.stats.remembered).toBeGreaterThan(0);
  });

  it("applies a wake-up's writes to whatever the sleeper's block holds (down/up, N = 3)", () => {
    // wake_up reads the wait queue and writes the sleepers' task state: words of other tasks'
    // blocks, whose indices the memo does not key on.
    const text = readFileSync(new URL("../specs/ksem/down-up.kc", import.meta.url), "utf8");
    for (const strategy of ["bfs", "dfs"] as const) {
      const { memo, plain } = both(system(text, { N: 3 }), strategy);
      expect(summary(memo.outcome)).toEqual(summary(plain.outcome));
      expect(memo.expanded).toEqual(plain.expanded);
      expect(memo.outcome.stats.remembered).toBeGreaterThan(memo.outcome.stats.transitions / 2);
    }
  });

  it("finds the bugs of the buggy variants with the same counterexamples", () => {
    const dir = new URL("../specs/ksem/", import.meta.url);
    const bugs = readdirSync(dir).filter((f) => f.includes(".bug-"));
    expect(bugs.length).toBeGreaterThan(0);
    for (const f of bugs) {
      const r = loadProgram(new URL(f, dir).pathname, {});
      if (!r.ok) throw new Error(f);
      const { memo, plain } = both(new System(r.program), "bfs", false);
      expect(summary(memo.outcome)).toEqual(summary(plain.outcome));
      expect(memo.outcome.verdict).toBe("violated");
    }
  });

  it("stops recording steps that never repeat, and runs them plainly instead", () => {
    // Every step reads a counter that never takes a value twice: nothing recorded is ever
    // answered. Recording each step would cost a hundred plain steps apiece.
    const text = "int c;\nint d;\nprocess p[2] { while (c < 3000) { c = c + 1; d = c; } }\n";
    const finish = vi.spyOn(StepMemo.prototype, "finish");
    try {
      const { memo, plain } = both(system(text), "bfs");
      expect(summary(memo.outcome)).toEqual(summary(plain.outcome));
      const recorded = finish.mock.calls.length;
      expect(memo.outcome.stats.transitions).toBeGreaterThan(10_000);
      expect(recorded).toBeLessThanOrEqual(256 + memo.outcome.stats.remembered / 32 + 1);
    } finally {
      finish.mockRestore();
    }
  });

  it("tells at most 64 values apart at a branch, and runs the steps beyond plainly", () => {
    // q counts; p's step reads the count, which takes 401 values, while the other processes
    // repeat themselves (their answers pay for recordings, so only the fan-out limit stops p's).
    const text = [
      "int c;",
      "int seen;",
      "int t[2];",
      "process q[1] { while (c < 400) c = c + 1; }",
      "process p[1] { for (;;) { seen = c & 1; } }",
      "process r[2] { for (;;) { t[self] = 1; t[self] = 2; t[self] = 0; } }",
    ].join("\n");
    let memoSeen: StepMemo | null = null;
    const find = StepMemo.prototype.find;
    const spy = vi.spyOn(StepMemo.prototype, "find").mockImplementation(function (
      this: StepMemo,
      slot,
      state,
    ) {
      memoSeen = this;
      return find.call(this, slot, state);
    });
    try {
      const { memo, plain } = both(system(text), "bfs");
      expect(summary(memo.outcome)).toEqual(summary(plain.outcome));
      expect(memo.outcome.stats.remembered).toBeGreaterThan(0);
    } finally {
      spy.mockRestore();
    }
    // Walk the memo's trees (private fields) for the widest branch.
    let widest = 0;
    const walk = (n: { keys: number[]; kids: unknown[] } | undefined): void => {
      if (!n) return;
      widest = Math.max(widest, n.keys.length);
      for (const k of n.kids) walk(k as typeof n);
    };
    const roots = (memoSeen as unknown as { roots: Array<Array<{ keys: number[]; kids: unknown[] }>> }).roots;
    for (const perSlot of roots) for (const r of perSlot) walk(r);
    expect(widest).toBe(64);
  });
});
