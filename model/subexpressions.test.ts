// Every expression form reports the errors of its sub-expressions: an unknown name, field or
// function inside any kind of expression, in any place an expression can stand, is a diagnostic
// (a typo once compiled to a write of word 0 and a false counterexample). The tables are keyed
// by the syntax tree's kinds, so a kind added to ast.ts without a row here fails to type-check.
import { describe, expect, it } from "vitest";
import type { AssignOp, BinaryOp, Decl, Expr, Stmt, TypeExpr, UnaryOp } from "./ast";
import { loadProgram } from "./load";
import { newParseContext, parseProgram } from "./parser";
import { SourceSet } from "./source";

/** What the programs may use besides the unknown: a struct global, arrays, a function, a queue. */
const ENV = `struct S { int f; int a[2]; };
struct S g; struct S *p; int x; int a[2]; wait_queue_head_t q;
int f1(int v) { return v; }
process main { }
`;

/** The three kinds of unknown, `#` made unique per use; the code and the text under the caret. */
const UNKNOWNS = [
  { code: "KC201", text: "zzz#", caret: "zzz#" },
  { code: "KC204", text: "g.nope#", caret: "g.nope#" },
  { code: "KC205", text: "nofn#(1)", caret: "nofn#" },
] as const;

const UNARY: Record<UnaryOp, string> = { "-": "-@", "+": "+@", "!": "!@", "~": "~@", "*": "*@", "&": "&@" };
const BINARY: Record<BinaryOp, true> = {
  "+": true,
  "-": true,
  "*": true,
  "/": true,
  "%": true,
  "<<": true,
  ">>": true,
  "&": true,
  "|": true,
  "^": true,
  "<": true,
  "<=": true,
  ">": true,
  ">=": true,
  "==": true,
  "!=": true,
  "&&": true,
  "||": true,
};
const ASSIGN: Record<AssignOp, true> = {
  "=": true,
  "+=": true,
  "-=": true,
  "*=": true,
  "/=": true,
  "%=": true,
  "<<=": true,
  ">>=": true,
  "&=": true,
  "|=": true,
  "^=": true,
};

/**
 * Per expression kind, expressions with the unknown (`@`) in each operand position. A literal
 * has no operand: its row is empty.
 */
const EXPRESSIONS: Record<Expr["kind"], string[]> = {
  int: [],
  bool: [],
  string: [],
  null: [],
  name: ["@"],
  unary: Object.values(UNARY),
  incdec: ["++@", "--@", "@++", "@--"],
  binary: Object.keys(BINARY).flatMap((op) => [`@ ${op} 1`, `1 ${op} @`]),
  assign: Object.keys(ASSIGN).flatMap((op) => [`@ ${op} 1`, `x ${op} @`]),
  cond: ["@ ? 1 : 2", "1 ? @ : 2", "1 ? 2 : @", "0 ? @ : 2"],
  call: [
    "f1(@)",
    "f1(1, @)",
    "wake_up(@)",
    "choose(@, 1)",
    "choose(0, @)",
    "choose(@)",
    "schedule(@)",
    "save_flags(@)",
    "restore_flags(@)",
    "kfree(@)",
    "kmalloc(@)",
    "kmalloc(sizeof(@))",
    "kmalloc(sizeof(struct S), @)",
    "wait_event(@, 1)",
    "wait_event(q, @)",
    "wait_event_interruptible(q, @)",
    "panic(@)",
  ],
  index: ["@[0]", "a[@]", "g.a[@]", "@[0].f"],
  member: ["@.f", "@->f", "@.a[0]"],
  sizeof: ["sizeof(@)", "sizeof @", "sizeof(int[@])", "sizeof(int<0..@>)"],
  cast: ["(int)@", "(char)@", "(bool)@", "(struct S *)@", "(void)@", "(int<0..@>)1"],
  comma: ["@, 1", "1, @"],
  stmtExpr: ["({ @; })", "({ x = 1; @; })", "({ if (@) x = 1; 0; })", "({ int t = @; t; })"],
  // Property-only forms (they do not parse in the places below): checker/world.test.ts checks
  // that an unknown inside them is reported.
  where: [],
  quantifier: [],
};

