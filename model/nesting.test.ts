// Deep input is a diagnostic, never a stack overflow: every shape that nests, at sizes far past
// the limit, through loadProgram and the command line; and what stays within the limit runs
// through lowering, code generation and the search (the IR's walks recurse too).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../checker/cli";
import { explore } from "../checker/explore";
import { System } from "../checker/system";
import { formatDiagnostic } from "./diagnostics";
import { loadProgram } from "./load";
import { MAX_NESTING } from "./nesting";

const rep = (s: string, n: number, sep = ""): string => Array(n).fill(s).join(sep);
const each = (n: number, f: (i: number) => string, sep = " "): string =>
  Array.from({ length: n }, (_, i) => f(i)).join(sep);

/** Programs whose nesting grows with n, one per way of nesting. */
const DEEP: Record<string, (n: number) => string> = {
  "a sum (1+1+…+1)": (n) => `int x; process p { x = ${rep("1", n, "+")}; }`,
  "a && chain": (n) => `int x; process p { x = ${rep("x", n, "&&")}; }`,
  "a comma list": (n) => `int x; process p { x = (${rep("x", n, ",")}); }`,
  "a ?: chain": (n) => `int x; process p { x = ${rep("x?1:", n)}2; }`,
  assignments: (n) => `int x; process p { ${rep("x=", n)}1; }`,
  parentheses: (n) => `int x; process p { x = ${rep("(", n)}1${rep(")", n)}; }`,
  "prefix operators": (n) => `int x; process p { x = ${rep("-", n, " ")}1; }`,
  casts: (n) => `int x; process p { x = ${rep("(int)", n)}1; }`,
  "pointer declarators": (n) => `int ${rep("*", n)}p; process p { }`,
  "array dimensions": (n) => `int a${rep("[1]", n)}; process p { }`,
  indexing: (n) => `int a[1]; int x; process p { x = a${rep("[0]", n)}; }`,
  "field accesses": (n) => `struct s { int a; } v; int x; process p { x = v${rep(".a", n)}; }`,
  blocks: (n) => `process p { ${rep("{", n)}${rep("}", n)} }`,
  "nested ifs": (n) => `int x; process p { ${rep("if(x)", n)}x=1; }`,
  initializers: (n) => `int x = ${rep("{", n)}1${rep("}", n)}; process p { }`,
  "typedefs of pointers": (n) =>
    `typedef int T0; ${each(n, (i) => `typedef T${i} *T${i + 1};`)} T${n} a; process p { }`,
  "structs in structs": (n) =>
    `struct A0 { int x; }; ${each(n, (i) => `struct A${i + 1} { struct A${i} a; };`)} process p { }`,
};

/** Long but flat: read in loops everywhere, so accepted at any length. */
const FLAT: Record<string, (n: number) => string> = {
  "an else-if chain": (n) => `int x; process p { ${each(n, (i) => `if(x==${i})x=${i};`, "else ")} }`,
  "a run of case labels": (n) => `int x; process p { switch (x) { ${each(n, (i) => `case ${i}:`)} x = 1; } }`,
  "a run of goto labels": (n) => `int x; process p { ${each(n, (i) => `l${i}:`)} x = 1; }`,
  "a chain of calls": (n) =>
    `int x; void f0(void) { x = 1; } ${each(n, (i) => `void f${i + 1}(void) { f${i}(); }`)} process p { f${n}(); }`,
};

function codes(text: string): string[] {
  const r = loadProgram("deep.kc", {}, text);
  return r.ok ? [] : r.diagnostics.map((d) => d.code);
}

