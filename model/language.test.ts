// KC means what C means: small programs whose assertions hold only under C semantics.
import { describe, expect, it } from "vitest";
import { explore } from "../checker/explore";
import { System } from "../checker/system";
import { formatDiagnostic } from "./diagnostics";
import { loadProgram } from "./load";

/** Runs a whole program; returns the names of violated properties. */
function violated(text: string): string[] {
  const r = loadProgram("lang.kc", {}, text);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  const o = explore(new System(r.program), { keepGoing: true });
  return o.properties.filter((p) => p.status === "violated").map((p) => p.name);
}

/** Runs a one-process program; returns the names of violated properties. */
function run(body: string, globals = ""): string[] {
  return violated(`${globals}\nprocess main {\n${body}\n}\n`);
}

/** The codes a program compiles to ([] when it compiles). */
function codes(text: string): string[] {
  const r = loadProgram("lang.kc", {}, text);
  return r.ok ? [] : r.diagnostics.map((d) => d.code);
}

describe("C semantics", () => {
  it("switch falls through until break; default catches the rest", () => {
    const g =
      "int out;\nint f(int x) { int r = 0; switch (x) { case 1: r += 1; case 2: r += 2; break; case 3: r = 30; break; default: r = -1; } return r; }";
    expect(run("assert(f(1) == 3); assert(f(2) == 2); assert(f(3) == 30); assert(f(9) == -1);", g)).toEqual(
      [],
    );
  });

  it("goto, do/while, continue and break", () => {
    const body = [
      "int i = 0; int n = 0;",
      "again: i++; if (i < 3) goto again;",
      "do { n += 10; } while (n < 25);",
      "for (int k = 0; k < 5; k++) { if (k == 1) continue; if (k == 3) break; n++; }",
      "assert(i == 3); assert(n == 32);",
    ].join("\n");
    expect(run(body)).toEqual([]);
  });

  it("&& and || short-circuit calls; ?: evaluates one arm", () => {
    const g = "int calls;\nint hit(int v) { calls++; return v; }";
    const body =
      "int a = 0 && hit(1); int b = 1 || hit(1); int c = 1 ? 5 : hit(7); int d = hit(0) || hit(2);\nassert(a == 0 && b == 1 && c == 5 && d == 1); assert(calls == 2);";
    expect(run(body, g)).toEqual([]);
  });

  it("prefix and postfix increments, compound assignment and assignment as a value", () => {
    const body =
      "int x = 5; int y = x++; int z = ++x; int w; w = x += 3; assert(y == 5 && z == 7 && x == 10 && w == 10);";
    expect(run(body)).toEqual([]);
  });

  it("32-bit wrap, C division and remainder, shifts", () => {
    const body = [
      "int big = 2147483647; big = big + 1; assert(big == -2147483647 - 1);",
      "assert(-7 / 2 == -3); assert(-7 % 2 == -1); assert(1 << 4 == 16); assert(-16 >> 2 == -4);",
      "assert((6 & 3) == 2 && (6 | 3) == 7 && (6 ^ 3) == 5 && ~0 == -1);",
    ].join("\n");
    expect(run(body)).toEqual([]);
  });

  it("bool normalises, char wraps", () => {
    const body = "bool b = 7; char c = 200; assert(b == 1); assert(c == -56);";
    expect(run(body)).toEqual([]);
  });

  it("integer type words mean what they mean on i386: long and signed are int, signed char is char", () => {
    const body = [
      "long l = 2147483647; l = l + 1; assert(l == -2147483647 - 1);",
      "long int li = -1; signed s = li; signed int si = s * 2; assert(si == -2);",
      "signed char c = 127; c = c + 1; assert(c == -128); char d = 255; assert(d == -1);",
    ].join("\n");
    expect(run(body)).toEqual([]);
  });

  it.each([
    ["long long v = 2147483647; v = v + 1; assert(v > 0);", "long"],
    ["u64 v = 1;", "u64"],
    ["loff_t pos = 0;", "loff_t"],
    ["int v = 1ULL;", "1ULL"],
    ["int v = 4294967296;", "4294967296"],
  ])("a 64-bit type is KC313, never a silent 32-bit int: %s", (body, word) => {
    const r = loadProgram("lang.kc", {}, `process main {\n${body}\n}\n`);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics.map((d) => d.code)).toEqual([word === "4294967296" ? "KC104" : "KC313"]);
    const span = r.diagnostics[0]?.span;
    expect(span && r.sources.file(span.file).text.slice(span.start, span.end)).toBe(word);
  });

  it("char constants and strings hold signed bytes, as char on i386", () => {
    const g = 'char g[] = "\\xff\\x80" "A";\nint x = \'\\xff\';\nchar c;';
    const body = [
      "c = 255; assert(c == '\\xff' && x == -1 && '\\x7f' == 127);",
      "assert(g[0] == -1 && g[1] == -128 && g[2] == 'A' && g[3] == 0);",
      'char l[] = "\\xfe"; assert(l[0] == -2 && sizeof(l) == 2);',
    ].join("\n");
    expect(run(body, g)).toEqual([]);
  });

  it("a char array from non-ASCII text is KC311, not code points in place of UTF-8 bytes", () => {
    for (const text of ['char h[] = "é";\nprocess main { }\n', 'process main { char h[4] = "é"; }\n']) {
      const r = loadProgram("lang.kc", {}, text);
      expect(r.ok ? [] : r.diagnostics.map((d) => d.code)).toEqual(["KC311"]);
    }
    expect(run('assert(1, "é is fine in a message");')).toEqual([]);
  });

  it("structs: copy, nested fields, arrays of structs, pointers to pointers", () => {
    const g = [
      "struct pt { int x; int y; };",
      "struct box { struct pt a; struct pt b[2]; };",
      "struct box g1 = { .a = { 1, 2 }, .b = { { 3, 4 }, [1] = { 5, 6 } } };",
      "struct box g2;",
      "int *ip;",
      "int **ipp;",
    ].join("\n");
    const body = [
      "g2 = g1;",
      "assert(g2.a.y == 2 && g2.b[1].x == 5 && g2.b[0].y == 4);",
      "ip = &g2.b[1].y; ipp = &ip; **ipp = 60; assert(g2.b[1].y == 60 && g1.b[1].y == 6);",
      "struct pt *p = &g2.a; p->x = 10; assert(g2.a.x == 10);",
    ].join("\n");
    expect(run(body, g)).toEqual([]);
  });

  it("enums, typedefs, sizeof and static locals", () => {
    const g = [
      "enum color { RED, GREEN = 5, BLUE };",
      "typedef struct { int a; int b[3]; } rec_t;",
      "int counter(void) { static int n = 10; n++; return n; }",
    ].join("\n");
    const body =
      "rec_t r; assert(BLUE == 6); assert(sizeof(rec_t) == 16 && sizeof(r.b) == 12); counter(); assert(counter() == 12);";
    expect(run(body, g)).toEqual([]);
  });

  it("a constant is folded as the program computes it: casts convert, sizeof sees globals", () => {
    const g =
      "struct three { int a; int b; int c; };\nstruct three t;\nconst C = (char)200;\nconst B = (bool)7;\nconst S = sizeof(t);";
    expect(
      run("char c = 200; assert(C == c && C == -56); assert(B == 1); assert(S == sizeof(t) && S == 12);", g),
    ).toEqual([]);
  });

  it("sizeof is C's size in bytes on i386, struct padding included", () => {
    const g = [
      "struct mixed { char c; int i; char d; };",
      "struct chars { char a; char b[3]; bool f; };",
      "struct outer { char c; struct chars in; struct mixed m[2]; };",
      "struct mixed ms; int *ptrs[3];",
    ].join("\n");
    const body = [
      "assert(sizeof(char) == 1 && sizeof(bool) == 1 && sizeof(int) == 4 && sizeof(long) == 4);",
      "assert(sizeof(int *) == 4 && sizeof(struct mixed *) == 4 && sizeof(ptrs) == 12 && sizeof(ptrs[0]) == 4);",
      "assert(sizeof(struct mixed) == 12 && sizeof(ms.c) == 1 && sizeof(struct chars) == 5);",
      "assert(sizeof(struct outer) == 32 && sizeof(int[2][3]) == 24 && sizeof(ptrs) / sizeof(ptrs[0]) == 3);",
    ].join("\n");
    expect(run(body, g)).toEqual([]);
  });

  it("typeof names an expression's type without running it, as GNU C does", () => {
    // gcc: typeof(s.c) is unsigned char (255 + 1 wraps to 0), typeof(int + 1u) is unsigned int,
    // typeof of an array is the array (sizeof 12), and the operand's call never runs.
    const g =
      "struct S { int a; unsigned char c; int b[3]; };\nstruct S s;\nint calls;\nint f(void) { calls++; return 1; }";
    expect(
      run(
        "typeof(s.c) x = 255; x++; assert(x == 0); typeof(s.a + 1u) z = -1; assert(z > 0); __typeof__(s.b) arr; assert(sizeof(arr) == 12); typeof(f()) w = 5; typeof(&s) p = &s; p->a = w; assert(s.a == 5 && calls == 0);",
        g,
      ),
    ).toEqual([]);
    expect(codes("int x;\ntypeof(nosuch) y;\nprocess p { }\n")).toEqual(["KC201"]);
  });

  it("sizeof an incomplete type is KC312, not 0", () => {
    const r = loadProgram(
      "lang.kc",
      {},
      "struct later;\nint x;\nprocess main { x = sizeof(struct later); }\n",
    );
    expect(r.ok ? [] : r.diagnostics.map((d) => d.code)).toEqual(["KC312"]);
  });

  it("sizeof lays out each struct once and refuses a size no int holds", () => {
    // Every struct holds two of the one before: 2^100 bytes, computed in linear time.
    const structs = Array.from({ length: 100 }, (_, i) => `struct A${i + 1} { struct A${i} a, b; };`);
    const text = `struct A0 { int x; };\n${structs.join("\n")}\nint x;\nprocess main { x = sizeof(struct A20) + sizeof(struct A100); }\n`;
    const r = loadProgram("lang.kc", {}, text);
    expect(r.ok ? [] : r.diagnostics.map((d) => d.code)).toEqual(["KC408"]);
  });

  it("recursion with parameters, locals and return values", () => {
    const g = "int fact(int n) { if (n <= 1) return 1; int r = n * fact(n - 1); return r; }";
    expect(run("assert(fact(5) == 120);", g)).toEqual([]);
  });

  it("a wrong expectation is caught: the checks above can fail", () => {
    expect(run("int x = 5; int y = x++; assert(y == 6);")).toEqual(["assertion"]);
  });

  it("choose offers every value in its range", () => {
    const body = "int v = choose(1, 3); seen = seen | (1 << v);";
    const g = "int seen;";
    const text = `${g}\nprocess main { ${body} }\nfinal all_values: seen == 2 || seen == 4 || seen == 8;\nreachable three: seen == 8;\n`;
    const r = loadProgram("lang.kc", {}, text);
    if (!r.ok) throw new Error("compile");
    const o = explore(new System(r.program), { keepGoing: true });
    expect(o.properties.filter((p) => p.status !== "holds")).toEqual([]);
  });
});