/**
 * Places for an expression (`$`), per kind of statement, declaration and type. Statements go
 * into a function body. A kind with no expression of its own has an empty row.
 */
const STATEMENTS: Record<Stmt["kind"], string[]> = {
  block: ["{ x = $; }"],
  decl: [
    "int l# = $;",
    "int la#[$];",
    "static int ls# = $;",
    "struct S lb# = { $ };",
    "struct S lc# = { .f = $ };",
    "int ld#[2] = { [$] = 1 };",
    "struct S le# = { .a = { $ } };",
    "struct S lf# = { .a[$] = 1 };",
  ],
  expr: ["$;", "x = $;"],
  empty: [],
  if: ["if ($) ;", "if (x) x = $;", "if (x) ; else x = $;", "if (x) ; else if ($) ;"],
  while: ["while ($) break;", "while (x) x = $;"],
  doWhile: ["do ; while ($);", "do x = $; while (0);"],
  for: [
    "for ($;;) break;",
    "for (; $;) break;",
    "for (;; $) break;",
    "for (int i = $;;) break;",
    "for (;;) x = $;",
  ],
  break: [],
  continue: [],
  return: ["return $;"],
  goto: [],
  labeled: ["l#: x = $;"],
  switch: ["switch ($) { }", "switch (x) { case 1: x = $; }"],
  case: ["switch (x) { case $: ; }", "switch (x) { default: x = $; }"],
  atomic: ["atomic { x = $; }"],
  assert: ["assert($);", 'assert($, "m");'],
  assume: ["assume($);"],
  await: ["await($);"],
};

const DECLARATIONS: Record<Decl["kind"], string[]> = {
  const: ["const K# = $;", "const int KI# = $;"],
  var: [
    "int v# = $;",
    "int va#[$];",
    "int *vp# = $;",
    "struct S vb# = { $ };",
    "struct S vc# = { .f = $ };",
    "int vd#[2] = { [$] = 1 };",
  ],
  struct: ["struct T# { int m[$]; };"],
  enum: ["enum { EM# = $ };"],
  typedef: ["typedef int TD#[$];"],
  function: ["int fn#(void) { return $; }", "void fa#(int m[$]) { }", "void fb#(int m[2][$]);"],
  process: ["process pp#[$] { }", "process pq# { x = $; }"],
  interrupt: ["interrupt ih# { x = $; }"],
  init: ["init { x = $; }"],
  property: ["invariant in#: $;", "final fi#: $;", "reachable re#: $;"],
  expect: [],
  model: [],
  pool: ["pool struct S[$];"],
  include: [],
};

/** Types that hold an expression, as local declarations. */
const TYPES: Record<TypeExpr["kind"], string[]> = {
  named: [],
  range: ["int<$..9> tr#;", "int<0..$> ts#;"],
  struct: [],
  enum: ["enum { TE# = $ } te#;"],
  typedef: [],
  pointer: ["int *tp#[$];"],
  array: ["int ta#[$];", "int tb#[2][$];"],
  function: ["int (*tf#)(int m[$]);"],
  typeof: ["typeof($) ty#;", "typeof(int[$]) tz#;"],
};

/** Kinds found anywhere in a parsed value (every syntax node is a plain object with a `kind`). */
function kindsIn(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) kindsIn(v, out);
  else if (value && typeof value === "object") {
    const kind = (value as { kind?: unknown }).kind;
    if (typeof kind === "string") out.add(kind);
    for (const v of Object.values(value)) kindsIn(v, out);
  }
  return out;
}

/** Every expression of the table, with the unknown spelled out. */
function expressions(unknown: string): string[] {
  return Object.values(EXPRESSIONS)
    .flat()
    .map((e) => `(${e.replaceAll("@", unknown)})`);
}