describe("deep input", () => {
  for (const n of [1_000, 10_000, 100_000]) {
    it.each(Object.entries(DEEP))(`%s, ${n} deep, is KC114 (or over the size cap)`, (_, gen) => {
      const text = gen(n);
      // Inputs over the loader's size cap stop there, before any walk.
      const expected = text.length > 1 << 20 ? "KC505" : "KC114";
      expect(codes(text)).toContain(expected);
    });
  }

  it.each(Object.entries(FLAT))("%s 10,000 long compiles and runs", (_, gen) => {
    const r = loadProgram("flat.kc", {}, gen(10_000));
    if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
    expect(explore(new System(r.program), { maxStates: 100 }).verdict).toBe("holds");
  });

  it("a wait_event inside another's condition is KC406 at once, not code doubled per level", () => {
    const text = `wait_queue_head_t q; int x; process p { x = ${rep("wait_event(q, ", 40)}1${rep(")", 40)}; }`;
    expect(codes(text)).toContain("KC406");
  });

  it.each([
    ["the operand that passes the limit", `int x;\nprocess p {\n  x = ${rep("1", 300, " + ")};\n}\n`, "1", 3],
    ["the '*' that passes the limit", `int\n${rep("*", 300)}p;\nprocess p { }\n`, "*", 2],
  ])("points at %s", (_, text, caret, line) => {
    const r = loadProgram("deep.kc", {}, text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const d = r.diagnostics[0];
    expect(d?.code).toBe("KC114");
    expect(d?.span && text.slice(d.span.start, d.span.end)).toBe(caret);
    expect(d?.span && r.sources.position(d.span.file, d.span.start).line).toBe(line);
  });
});

/** Within the limit: the deepest IR each shape makes, through code generation and the search. */
const K = MAX_NESTING - 10;
const AT_LIMIT: Record<string, string> = {
  sum: `int x; process p { x = ${rep("x", K, "+")}; }\ninvariant i: ${rep("x", K, "-")} <= 0 || 1;`,
  "?:": `int x; process p { x = ${rep("x ? 1 : ", K)}2; }\ninvariant i: ${rep("x ? 1 : ", K)}2 > 0;`,
  "&&": `int x; process p { x = ${rep("x", K, " && ")}; }\ninvariant i: (${rep("x", K, " || ")}) || 1;`,
  "?: with calls": `int x; int f(int v) { return v; } process p { x = ${rep("x ? f(1) : ", K)}2; }`,
  "&& with calls": `int x; int f(int v) { return v; } process p { x = ${rep("f(x) && ", K)}1; }`,
  "right-nested || with calls": `int x; int f(int v) { return v; } process p { x = ${rep("f(x) || (", K / 2)}1${rep(")", K / 2)}; }`,
  "!": `int x; process p { x = ${rep("!", K)}x; }\ninvariant i: ${rep("~", K)}x != 7;`,
  indexing: `int a${rep("[1]", K)}; int x; process p { x = a${rep("[0]", K)}; }\ninvariant i: a${rep("[0]", K)} >= 0;`,
  "nested indexing": `int a[2]; int x; process p { x = ${rep("a[", K / 2)}0${rep("]", K / 2)}; }`,
  dereferences: `int x; int ${rep("*", K)}p; process q { x = ${rep("*", K)}p; }`,
  "types sized by sizeof of types": `int x; process p { x = ${rep("sizeof(char[", K / 2)}1${rep("])", K / 2)}; }`,
  "char casts": `char c; process p { c = ${rep("(char)(c + ", K / 2)}1${rep(")", K / 2)}; }`,
  "struct fields": `struct A0 { int x; }; ${each(K, (i) => `struct A${i + 1} { int y; struct A${i} a; };`)} struct A${K} g; process p { g.${rep("a.", K)}x = 1; }`,
};

describe("at the nesting limit", () => {
  for (const fine of [false, true]) {
    it.each(Object.entries(AT_LIMIT))(`%s compiles and runs${fine ? " in the fine mode" : ""}`, (_, text) => {
      const r = loadProgram("limit.kc", { fine }, text);
      if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
      const o = explore(new System(r.program), { maxStates: 200, keepGoing: true });
      expect(["holds", "violated", "inconclusive"]).toContain(o.verdict);
    });
  }
});

describe("deep input on the command line", () => {
  let err = "";
  beforeEach(() => {
    err = "";
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    vi.spyOn(process.stderr, "write").mockImplementation((s) => {
      err += String(s);
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each([
    ["1+1+…+1 with 1,416 operands", DEEP["a sum (1+1+…+1)"]?.(1416)],
    ["6,816 levels of int ***…p", DEEP["pointer declarators"]?.(6816)],
    ["6,816 levels of int a[1][1]…", DEEP["array dimensions"]?.(6816)],
    ["100,000 parentheses", DEEP.parentheses?.(100_000)],
  ])("%s: exit 2 with KC114", (_, text) => {
    const f = join(mkdtempSync(join(tmpdir(), "ipcmc-deep-")), "deep.kc");
    writeFileSync(f, text as string);
    expect(main(["check", f])).toBe(2);
    expect(err).toContain("error KC114: nesting too deep");
    expect(err).not.toMatch(/RangeError|at .*\.ts:\d+/);
  });
});
