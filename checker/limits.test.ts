// Limits hold: a search stops within a few percent of --max-states and --memory however wide
// its states are, and --time-limit counts from when the run began (loading included).
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../model/diagnostics";
import { loadProgram } from "../model/load";
import { explore } from "./explore";
import { System } from "./system";

function system(text: string): System {
  const r = loadProgram("limits.kc", {}, text);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  return new System(r.program);
}

// Every process can step from every state: a state has as many successors as processes.
const wide = (n: number): string => `int x;\nprocess p[${n}] { for (;;) { x = x + 1; x = x - 1; } }\n`;

describe("limits", () => {
  it("--max-states holds to the state, even when one state has a thousand successors", () => {
    const o = explore(system(wide(1000)), { maxStates: 1000 });
    expect(o.limit).toBe("--max-states 1000");
    expect(o.verdict).toBe("inconclusive");
    expect(o.stats.states).toBeLessThanOrEqual(1000);
    expect(o.stats.states).toBeGreaterThan(900);
  });

  it("--max-states holds for depth-first search too", () => {
    const o = explore(system(wide(300)), { maxStates: 5000, strategy: "dfs" });
    expect(o.stats.states).toBeLessThanOrEqual(5000);
    expect(o.stats.states).toBeGreaterThan(4500);
  });

  it("--memory counts everything the search holds and holds within a few percent", () => {
    const limit = 24 * 2 ** 20;
    const o = explore(system(wide(1000)), { memoryLimit: limit });
    expect(o.limit).toBe("--memory 24");
    expect(o.stats.bytes).toBeLessThanOrEqual(limit * 1.05);
  });

  it("--memory holds for large states, where one state's successors alone would pass it", () => {
    // 5,000 tasks of 10 words: 50,000-word states, 5,000 successors each (1 GiB staged).
    const limit = 64 * 2 ** 20;
    const o = explore(system(wide(5000)), { memoryLimit: limit });
    expect(o.limit).toBe("--memory 64");
    expect(o.stats.bytes).toBeLessThanOrEqual(limit * 1.05);
  });

  it("--time-limit counts from startedAt, so time spent loading counts", () => {
    const o = explore(system(wide(3)), { timeLimit: 5, startedAt: performance.now() - 10_000 });
    expect(o.limit).toBe("--time-limit 5");
    expect(o.stats.states).toBeLessThan(100);
  });

  it("a complete search is not cut: the limits are not off by one", () => {
    const sys = system("int x;\nprocess p[2] { x = x + 1; }\n");
    const all = explore(sys).stats.states;
    expect(explore(sys, { maxStates: all + 1 }).limit).toBeNull();
  });
});

describe("the size of a state", () => {
  const codes = (text: string, defines: Record<string, number> = {}): string[] => {
    const r = loadProgram("big.kc", { defines: new Map(Object.entries(defines)) }, text);
    return r.ok ? [] : r.diagnostics.map((d) => d.code);
  };
  it("is capped before anything is allocated (KC410), wherever the words come from", () => {
    expect(codes("int a[2000000000];\nprocess p { a[0] = 1; }\n")).toEqual(["KC410"]);
    expect(codes("struct s { int a[100000]; };\npool struct s[100000];\nprocess p { }\n")).toEqual(["KC410"]);
    expect(codes("const N = 3;\nprocess p[N] { int local[1000]; local[0] = 1; }\n", { N: 10000 })).toEqual([
      "KC410",
    ]);
    expect(codes("process p { static int s[300000]; s[0] = 1; }\n")).toEqual(["KC410"]);
    expect(codes("process p { int local[300000]; local[0] = 1; }\n")).toEqual(["KC410"]);
  });
  it("lets a state up to the cap through", () => {
    expect(codes("int a[200000];\nprocess p { a[0] = 1; }\n")).toEqual([]);
  });
});

describe("large states", () => {
  it("a 1 MiB state neither compiles a packed encoder per word nor lets a limit run long", () => {
    // 250,000 globals: the packed index (a line of generated code per word, rebuilt on every
    // widening) once took seconds per state; limits are read after every successor here.
    const sys = system(
      "int a[250000]; int i;\nprocess p[2] { for (;;) { a[i] = a[i] + 1; i = (i + 1) % 250000; } }\n",
    );
    const o = explore(sys, { maxStates: 40 });
    expect(o.limit).toBe("--max-states 40");
    expect(o.stats.states).toBeLessThanOrEqual(40);
    const t = explore(sys, { timeLimit: 5, startedAt: performance.now() - 10_000 });
    expect(t.limit).toBe("--time-limit 5");
    expect(t.stats.states).toBeLessThanOrEqual(2);
  });
});
