// Successor rules of System that a random search found wrong once: each pinned by its program.
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../model/diagnostics";
import { loadProgram } from "../model/load";
import { explore } from "./explore";
import { System } from "./system";

function violated(text: string): string[] {
  const r = loadProgram("s.kc", {}, text);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  const o = explore(new System(r.program), { keepGoing: true });
  return o.properties.filter((p) => p.status === "violated").map((p) => p.name);
}

describe("successor rules", () => {
  it("a guarded interrupt handler that cannot fire does not hide a final violation", () => {
    const text =
      "int<0..3> g;\nint x;\nprocess w { x = 1; }\ninterrupt irq { assume(g < 1); g++; }\nfinal done: x == 2;\n";
    expect(violated(text)).toContain("done");
  });

  it("nor a deadlock", () => {
    const text =
      "int<0..3> g;\nint x;\nprocess w { await(x == 1); }\ninterrupt irq { assume(g < 1); g++; }\n";
    expect(violated(text)).toContain("deadlock");
  });

  it("a task inside atomic whose step is pruned keeps the CPU", () => {
    const text = [
      "int g;",
      "int h;",
      "process a { atomic { g = 1; await(h == 1); assume(h == 2); } }",
      "process b { h = 1; assert(g == 0); }",
    ].join("\n");
    const r = loadProgram("s.kc", {}, text);
    if (!r.ok) throw new Error("compile");
    const sys = new System(r.program);
    let m = sys.initial();
    // a: enter atomic, set g = 1, block at await (h == 0): a has moved, b now runs h = 1.
    const first = sys.choices(m);
    expect(first.map((c) => c.choice.slot)).toEqual([0, 1]);
    m = first[0]?.next as Int32Array;
    const second = sys.choices(m);
    expect(second.map((c) => c.choice.slot)).toEqual([1]);
    m = second[0]?.next as Int32Array;
    // Now a can move again (h == 1) but its assume fails: no successor at all, b must wait.
    expect(sys.choices(m)).toEqual([]);
  });

  it("a state with more than 65,536 successors is a clear runtime error, not a wrong trace", () => {
    const text = "int g;\nprocess w { g = choose(0, 256) + 1000 * choose(0, 256); assert(g != 256256); }\n";
    expect(violated(text)).toEqual(["runtime_error"]);
  });
});

describe("limits", () => {
  it("a search cut by --max-states still checks the states it found but did not expand", () => {
    // The root has 4,001 successors, and the limit lets exactly the root and them be stored:
    // the one that breaks the invariant (found last) is stored but never expanded.
    const text = "int x = -1;\nprocess p { x = choose(0, 4000); x = -1; }\ninvariant small: x != 4000;\n";
    const r = loadProgram("s.kc", {}, text);
    if (!r.ok) throw new Error("compile");
    const o = explore(new System(r.program), { maxStates: 4002 });
    expect(o.limit).toBe("--max-states 4002");
    expect(o.stats.states).toBe(4002);
    const small = o.properties.find((p) => p.name === "small");
    expect(small?.status).toBe("violated");
    expect(small?.counterexample?.choices).toEqual([4000]);
  });
});