describe("atomic blocks are entered and left only at their edges (issue 7 review)", () => {
  /** Two processes run `body`, then a critical section that only atomicity could protect. */
  const race = (body: string, fns = "") =>
    `int holders; int mode = 1;\n${fns}\nprocess w[2] { ${body} holders++; holders--; }\ninvariant me: holders <= 1;\n`;

  it.each([
    "switch (mode) { case 0: atomic { case 1: ; } }",
    "switch (mode) { case 1: atomic { default: ; } }",
    "switch (mode) { case 0: while (1) { atomic { if (mode) { case 1: break; } } } }",
  ])("a case or default label inside an atomic block its switch is outside of is KC406: %s", (body) => {
    expect(codes(race(body))).toEqual(["KC406"]);
  });

  it("a switch wholly inside or outside an atomic block compiles", () => {
    expect(codes(race("atomic { switch (mode) { case 1: break; default: ; } }"))).toEqual([]);
    expect(codes(race("switch (mode) { case 1: atomic { switch (mode) { case 1: ; } } }"))).toEqual([]);
  });

  it.each([
    ["break", "while (1) { atomic { break; } }", ""],
    ["break out of a switch", "switch (mode) { case 1: atomic { atomic { break; } } }", ""],
    ["continue", "int i = 0; while (i < 1) { i++; atomic { continue; } }", ""],
    [
      "continue and break",
      "for (int i = 0; i < 2; i++) { atomic { atomic { if (i == 0) continue; break; } } }",
      "",
    ],
    ["return", "f();", "void f(void) { atomic { atomic { return; } } }"],
  ])("%s out of an atomic block leaves it: the race after it is found", (_, body, fns) => {
    expect(violated(race(body, fns))).toEqual(["me"]);
  });
});