/** A program with `template` once per expression, each with its own unknown; and the carets expected. */
function program(
  template: string,
  inFunction: boolean,
  u: (typeof UNKNOWNS)[number],
): {
  text: string;
  carets: string[];
} {
  const parts: string[] = [];
  const carets: string[] = [];
  expressions(u.text).forEach((e, i) => {
    const n = String(i);
    parts.push(template.replaceAll("$", e).replaceAll("#", n));
    carets.push(u.caret.replaceAll("#", n));
  });
  const body = inFunction ? `int host(void) {\n${parts.join("\n")}\nreturn 0; }` : parts.join("\n");
  return { text: `${ENV}${body}\n`, carets };
}

/** The carets (source text under each diagnostic of `code`) a program gets. */
function caretsOf(text: string, code: string): { got: Set<string>; codes: string[] } {
  const r = loadProgram("unknown.kc", {}, text);
  if (r.ok) return { got: new Set(), codes: [] };
  const got = new Set<string>();
  for (const d of r.diagnostics) {
    if (d.code !== code || !d.span) continue;
    got.add(r.sources.file(d.span.file).text.slice(d.span.start, d.span.end));
  }
  return { got, codes: r.diagnostics.map((d) => d.code) };
}

const places = [
  ...Object.entries(STATEMENTS).flatMap(([k, ts]) =>
    ts.map((t) => ({ kind: `statement ${k}`, t, fn: true })),
  ),
  ...Object.entries(TYPES).flatMap(([k, ts]) => ts.map((t) => ({ kind: `type ${k}`, t, fn: true }))),
  ...Object.entries(DECLARATIONS).flatMap(([k, ts]) =>
    ts.map((t) => ({ kind: `declaration ${k}`, t, fn: false })),
  ),
];

describe("an unknown inside any expression is reported", () => {
  it.each([
    ["zzz[0] = 7;", "KC201", "zzz"],
    ["x = qqq[5];", "KC201", "qqq"],
    ["x = g.nope[0];", "KC204", "g.nope"],
    ["x = nofn(1)[0];", "KC205", "nofn"],
    ["x = sizeof(zzz);", "KC201", "zzz"],
  ])("the examples of issue 7: %s", (stmt, code, caret) => {
    expect(caretsOf(`${ENV}process p2 { ${stmt} }\n`, code).got).toEqual(new Set([caret]));
  });

  it("the example of issue 7 in an invariant", () => {
    expect(caretsOf(`${ENV}invariant a: zzz[0].pid == 0;\n`, "KC201").got).toEqual(new Set(["zzz"]));
  });

  it("each row of the tables holds a node of its kind", () => {
    for (const [kind, es] of Object.entries(EXPRESSIONS))
      for (const e of es) expect(kindsIn(parseExpr(e.replaceAll("@", "x"))).has(kind), e).toBe(true);
    for (const p of places) {
      const text = p.t.replaceAll("$", "1").replaceAll("#", "0");
      const parsed = parseDecls(p.fn ? `int h(void) { ${text} }` : text);
      expect(kindsIn(parsed).has(p.kind.split(" ")[1] as string), `${p.kind}: ${p.t}`).toBe(true);
    }
  });

  for (const u of UNKNOWNS) {
    it.each(places)(`${u.code} from every expression kind in $kind: $t`, ({ t, fn }) => {
      const { text, carets } = program(t, fn, u);
      const { got, codes } = caretsOf(text, u.code);
      expect(codes.filter((c) => c.startsWith("KC1"))).toEqual([]);
      const missing = carets
        .map((c, i) => ({ c, expression: expressions(u.text)[i] }))
        .filter(({ c }) => !got.has(c));
      expect(missing).toEqual([]);
    });
  }
});

function parseDecls(text: string): Decl[] {
  const sources = new SourceSet();
  return parseProgram(sources, sources.add("k.kc", text), newParseContext()).decls;
}

function parseExpr(e: string): Expr {
  const [d] = parseDecls(`int h = (${e});`);
  if (d?.kind !== "var" || d.decl.init?.kind !== "expr") throw new Error(`not an expression: ${e}`);
  return d.decl.init.expr;
}
