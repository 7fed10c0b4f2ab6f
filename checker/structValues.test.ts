// Structs passed and returned by value, as C has them: a copy goes in, a copy comes out. The
// expected values are those of the same program compiled by a C compiler (noted per test).
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../model/diagnostics";
import { loadProgram } from "../model/load";
import { explore } from "./explore";
import { System } from "./system";

const TYPES = `struct in { int a; int arr[3]; };
struct s { int x; struct in n; char c; int *p; };
int g;
struct s make(int k) {
  struct s l; l.x = k; l.n.a = k * 2; l.n.arr[0] = 1; l.n.arr[1] = 2; l.n.arr[2] = 3; l.c = 'q'; l.p = &g;
  return l;
}
struct s twice(struct s v) { v.x = v.x * 2; return v; }
int sum(struct s v) { return v.x + v.n.a + v.n.arr[0] + v.n.arr[1] + v.n.arr[2]; }
`;

function verdict(text: string, fine = false) {
  const r = loadProgram("structs.kc", { fine }, text);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  const o = explore(new System(r.program), { keepGoing: true });
  return o.properties.find((p) => p.status === "violated")?.counterexample?.message ?? "holds";
}

describe("structs by value", () => {
  it("a callee changes its own copy, never the caller's (cc: 15 5 3 q)", () => {
    const body = `int bump(struct s v) { v.x++; v.n.arr[2] = 9; v.c = 'z'; return v.x + v.n.arr[2]; }
process p { struct s a = make(5); int r = bump(a);
  assert(r == 15); assert(a.x == 5); assert(a.n.arr[2] == 3); assert(a.c == 'q'); }`;
    expect(verdict(TYPES + body)).toBe("holds");
  });

  it("a returned local, a member of a result, a result passed on (cc: 7 2 6 26)", () => {
    const body = `process p { struct s a = make(5);
  assert(make(7).x == 7); assert(make(7).n.arr[1] == 2); assert(twice(make(3)).x == 6);
  assert(sum(twice(a)) == 26); }`;
    expect(verdict(TYPES + body)).toBe("holds");
  });

  it("a result returned on, and a nested struct of a result passed on (cc: 8 9)", () => {
    const body = `struct s again(int k) { return make(k); }
int inner(struct in n) { n.arr[0] = 7; return n.a + n.arr[2]; }
process p { assert(again(4).n.a == 8); assert(inner(make(3).n) == 9); }`;
    expect(verdict(TYPES + body)).toBe("holds");
  });

  it("an assigned result is a copy, pointers in it included (cc: 10 5 1)", () => {
    const body = `process p { struct s a = make(5); struct s b; b = twice(a); b.n.arr[0] = 4;
  assert(b.x == 10); assert(a.x == 5); assert(a.n.arr[0] == 1); assert(b.p == &g); }`;
    expect(verdict(TYPES + body)).toBe("holds");
  });

  it("a wrong value in the copy is found", () => {
    const body = "process p { struct s a = make(5); assert(twice(a).x == 5); }";
    expect(verdict(TYPES + body)).toContain("assert");
  });

  it("a struct result leaves no temporary behind, so equal situations are one state", () => {
    // Two processes that each copy a result reach the same final state whatever the order.
    const body = "struct s a; struct s b;\nprocess p { a = make(1); }\nprocess q { b = twice(make(2)); }";
    const r = loadProgram("structs.kc", {}, TYPES + body);
    if (!r.ok) throw new Error("did not load");
    const o = explore(new System(r.program), {});
    expect(o.stats.states).toBeLessThan(20);
  });

  it("in the fine mode a struct argument is read word by word, so a torn copy is found", () => {
    const text = `struct P { int a; int b; };
struct P g;
int ordered(struct P v) { return v.a >= v.b; }
process w { g.a = 1; g.b = 1; }
process r { assert(ordered(g)); }`;
    expect(verdict(text)).toBe("holds");
    expect(verdict(text, true)).toContain("assert");
  });

  it("struct copies beyond MAX_COPIED_WORDS in all are KC410, not code no machine holds", () => {
    const calls = " r = f(g);".repeat(400);
    const text = `struct B { int a[60000]; };\nstruct B g;\nint f(struct B v) { return v.a[1]; }\nint r;\nprocess p {${calls} }\n`;
    const r = loadProgram("big.kc", {}, text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics.map((d) => d.code)).toEqual(["KC410"]);
  });

  it("a struct parameter whose address is taken is shared in every word, not just the first", () => {
    const text =
      "struct P { int a; int b; };\nstruct P g;\nint *gp;\nvoid f(struct P v) { gp = &v.a; v.b = 2; }\nprocess p { f(g); }\n";
    const r = loadProgram("escape.kc", {}, text);
    if (!r.ok) throw new Error("did not load");
    const unit = r.program.units.findIndex((u) => u.name === "f");
    const stores = r.program.code.filter((ins, i) => ins.k === "store" && r.program.info[i]?.unit === unit);
    // gp = &v.a (a global) and v.b = 2 (a word of a published local): both are shared.
    expect(
      stores.map((s) => s.k === "store" && (s.escapes === true || !JSON.stringify(s.addr).includes('"fp"'))),
    ).toEqual([true, true]);
  });
});