describe("a global initializer converts as a store does (issue 7 review)", () => {
  it("char wraps and bool is 0 or 1 in globals, struct and array items and static locals", () => {
    const g = [
      "int x;",
      "char c = 200; struct { char a; bool f; } g = { 200, 7 }; char ga[2] = { 255 }; bool bp = &x;",
      "int s(void) { static char sc = 128; static char st[2] = { 0, 383 }; return sc + st[1]; }",
    ].join("\n");
    const body = [
      "assert(c == -56); assert(g.a == -56 && g.f == 1); assert(ga[0] == -1 && ga[1] == 0);",
      "assert(bp == 1); assert(s() == -128 + 127);",
    ].join("\n");
    expect(run(body, g)).toEqual([]);
  });

  it("a ranged int outside its range is KC408, and an address must fit the pointer's type", () => {
    expect(codes("int<0..3> r = 4;\nprocess m { static int<0..3> q = -1; }\n")).toEqual(["KC408", "KC408"]);
    expect(codes("int x; char *q = &x; int i = &x;\nprocess m { }\n")).toEqual(["KC301", "KC301"]);
  });
});

describe("a cast between pointers keeps C's meaning or is KC313 (issue 7 review)", () => {
  const g =
    "struct s { int a; }; struct t { int b; int c; };\nint x = 0x1234; char c2[2]; int<0..3> r; bool b; int v; struct s sg;";

  it.each([
    "char *c = (char *)&x; v = *c;",
    "*(int *)&c2[0] = 0x01020304;",
    "*(int *)&r = 100;",
    "*(int *)&b = 7;",
    "int *p = (int *)&sg; v = *p;",
    "struct t *q = (struct t *)&x; v = q->b;",
    "int *ip = &x; char **cpp = (char **)&ip;",
  ])("a cast between pointers to different scalar types, or a scalar and a struct, is KC313: %s", (body) => {
    const r = loadProgram("lang.kc", {}, `${g}\nprocess m { ${body} }\n`);
    expect(r.ok ? [] : r.diagnostics.map((d) => d.code)).toEqual(["KC313"]);
    if (!r.ok) expect(r.diagnostics[0]?.message).toContain("every scalar in a word of its own");
  });

  it("casts through void *, between struct pointers, to the same type and long or signed compile", () => {
    const body = [
      "void *vp = (void *)&x; int *ip = (int *)vp; long *lp = (long *)&x; signed int *sp = (signed *)ip;",
      "struct t tl = { 5, 6 }; struct s *p = (struct s *)&tl; p = (struct s *)p; void **vpp = (void **)&ip; int **ipp = (int **)vpp;",
      "assert(*ip == 0x1234 && *lp == 0x1234 && *sp == 0x1234 && **ipp == 0x1234 && p->a == 5);",
    ].join("\n");
    expect(run(body, g)).toEqual([]);
  });

  it("an implicit conversion between such pointers is KC301 or KC304, also int<0..3> * and int *", () => {
    const text = [
      g,
      "int *ip; char *cp; int *gp = &r;",
      "void takes(int *p) { *p = 1; }",
      "int *gives(void) { return &r; }",
      "process m { ip = &c2[0]; cp = &x; ip = &r; ip = &b; ip = &sg; int<0..3> *rp = &x; takes(&r); takes(&c2[1]); }",
    ].join("\n");
    expect(codes(text)).toEqual([
      "KC301",
      "KC301",
      "KC301",
      "KC301",
      "KC301",
      "KC301",
      "KC301",
      "KC301",
      "KC304",
      "KC304",
    ]);
  });
});

