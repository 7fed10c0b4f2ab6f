// The fine (SMP) mode: every shared read or write is a step of its own.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../model/diagnostics";
import { loadProgram } from "../model/load";
import { explore } from "./explore";
import { System } from "./system";
import { kcProgram } from "./testing/randomPrograms";

function violated(text: string, fine: boolean): string[] {
  const r = loadProgram("fine.kc", { fine }, text);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  const o = explore(new System(r.program), { keepGoing: true, maxStates: 50_000 });
  return o.properties.filter((p) => p.status === "violated").map((p) => p.name);
}

describe("fine mode", () => {
  it("x++ on a shared counter loses an update only when read and write are separate steps", () => {
    const text = "int x;\nprocess w[2] { x++; }\nfinal both: x == 2;\n";
    expect(violated(text, false)).toEqual([]);
    expect(violated(text, true)).toEqual(["both"]);
  });

  it("so does x = x + 1, and x += 1 in an expression", () => {
    expect(violated("int x;\nprocess w[2] { x = x + 1; }\nfinal both: x == 2;\n", true)).toEqual(["both"]);
    expect(violated("int x; int y;\nprocess w[2] { y = (x += 1); }\nfinal both: x == 2;\n", true)).toEqual([
      "both",
    ]);
  });

  it("atomic { } keeps a read-modify-write indivisible, as a lock prefix does", () => {
    expect(violated("int x;\nprocess w[2] { atomic { x++; } }\nfinal both: x == 2;\n", true)).toEqual([]);
  });

  it("a check and a use in one statement race once every shared read is its own step", () => {
    const text = [
      "struct obj { int v; };",
      "pool struct obj[1];",
      "struct obj *shared;",
      "int seen;",
      "process owner { struct obj *o = kmalloc(sizeof(struct obj)); o->v = 5; shared = o; shared = NULL; kfree(o); }",
      "process user { seen = shared != NULL ? shared->v : 0; }",
    ].join("\n");
    // One statement is one step: the test and the dereference see the same `shared`.
    expect(violated(text, false)).toEqual([]);
    // Read by read, `shared` can change between the test and the dereference.
    expect(violated(text, true)).toContain("runtime_error");
  });

  // C lets a callee's writes fall before or after the reads beside its call; KC picks one order,
  // and both modes must pick the same (the default mode once read `g0` of `arr[g0] = h0()` after
  // the call, the fine mode before it).
  it("both modes run a call after the reads before it and before the reads after it", () => {
    const decls = "int g0; int arr[2]; int r;\nint h0(void) { g0 = 1; return 5; }\n";
    const cases: Array<[string, string]> = [
      ["arr[g0] = h0();", "arr[0] == 5 && arr[1] == 0"],
      ["r = g0 + h0();", "r == 5"],
      ["r = h0() + g0;", "r == 6"],
      ["g0 += h0();", "g0 == 6"],
      ["r = g0 + ({ g0 = 2; 5; });", "r == 5"],
    ];
    for (const [body, holds] of cases)
      for (const fine of [false, true]) {
        const text = `${decls}process w { ${body} }\nfinal p: ${holds};\n`;
        expect(violated(text, fine), `${body} ${fine ? "fine" : "default"}`).toEqual([]);
      }
  });

  it("await conditions are still one step", () => {
    const text = "int a; int b;\nprocess p { await(a == b); }\nprocess q { a = 1; b = 1; }\n";
    expect(violated(text, true)).toEqual([]);
  });

  it("every invariant, assertion or fault found with statement steps is found with fine steps", () => {
    fc.assert(
      fc.property(kcProgram(), (text) => {
        const coarse = loadProgram("random.kc", {}, text);
        const fine = loadProgram("random.kc", { fine: true }, text);
        if (!coarse.ok || !fine.ok) throw new Error("does not compile");
        const a = explore(new System(coarse.program), { keepGoing: true, maxStates: 20_000 });
        const b = explore(new System(fine.program), { keepGoing: true, maxStates: 20_000 });
        if (a.limit || b.limit) return;
        const safety = (o: typeof a) =>
          o.properties
            .filter((p) => p.status === "violated" && (p.kind === "invariant" || p.kind === "assertion"))
            .map((p) => p.name);
        for (const name of safety(a)) expect(safety(b)).toContain(name);
      }),
      { numRuns: 100 },
    );
  });
});

// Issue 7 item 6: the fine mode must accept exactly the programs the default mode accepts.
describe("fine mode accepts what the default mode accepts", () => {
  const diagnostics = (text: string, fine: boolean): string[] => {
    const r = loadProgram("same.kc", { fine }, text);
    return r.ok ? [] : r.diagnostics.map((d) => `${d.code} ${d.message}`);
  };
  const decls =
    "struct s { int v; };\nstruct s *q; int n; int r;\nint g(void) { return n; }\nstruct s *h(void) { return q; }\n";
  // Every place a truth value is taken, with a pointer in each operand position, with and
  // without an operand that has effects (a call, which takes the short-circuit code path).
  const conditions = [
    "q",
    "n && q",
    "q && n",
    "n || q",
    "q || n",
    "g() && q",
    "n && h()",
    "q || h()",
    "!q",
    "!h()",
    "q && (n || h())",
  ];
  const contexts = [
    (c: string) => `if (${c}) r = 1;`,
    (c: string) => `while (${c}) { r = 1; break; }`,
    (c: string) => `r = (${c}) ? 3 : 4;`,
    (c: string) => `r = ${c};`,
    (c: string) => `r = !(${c});`,
    (c: string) => `for (; ${c};) break;`,
    (c: string) => `do { r = 2; } while (${c} && 0);`,
  ];
  it("on every condition context with pointer operands", () => {
    for (const c of conditions)
      for (const ctx of contexts) {
        const text = `${decls}process p { ${ctx(c)} }\n`;
        expect(diagnostics(text, true), text).toEqual(diagnostics(text, false));
      }
  });

  it("on random programs", () => {
    fc.assert(
      fc.property(kcProgram(), (text) => {
        expect(diagnostics(text, true)).toEqual(diagnostics(text, false));
      }),
      { numRuns: 100 },
    );
  });
});
