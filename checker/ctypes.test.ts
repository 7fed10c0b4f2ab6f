// C's integer types at run time: the faults C leaves undefined, and traces that show each value
// as its type holds it (an unsigned int as 0 .. 4294967295, a u8 as 0 .. 255).
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../model/diagnostics";
import { loadProgram } from "../model/load";
import { parseDefines } from "./cli";
import { explore } from "./explore";
import { System } from "./system";
import { buildTrace } from "./trace";

function check(text: string) {
  const r = loadProgram("ctypes.kc", {}, text);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  const sys = new System(r.program);
  const o = explore(sys, { keepGoing: true });
  const bad = o.properties.find((p) => p.status === "violated");
  const trace = bad?.counterexample ? buildTrace(sys, r.sources, bad.counterexample.choices).trace : null;
  return { bad, trace };
}

describe("C integer types at run time", () => {
  it.each([
    ["int n = 32;", "1 << n", "shift count 32 is outside 0..31"],
    ["int n = -1;", "8 >> n", "shift count -1 is outside 0..31"],
    ["unsigned n = 40;", "1u >> n", "shift count 40 is outside 0..31"],
    ["u8 n = 200;", "(unsigned)-1 << n", "shift count 200 is outside 0..31"],
  ])("a shift by a count outside 0..31 is undefined in C, so a fault: %s %s", (decl, e, message) => {
    const { bad } = check(`int r;\nprocess p { ${decl} r = ${e}; }\n`);
    expect(bad?.name).toBe("runtime_error");
    expect(bad?.counterexample?.fault).toBe("bad_shift");
    expect(bad?.counterexample?.message).toContain(message);
  });

  it("an unsigned division or remainder by zero is a fault, as a signed one", () => {
    for (const e of ["u / z", "u % z"]) {
      const { bad } = check(`unsigned r;\nprocess p { unsigned u = 7; unsigned z = 0; r = ${e}; }\n`);
      expect(bad?.counterexample?.fault).toBe("div_by_zero");
    }
  });

  it("an unsigned index out of bounds is named as unsigned", () => {
    const { bad } = check("int a[3];\nprocess p { unsigned u = -1; a[u] = 1; }\n");
    expect(bad?.counterexample?.message).toBe("index 4294967295 is out of bounds for an array of 3");
  });

  it("a trace shows an unsigned int as unsigned and a narrow type in its range", () => {
    const { trace } = check(
      "unsigned u;\nu8 b = 250;\ns8 c;\nu16 h;\nprocess p { u = u - 1; b += 10; c = 200; h = -1; assert(0); }\n",
    );
    const changes = trace?.steps.flatMap((s) => s.changes.map((c) => `${c.name}: ${c.from} -> ${c.to}`));
    expect(changes).toEqual(["u: 0 -> 4294967295", "b: 250 -> 4", "c: 0 -> -56", "h: 0 -> 65535"]);
    expect(trace?.finalState.map((c) => `${c.name} = ${c.to}`)).toEqual([
      "u = 4294967295",
      "b = 4",
      "c = -56",
      "h = 65535",
    ]);
  });

  it("a -D value is read as the spec reads the constant", () => {
    expect([...parseDefines(["M=0xffffffff", "N=-0x80000000", "L=7"])]).toEqual([
      ["M", 4294967295],
      ["N", -2147483648],
      ["L", 7],
    ]);
    // It feeds #if too, where a u constant would mean uintmax_t arithmetic.
    expect(() => parseDefines(["K=4294967295u"])).toThrow("no u suffix");
    expect(() => parseDefines(["M=1ll"])).toThrow("64-bit");
    expect(() => parseDefines(["M=3000000000"])).toThrow("long long");
  });
});