// Sixth review: what KC accepts of constants and of sizeof means what it means in C.
describe("constants and sizeof keep C's meaning (issue 7, sixth review)", () => {
  const codes = (text: string): string[] => {
    const r = loadProgram("c.kc", {}, text);
    return r.ok ? [] : r.diagnostics.map((d) => d.code);
  };
  it("an enumerator or a constant expression that overflows int is KC408, not a wrapped value", () => {
    expect(codes("enum Big { X = 2147483647, Y };\nint r;\nprocess p { r = Y; }\n")).toEqual(["KC408"]);
    expect(codes("int a[65536 * 65536 + 1];\nprocess p { a[0] = 1; }\n")).toEqual(["KC408"]);
    expect(codes("const C = 2147483647 + 1;\nint r;\nprocess p { r = C; }\n")).toEqual(["KC408"]);
    expect(codes("enum { Q = -2147483647 - 2 };\nint r;\nprocess p { r = Q; }\n")).toEqual(["KC408"]);
    expect(
      codes("const M = -2147483647 - 1;\nenum { A = 2147483646, B };\nint r;\nprocess p { r = M + B; }\n"),
    ).toEqual([]);
  });

  it("sizeof is a size_t, unsigned as in C: a negative int meeting it is converted to unsigned", () => {
    const body = [
      "char b[8]; int x = -1;",
      "assert(!(sizeof(int) > -1)); assert(x < (int)sizeof(b)); assert(!(x < sizeof(b)));",
      "assert(x / sizeof(int) == 1073741823); assert((sizeof(int) - 5) / 2 == 2147483647);",
      "assert(-sizeof(int) > 0); assert(sizeof(b) / sizeof(b[0]) == 8);",
      "int y = -8; y /= sizeof(int); assert(y == 1073741822);",
    ].join("\n");
    expect(run(body)).toEqual([]);
  });
});
