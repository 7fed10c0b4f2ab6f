// Random small KC programs for law suites and differential tests: a fast-check arbitrary of
// program shapes, rendered to source text that always compiles and explores in milliseconds.
import fc from "fast-check";

/** An expression shape; `pick` chooses among the variables in scope when rendered. */
type Expr =
  | { k: "const"; v: number }
  /** An unsigned or large constant, as C types it (`1u`, `0x80000000`). */
  | { k: "lit"; text: string }
  /** A conversion to one of C's integer types. */
  | { k: "cast"; to: IntType; e: Expr }
  | { k: "var"; pick: number }
  | { k: "self" }
  | { k: "un"; op: "!" | "-" | "~"; e: Expr }
  | { k: "bin"; op: string; l: Expr; r: Expr }
  | { k: "cond"; c: Expr; t: Expr; f: Expr }
  | { k: "call"; pick: number; args: Expr[] }
  | { k: "post"; pick: number; op: "++" | "--" };

/** A statement shape. */
type Stmt =
  | { k: "assign"; pick: number; op: string; e: Expr; wrap: boolean }
  | { k: "incdec"; pick: number; op: "++" | "--"; prefix: boolean }
  | { k: "if"; c: Expr; t: Stmt[]; f: Stmt[] | null }
  | { k: "loop"; kind: "for" | "while" | "do"; body: Stmt[] }
  | { k: "jump"; what: "break" | "continue" }
  | { k: "switch"; e: Expr; cases: Stmt[][]; dflt: Stmt[] | null; fall: boolean }
  | { k: "structcopy"; e: Expr }
  | { k: "rec"; e: Expr; deep: boolean }
  | { k: "atomic"; body: Stmt[] }
  | { k: "check"; what: "await" | "assume" | "assert"; c: Expr }
  | { k: "choose"; pick: number; hi: number | null }
  | { k: "call"; pick: number; args: Expr[]; into: number | null }
  /** cli/sti (2.0: runs alone), or with `local` the modern arch_local_irq_* (this CPU only). */
  | { k: "cli"; body: Stmt[]; save: boolean; local: boolean }
  | { k: "decl"; type: DeclType; e: Expr }
  | { k: "wait"; sleep: boolean; interruptible: boolean; signal: boolean }
  | { k: "nullptr"; pick: number; c: Expr; e: Expr }
  | { k: "bump"; pick: number }
  /** `if (c) do_exit(1);`: the process ends from inside a call (do_task_dead). */
  | { k: "die"; c: Expr }
  | { k: "task"; op: number; e: Expr }
  | { k: "stackptr"; op: number; e: Expr }
  | { k: "pool"; op: number; e: Expr }
  | { k: "ptrarith"; op: number; pick: number; e: Expr }
  | { k: "byval"; op: number; e: Expr };

interface Helper {
  params: number;
  body: Stmt[];
  early: { c: Expr; v: Expr } | null;
  ret: Expr;
}

interface Shape {
  /** `type` is the declared type of an unranged global after the first. */
  globals: Array<{ hi: 1 | 3 | null; init: number | null; type: "int" | "unsigned" | "u8" }>;
  arr: 2 | 3 | null;
  struct: boolean;
  wait: boolean;
  bump: boolean;
  /** A `do_exit` that counts and ends the task with do_task_dead; it also runs when a body ends. */
  exits: boolean;
  /** A recursive helper `rec(n)`: deep enough calls overflow the stack. */
  rec: boolean;
  /** A global task pointer, and calls of the prelude's first function (wake_up_process) with it. */
  task: boolean;
  /** A global `int *sp` that `stash()` points at its own frame, which then returns. */
  stackPtr: boolean;
  /** A struct `vg` with an array inside, and helpers that take and return such structs by value. */
  byValue: boolean;
  /** A kmalloc pool of one object, shared through a global pointer. */
  pool: boolean;
  /** Arrays `pa`, `pq` and a pointer `pp` that moves through them (pointer arithmetic). */
  ptrs: boolean;
  helpers: Helper[];
  procs: Array<{ count: number; body: Stmt[] }>;
  handler: boolean;
  /** The handler also wakes the wait queue (wake_up from interrupt context). */
  handlerWakes: boolean;
  props: Array<{ kind: "invariant" | "final" | "reachable"; e: Expr }>;
  /** An `init { }` block that builds part of the initial state (rendered so that it finishes). */
  init: Stmt[] | null;
  /** Properties over processes: a body's locals, where an instance is, quantifiers. */
  procProps: Array<{ kind: "invariant" | "final" | "reachable"; form: number; pick: number; bound: number }>;
  /** A `model` declaration: the uniprocessor model, smp said out loud, or none (smp). */
  model: "uniprocessor" | "smp" | null;
}

/**
 * C's integer types besides int, char and bool: declared locals and casts of these make every
 * operator meet unsigned and narrow operands (promotions, the unsigned IR operators, wrapping).
 */
const INT_TYPES = [
  "unsigned",
  "u8",
  "short",
  "unsigned short",
  "signed char",
  "unsigned char",
  "size_t",
  "s16",
] as const;
type IntType = (typeof INT_TYPES)[number];
type DeclType = "int" | "char" | "bool" | IntType;
/** Constants whose C type is unsigned int, or whose value a narrow type wraps. */
const LITERALS = ["1u", "0u", "4294967295u", "0x80000000", "0xffffffff", "200", "65535", "40000u"];

/** Every binary operator of C that KC has, for generators. */
export const BIN_OPS = [
  "+",
  "-",
  "*",
  "/",
  "%",
  "&",
  "|",
  "^",
  "<<",
  ">>",
  "<",
  "<=",
  ">",
  ">=",
  "==",
  "!=",
  "&&",
  "||",
];
const COMPOUND_OPS = ["=", "=", "=", "=", "+=", "-=", "*=", "|=", "^=", "/=", "%="];
/** Tasks (process instances) per program: more makes the state space grow past milliseconds. */
const MAX_TASKS = 3;

const exprCache = new Map<number, fc.Arbitrary<Expr>>();
function expr(depth: number): fc.Arbitrary<Expr> {
  const hit = exprCache.get(depth);
  if (hit) return hit;
  const leaf: fc.Arbitrary<Expr> = fc.oneof(
    {
      arbitrary: fc.record({ k: fc.constant("const" as const), v: fc.integer({ min: -1, max: 3 }) }),
      weight: 2,
    },
    { arbitrary: fc.record({ k: fc.constant("var" as const), pick: fc.nat(63) }), weight: 4 },
    { arbitrary: fc.constant({ k: "self" as const }), weight: 1 },
    {
      arbitrary: fc.record({ k: fc.constant("lit" as const), text: fc.constantFrom(...LITERALS) }),
      weight: 1,
    },
  );
  let arb = leaf;
  if (depth > 0) {
    const sub = expr(depth - 1);
    arb = fc.oneof(
      { arbitrary: leaf, weight: 4 },
      {
        arbitrary: fc.record({
          k: fc.constant("bin" as const),
          op: fc.constantFrom(...BIN_OPS),
          l: sub,
          r: sub,
        }),
        weight: 4,
      },
      {
        arbitrary: fc.record({
          k: fc.constant("un" as const),
          op: fc.constantFrom("!" as const, "-" as const, "~" as const),
          e: sub,
        }),
        weight: 1,
      },
      { arbitrary: fc.record({ k: fc.constant("cond" as const), c: sub, t: sub, f: sub }), weight: 1 },
      {
        arbitrary: fc.record({ k: fc.constant("cast" as const), to: fc.constantFrom(...INT_TYPES), e: sub }),
        weight: 1,
      },
      {
        arbitrary: fc.record({
          k: fc.constant("call" as const),
          pick: fc.nat(7),
          args: fc.array(sub, { minLength: 2, maxLength: 2 }),
        }),
        weight: 1,
      },
      {
        arbitrary: fc.record({
          k: fc.constant("post" as const),
          pick: fc.nat(63),
          op: fc.constantFrom("++" as const, "--" as const),
        }),
        weight: 1,
      },
    );
  }
  exprCache.set(depth, arb);
  return arb;
}

const stmtCache = new Map<number, fc.Arbitrary<Stmt>>();
function stmt(depth: number): fc.Arbitrary<Stmt> {
  const hit = stmtCache.get(depth);
  if (hit) return hit;
  const e = expr(2);
  const c = expr(1);
  const simple: Array<{ arbitrary: fc.Arbitrary<Stmt>; weight: number }> = [
    {
      arbitrary: fc.record({
        k: fc.constant("assign" as const),
        pick: fc.nat(63),
        op: fc.constantFrom(...COMPOUND_OPS),
        e,
        wrap: fc.boolean(),
      }),
      weight: 8,
    },
    {
      arbitrary: fc.record({
        k: fc.constant("incdec" as const),
        pick: fc.nat(63),
        op: fc.constantFrom("++" as const, "--" as const),
        prefix: fc.boolean(),
      }),
      weight: 3,
    },
    {
      arbitrary: fc.record({
        k: fc.constant("check" as const),
        what: fc.constantFrom("await" as const, "assume" as const, "assert" as const),
        c,
      }),
      weight: 3,
    },
    {
      arbitrary: fc.record({
        k: fc.constant("choose" as const),
        pick: fc.nat(63),
        hi: fc.option(fc.nat(63), { freq: 4, nil: null }),
      }),
      weight: 2,
    },
    {
      arbitrary: fc.record({
        k: fc.constant("call" as const),
        pick: fc.nat(7),
        args: fc.array(c, { minLength: 2, maxLength: 2 }),
        into: fc.option(fc.nat(63), { nil: null }),
      }),
      weight: 2,
    },
    {
      arbitrary: fc.record({
        k: fc.constant("decl" as const),
        type: fc.constantFrom<DeclType>("int", "int", "char", "bool", ...INT_TYPES),
        e,
      }),
      weight: 3,
    },
    {
      arbitrary: fc.record({
        k: fc.constant("wait" as const),
        sleep: fc.boolean(),
        interruptible: fc.boolean(),
        signal: fc.boolean(),
      }),
      weight: 1,
    },
    {
      arbitrary: fc.record({
        k: fc.constant("jump" as const),
        what: fc.constantFrom("break" as const, "continue" as const),
      }),
      weight: 1,
    },
    { arbitrary: fc.record({ k: fc.constant("structcopy" as const), e: c }), weight: 1 },
    { arbitrary: fc.record({ k: fc.constant("rec" as const), e: c, deep: fc.boolean() }), weight: 1 },
    { arbitrary: fc.record({ k: fc.constant("nullptr" as const), pick: fc.nat(63), c, e: c }), weight: 1 },
    { arbitrary: fc.record({ k: fc.constant("bump" as const), pick: fc.nat(63) }), weight: 1 },
    { arbitrary: fc.record({ k: fc.constant("die" as const), c }), weight: 1 },
    { arbitrary: fc.record({ k: fc.constant("task" as const), op: fc.nat(4), e: c }), weight: 1 },
    { arbitrary: fc.record({ k: fc.constant("stackptr" as const), op: fc.nat(4), e: c }), weight: 2 },
    { arbitrary: fc.record({ k: fc.constant("byval" as const), op: fc.nat(5), e: c }), weight: 2 },
    { arbitrary: fc.record({ k: fc.constant("pool" as const), op: fc.nat(4), e: c }), weight: 1 },
    {
      arbitrary: fc.record({ k: fc.constant("ptrarith" as const), op: fc.nat(13), pick: fc.nat(63), e: c }),
      weight: 2,
    },
  ];
  let arb: fc.Arbitrary<Stmt> = fc.oneof(...simple);
  if (depth > 0) {
    const body = fc.array(stmt(depth - 1), { minLength: 1, maxLength: 2 });
    arb = fc.oneof(
      ...simple,
      {
        arbitrary: fc.record({
          k: fc.constant("if" as const),
          c,
          t: body,
          f: fc.option(body, { nil: null }),
        }),
        weight: 3,
      },
      {
        arbitrary: fc.record({
          k: fc.constant("loop" as const),
          kind: fc.constantFrom("for" as const, "while" as const, "do" as const),
          body,
        }),
        weight: 2,
      },
      {
        arbitrary: fc.record({
          k: fc.constant("switch" as const),
          e: c,
          cases: fc.array(body, { minLength: 1, maxLength: 3 }),
          dflt: fc.option(body, { nil: null }),
          fall: fc.boolean(),
        }),
        weight: 1,
      },
      { arbitrary: fc.record({ k: fc.constant("atomic" as const), body }), weight: 2 },
      {
        arbitrary: fc.record({
          k: fc.constant("cli" as const),
          body,
          save: fc.boolean(),
          local: fc.boolean(),
        }),
        weight: 1,
      },
    );
  }
  stmtCache.set(depth, arb);
  return arb;
}

function shape(): fc.Arbitrary<Shape> {
  const body = fc.array(stmt(2), { minLength: 1, maxLength: 4 });
  const global = fc.record({
    hi: fc.option(fc.constantFrom(1 as const, 3 as const), { freq: 2, nil: null }),
    init: fc.option(fc.integer({ min: -1, max: 3 }), { freq: 2, nil: null }),
    type: fc.constantFrom("int" as const, "int" as const, "unsigned" as const, "u8" as const),
  });
  const helper = fc.record({
    params: fc.integer({ min: 0, max: 2 }),
    body: fc.array(stmt(1), { minLength: 0, maxLength: 3 }),
    early: fc.option(fc.record({ c: expr(1), v: expr(1) }), { freq: 3, nil: null }),
    ret: expr(1),
  });
  return fc.record({
    globals: fc.array(global, { minLength: 1, maxLength: 4 }),
    arr: fc.option(fc.constantFrom(2 as const, 3 as const), { freq: 2, nil: null }),
    struct: fc.boolean(),
    wait: fc.boolean(),
    bump: fc.boolean(),
    exits: fc.boolean(),
    rec: fc.boolean(),
    task: fc.boolean(),
    stackPtr: fc.boolean(),
    byValue: fc.boolean(),
    pool: fc.boolean(),
    ptrs: fc.boolean(),
    helpers: fc.array(helper, { minLength: 0, maxLength: 2 }),
    procs: fc.array(fc.record({ count: fc.integer({ min: 1, max: 2 }), body }), {
      minLength: 1,
      maxLength: 3,
    }),
    handler: fc.boolean(),
    handlerWakes: fc.boolean(),
    init: fc.option(fc.array(stmt(2), { minLength: 1, maxLength: 3 }), { freq: 3, nil: null }),
    procProps: fc.array(
      fc.record({
        kind: fc.constantFrom("invariant" as const, "final" as const, "reachable" as const),
        form: fc.nat(4),
        pick: fc.nat(63),
        bound: fc.integer({ min: -1, max: 3 }),
      }),
      { maxLength: 2 },
    ),
    props: fc.array(
      fc.record({
        kind: fc.constantFrom(
          "invariant" as const,
          "invariant" as const,
          "final" as const,
          "reachable" as const,
        ),
        e: expr(2),
      }),
      { maxLength: 2 },
    ),
    model: fc.constantFrom("uniprocessor" as const, "uniprocessor" as const, "smp" as const, null, null),
  });
}

/**
 * Small random KC programs as source text. Every one compiles: 1–3 processes (some with two
 * instances, at most three tasks in all), 1–4 globals of int, unsigned or u8 (the first a ranged int, so an interrupt
 * handler `assume(g0 < 2); g0++;` stays bounded), sometimes an array, a struct, a wait queue;
 * 0–2 int helpers, a pointer helper and a recursive one; bodies of assignments (plain and
 * compound), `++`/`--`, if/else, switch, two-round for/while/do loops with break/continue,
 * atomic, await/assume/assert, choose, calls, cli/sti and save/restore_flags, struct copies,
 * sleep_on/wake_up and signals, a maybe-NULL store; locals and casts of C's other integer
 * types (unsigned, short, the chars, u8, size_t) and unsigned constants, so that every operator
 * meets unsigned and narrow operands; optional invariant/final/reachable
 * properties over globals; `model uniprocessor;` in two programs of five, where every call from
 * a body is a system call. Run-time faults (division by zero, an index out of bounds, a range
 * overflow, a NULL dereference, an empty choose, a stack overflow) are meant to happen: an
 * explorer must find them. Every process terminates, so the state space is finite and mostly
 * tiny (median ~25 states; a few percent pass 3000); cap the search anyway. No expression has
 * unsequenced accesses to one object (C11 6.5p2, KC314), aliases included: see Ctx.touched.
 */
export function kcProgram(): fc.Arbitrary<string> {
  return shape().map(render);
}

interface Var {
  name: string;
  /** Declared range bound (int<0..hi>), or null for plain int, char or bool. */
  hi: number | null;
  type: DeclType;
  /** Loop counters are read, never written. */
  writable: boolean;
  /** Plain int memory whose address may be passed as `int *`. */
  addressable: boolean;
}

/**
 * The object a variable's accesses touch, for keeping expressions free of unsequenced accesses
 * (C11 6.5p2, KC314), and the objects its address reads. Coarser than C's objects, so that no
 * alias is missed: every element of an array is one object (`arr[g0]` may be `arr[1]`), a
 * union's members are one (`s.c`, `s.cu`), and so is all of `vg`, which calls read whole.
 */
function objectOf(v: Var): { obj: string; reads: string[] } {
  const base = v.name.split("[")[0] as string;
  const obj = base.startsWith("vg.") ? "vg" : base === "s.cu" ? "s.c" : base;
  return { obj, reads: v.name.includes("[g0]") ? ["g0"] : [] };
}

/** Renders a shape to KC source: names are resolved against what is in scope at each point. */
function render(s: Shape): string {
  const out: string[] = [];
  const globals: Var[] = s.globals.map((g, i) => {
    const hi = i === 0 ? (g.hi ?? 3) : g.hi;
    const type = hi === null && i > 0 ? g.type : "int";
    return { name: `g${i}`, hi, type, writable: true, addressable: hi === null && type === "int" };
  });
  s.globals.forEach((g, i) => {
    const v = globals[i] as Var;
    const type = v.hi !== null ? `int<0..${v.hi}>` : v.type;
    const init = g.init !== null && (v.hi === null || (g.init >= 0 && g.init <= v.hi)) ? ` = ${g.init}` : "";
    out.push(`${type} ${v.name}${init};`);
  });
  const elems: Var[] = [];
  const r0 = "g0"; // ranged 0..1 or 0..3: an index that may run past a 2- or 3-element array
  const el = (name: string): Var => ({ name, hi: null, type: "int", writable: true, addressable: true });
  if (s.arr) {
    out.push(`int arr[${s.arr}];`);
    elems.push(el("arr[0]"), el("arr[1]"), el(`arr[${r0}]`));
  }
  if (s.struct) {
    // An anonymous union: s.c and s.cu are one word, read as int and as unsigned int.
    out.push(
      "struct S { int a; int b[2]; union { int c; unsigned int cu; }; };",
      "struct S s = { .a = 1, .cu = 4294967295u };",
    );
    elems.push(el("s.a"), el("s.b[1]"), el(`s.b[${r0}]`), el("s.c"), {
      ...el("s.cu"),
      type: "unsigned",
      addressable: false,
    });
  }
  if (s.wait) out.push("struct wait_queue *wq;");
  if (s.bump) out.push("void bump(int *q) { *q = *q + 1; }");
  if (s.exits) out.push("int exits;", "void do_exit(long code) { exits = exits + 1; do_task_dead(); }");
  if (s.rec) out.push("int rec(int n) { if (n <= 0) return 0; return rec(n - 1) + 1; }");
  if (s.task) out.push("struct task_struct *tk;");
  if (s.stackPtr) out.push("int *sp;", "void stash(int v) { int loc = v; sp = &loc; loc = loc + 1; }");
  if (s.byValue) {
    // Copies in and out: a callee's changes to its parameter must not reach the caller's struct.
    out.push(
      "struct V { int a; int b[2]; };",
      "struct V vg = { 1, { 2, 3 } };",
      "struct V vmk(int k) { struct V l; l.a = k; l.b[0] = k + 1; l.b[1] = vg.a; return l; }",
      "struct V vbump(struct V v, int d) { v.a = v.a + d; v.b[1]++; vg.b[0] = v.b[0]; return v; }",
      "int vsum(struct V v) { v.b[0] = 0; return v.a + v.b[1]; }",
    );
    elems.push(el("vg.a"), el("vg.b[1]"));
  }
  if (s.pool) out.push("struct N { int v; struct N *next; };", "pool struct N[1];", "struct N *np;");
  if (s.ptrs)
    out.push(
      "int pa[3] = { 1, 2, 3 };",
      "int pq[2];",
      "int *pp = pa;",
      "int pf0(int a, int b) { return a + b; }",
      "int pf1(int a, int b) { pa[0] = b; return a - b; }",
      "int (*fpp)(int, int) = pf1;",
      "struct PC { int k; int m[2]; };",
      "struct PC pcs[2];",
    );

  s.helpers.forEach((h, k) => {
    const params = Array.from({ length: h.params }, (_, i) => `int p${i}`);
    const ctx = new Ctx(s, [...globals, ...elems], false, k);
    const scope = ctx.scopes[0] as Var[];
    for (let i = 0; i < h.params; i++)
      scope.push({ name: `p${i}`, hi: null, type: "int", writable: true, addressable: false });
    const lines: string[] = [];
    if (h.early) lines.push(`  if (${ctx.expr(h.early.c)}) return ${ctx.expr(h.early.v)};`);
    ctx.block(h.body, lines, 1);
    ctx.fresh();
    lines.push(`  return ${ctx.expr(h.ret)};`);
    out.push(`int h${k}(${params.join(", ")}) {`, ...lines, "}");
  });

  let tasks = MAX_TASKS;
  const bodies: Array<{ name: string; locals: string[] }> = [];
  s.procs.forEach((p, k) => {
    if (tasks === 0) return;
    const count = Math.min(p.count, tasks);
    tasks -= count;
    const ctx = new Ctx(s, [...globals, ...elems], true, s.helpers.length);
    const lines: string[] = [];
    ctx.block(p.body, lines, 1);
    out.push(`process w${k}${count > 1 ? `[${count}]` : ""} {`, ...lines, "}");
    bodies.push({ name: `w${k}`, locals: ctx.intLocals });
  });
  if (s.init) {
    // init must finish (else the spec is KC421 and nothing is explored): no ranged targets, no
    // index by g0, no calls, and the statements that choose, wait, fault or fail are left out.
    const safe = [...globals, ...elems].filter((v) => v.hi === null && !v.name.includes(`[${r0}]`));
    const ctx = new Ctx(s, safe, false, 0, false, true);
    const lines: string[] = [];
    ctx.block(s.init, lines, 1);
    out.push("init {", ...lines, "}");
  }
  if (s.handler) {
    const wake = s.handlerWakes && s.wait ? " wake_up(&wq);" : "";
    out.push(`interrupt irq { assume(${r0} < ${Math.min(2, globals[0]?.hi ?? 3)}); ${r0}++;${wake} }`);
  }

  if (s.model) out.push(`model ${s.model};`);
  const pctx = new Ctx(s, [...globals, ...elems], false, 0, true);
  s.props.forEach((p, i) => {
    out.push(`${p.kind} prop${i}: ${pctx.expr(p.e)};`);
  });
  s.procProps.forEach((q, i) => {
    const b = bodies[q.pick % bodies.length] as (typeof bodies)[number];
    const local = b.locals[q.pick % Math.max(1, b.locals.length)];
    const helper = s.helpers.length > 0 ? `h${q.pick % s.helpers.length}` : null;
    const forms = [
      local ? `forall i: ${b.name}[i] exited || ${b.name}[i].${local} <= ${q.bound}` : null,
      local ? `exists i: ${b.name}[i].${local} == ${q.bound}` : null,
      helper ? `exists i: ${b.name}[i] in ${helper}` : null,
      `(&${b.name}[0])->state == 0 && !(${b.name}[0] exited)`,
      `forall i: ${b.name}[i] exited`,
    ];
    const text = forms[q.form % forms.length] ?? forms[3];
    out.push(`${q.kind} pp${i}: ${text};`);
  });
  return `${out.join("\n")}\n`;
}

/** Statements an init block may hold and still finish: nothing that can fault, fail, choose or wait. */
function initSafe(st: Stmt): boolean {
  switch (st.k) {
    case "rec":
    case "check":
    case "choose":
    case "call":
    case "die": // no task to end
    case "nullptr":
    case "stackptr":
    case "ptrarith": // leaves its array, calls through NULL, makes a bad error pointer
      return false;
    case "task":
      return st.op === 1 || st.op === 3 || st.op === 4;
    case "pool":
      return st.op <= 1;
    default:
      return true;
  }
}

/** What is in scope while rendering one body. */
class Ctx {
  readonly scopes: Var[][] = [[]];
  private locals = 0;
  /** The int locals this body declares (each name once), which a property may read. */
  readonly intLocals: string[] = [];
  private loops = 0;
  /** Enclosing loops and switches, innermost last: where break and continue may go. */
  private readonly breakable: Array<"loop" | "switch"> = [];
  /**
   * The objects the statement being rendered has accessed so far, true for one a `++`/`--`
   * wrote: a written object is not accessed again, and an accessed one not written by
   * `++`/`--`, so no expression has unsequenced accesses. Kept for the whole statement, which
   * is stricter than C (whose sequence points would allow more) and simple.
   */
  private touched = new Map<string, boolean>();

  constructor(
    private readonly s: Shape,
    private readonly outer: Var[],
    private readonly inProcess: boolean,
    /** Helpers h0 .. h(callable - 1) may be called (no recursion). */
    private readonly callable: number,
    /** A property: no side effects at all. */
    private readonly pure = false,
    /** An init block: nothing that can fault, fail, choose or wait. */
    private readonly init = false,
  ) {}

  private vars(): Var[] {
    return [...this.outer, ...this.scopes.flat()];
  }

  private pickVar(pick: number, ok: (v: Var) => boolean): Var | null {
    const vs = this.vars().filter(ok);
    return vs.length === 0 ? null : (vs[pick % vs.length] as Var);
  }

  /** A new statement (or a helper's early return or result): nothing accessed yet. */
  fresh(): void {
    this.touched = new Map();
  }

  /** Whether v may be read: no `++`/`--` of this statement wrote it or what its address reads. */
  private readable(v: Var): boolean {
    const { obj, reads } = objectOf(v);
    return this.touched.get(obj) !== true && reads.every((r) => this.touched.get(r) !== true);
  }

  /** Whether v may be written by `++`/`--`: nothing of this statement accessed it yet. */
  private postable(v: Var): boolean {
    return !this.touched.has(objectOf(v).obj) && this.readable(v);
  }

  /** Notes an access of v (`write`: by `++`/`--`); an assignment's target is noted as a read. */
  private access(v: Var, write = false): void {
    const { obj, reads } = objectOf(v);
    this.touched.set(obj, write || this.touched.get(obj) === true);
    for (const r of reads) if (!this.touched.has(r)) this.touched.set(r, false);
  }

  expr(e: Expr): string {
    switch (e.k) {
      case "const":
        return e.v < 0 ? `(${e.v})` : String(e.v);
      case "lit":
        return e.text;
      case "cast":
        return `((${e.to})${this.expr(e.e)})`;
      case "var": {
        const v = this.pickVar(e.pick, (x) => this.readable(x));
        if (!v) return "0";
        this.access(v);
        return v.name;
      }
      case "self":
        return this.inProcess ? "self" : "1";
      case "un":
        return `(${e.op}${this.expr(e.e)})`;
      case "bin": {
        // In init, nothing that may fault: no division that may be by zero, no shift whose
        // count may be out of range.
        const faulting: Record<string, string> = { "/": "+", "%": "-", "<<": "|", ">>": "&" };
        const op = this.init ? (faulting[e.op] ?? e.op) : e.op;
        return `(${this.expr(e.l)} ${op} ${this.expr(e.r)})`;
      }
      case "cond":
        return `(${this.expr(e.c)} ? ${this.expr(e.t)} : ${this.expr(e.f)})`;
      case "call":
        if (this.callable === 0) return this.expr(e.args[0] ?? { k: "const", v: 0 });
        return this.callText(e.pick, e.args);
      case "post": {
        if (this.pure) {
          const v = this.pickVar(e.pick, (x) => x.writable && x.type !== "bool" && this.readable(x));
          if (v) this.access(v);
          return v?.name ?? "2";
        }
        const v = this.pickVar(e.pick, (x) => x.writable && x.type !== "bool" && this.postable(x));
        if (!v) return "2";
        this.access(v, true);
        return `${v.name}${e.op}`;
      }
    }
  }

  private callText(pick: number, args: Expr[]): string {
    const k = pick % this.callable;
    const n = this.s.helpers[k]?.params ?? 0;
    return `h${k}(${args
      .slice(0, n)
      .map((a) => this.expr(a))
      .join(", ")})`;
  }

  block(body: Stmt[], lines: string[], indent: number): void {
    this.scopes.push([]);
    for (const st of body) this.stmt(st, lines, indent);
    this.scopes.pop();
  }

  private stmt(st: Stmt, lines: string[], indent: number): void {
    const pad = "  ".repeat(indent);
    const line = (text: string): void => {
      lines.push(pad + text);
    };
    if (this.init && !initSafe(st)) return;
    this.fresh();
    switch (st.k) {
      case "assign": {
        const v = this.pickVar(st.pick, (x) => x.writable);
        if (!v) return;
        // The store conflicts with a `++`/`--` of v (or of what its address reads) in the value.
        this.access(v);
        const value = this.expr(st.e);
        // Keep a ranged target in range (most of the time: an overflow is a finding too).
        // In init, no compound division that may be by zero.
        const op =
          this.init && (st.op === "/=" || st.op === "%=" || st.op === "<<=" || st.op === ">>=")
            ? "+="
            : st.op;
        if (v.hi !== null && st.wrap) line(`${v.name} = ${value} & ${v.hi};`);
        else line(`${v.name} ${op} ${value};`);
        return;
      }
      case "incdec": {
        const v = this.pickVar(st.pick, (x) => x.writable && x.type !== "bool");
        if (v) line(st.prefix ? `${st.op}${v.name};` : `${v.name}${st.op};`);
        return;
      }
      case "if":
        line(`if (${this.expr(st.c)}) {`);
        this.block(st.t, lines, indent + 1);
        if (st.f) {
          line("} else {");
          this.block(st.f, lines, indent + 1);
        }
        line("}");
        return;
      case "loop": {
        // Two rounds at most, counted by a variable the body never writes, so every loop ends
        // (continue included: the count is in the test or the update).
        const i = `i${this.loops++}`;
        const counter: Var = { name: i, hi: null, type: "int", writable: false, addressable: false };
        if (st.kind === "for") line(`for (int ${i} = 0; ${i} < 2; ${i}++) {`);
        else if (st.kind === "while") line(`{ int ${i} = 0; while (${i}++ < 2) {`);
        else line(`{ int ${i} = 0; do {`);
        this.scopes.push([counter]);
        this.breakable.push("loop");
        this.block(st.body, lines, indent + 1);
        this.breakable.pop();
        this.scopes.pop();
        line(st.kind === "for" ? "}" : st.kind === "while" ? "} }" : `} while (${i}++ < 1); }`);
        return;
      }
      case "jump":
        if (st.what === "continue" ? this.breakable.includes("loop") : this.breakable.length > 0)
          line(`${st.what};`);
        return;
      case "switch": {
        line(`switch (${this.expr(st.e)}) {`);
        this.breakable.push("switch");
        st.cases.forEach((body, v) => {
          line(`case ${v}: {`);
          this.block(body, lines, indent + 1);
          if (!st.fall || v === st.cases.length - 1) lines.push(`${pad}  break;`);
          line("}");
        });
        if (st.dflt) {
          line("default: {");
          this.block(st.dflt, lines, indent + 1);
          line("}");
        }
        this.breakable.pop();
        line("}");
        return;
      }
      case "structcopy":
        if (!this.s.struct) return;
        // A struct copied word by word into a local and back: one statement each.
        line(`{ struct S t = s; t.a = ${this.expr(st.e)}; s = t; }`);
        return;
      case "rec": {
        if (!this.s.rec) return;
        // Fifty frames per unit of the argument soon exhaust a recursive unit's stack.
        const v = this.pickVar(0, (x) => x.writable && x.hi === null);
        if (v) this.access(v);
        line(`${v?.name ?? "g0"} = rec(${this.expr(st.e)}${st.deep ? " * 50" : ""});`);
        return;
      }
      case "atomic":
        line("atomic {");
        this.block(st.body, lines, indent + 1);
        line("}");
        return;
      case "check":
        line(`${st.what}(${this.expr(st.c)});`);
        return;
      case "choose": {
        const v = this.pickVar(st.pick, (x) => x.writable);
        if (!v) return;
        // choose(0, 2), or up to a variable mod 3: empty (a fault) when that is negative.
        const hi = st.hi === null ? null : this.pickVar(st.hi, () => true);
        const top = v.hi !== null ? String(Math.min(2, v.hi)) : hi ? `${hi.name} % 3` : "2";
        line(`${v.name} = choose(0, ${top});`);
        return;
      }
      case "call": {
        if (this.callable === 0) return;
        const v = st.into === null ? null : this.pickVar(st.into, (x) => x.writable && x.hi === null);
        // What the target's address reads must not be written by the arguments; the target
        // itself may be (`x = h0(x++)`: the arguments are complete before the call).
        for (const r of v ? objectOf(v).reads : []) this.touched.set(r, false);
        const text = this.callText(st.pick, st.args);
        line(v ? `${v.name} = ${text};` : `${text};`);
        return;
      }
      case "cli": {
        const [off, on, restore] = st.local
          ? ["arch_local_irq_disable", "arch_local_irq_enable", "arch_local_irq_restore"]
          : ["cli", "sti", "restore_flags"];
        if (st.save) {
          const f = `f${this.locals++}`;
          line(`{ int ${f}; save_flags(${f}); ${off}();`);
          this.block(st.body, lines, indent + 1);
          line(`${restore}(${f}); }`);
        } else {
          line(`${off}();`);
          this.block(st.body, lines, indent + 1);
          line(`${on}();`);
        }
        return;
      }
      case "decl": {
        const k = this.locals++;
        const name = `l${k}`;
        // Every third local spells its type through GNU C's typeof of a cast, which names the
        // same type: both explorers must see the declaration written the plain way.
        const spelled = k % 3 === 2 ? `typeof((${st.type})0)` : st.type;
        line(`${spelled} ${name} = ${this.expr(st.e)};`);
        if (st.type === "int") this.intLocals.push(name);
        (this.scopes[this.scopes.length - 1] as Var[]).push({
          name,
          hi: null,
          type: st.type,
          writable: true,
          addressable: st.type === "int",
        });
        return;
      }
      case "wait":
        if (!this.s.wait) return;
        // sleep_on has the classic lost wake-up: a stuck waiter for the explorer to find.
        // A signal to itself makes a later interruptible sleep return at once.
        if (st.signal && this.inProcess) line("send_sig(1, current, 0);");
        else if (st.sleep && this.inProcess)
          line(st.interruptible ? "interruptible_sleep_on(&wq);" : "sleep_on(&wq);");
        else line(st.interruptible ? "wake_up_interruptible(&wq);" : "wake_up(&wq);");
        return;
      case "nullptr": {
        const target = this.pickVar(st.pick, (x) => x.addressable);
        if (!target) return;
        const c = this.expr(st.c);
        // `*q` is the target when q is not NULL: the value must not write it.
        this.access(target);
        line(`{ int *q = ${c} ? &${target.name} : NULL; *q = ${this.expr(st.e)}; }`);
        return;
      }
      case "task":
        // wake_up_process is the prelude's first function: its call must never look like an exit.
        if (!this.s.task) return;
        if (st.op === 0 && this.inProcess) line("tk = current;");
        else if (st.op === 1) line("if (tk != NULL) wake_up_process(tk);");
        // Another process's task, by name or by pid (NULL once it has exited, or for no pid).
        else if (st.op === 3) line("tk = &w0[0];");
        else if (st.op === 4) line(`tk = find_task_by_vpid(${this.expr(st.e)});`);
        else line("wake_up_process(tk == NULL ? current : tk);");
        return;
      case "byval": {
        if (!this.s.byValue) return;
        // The calls read vg whole, and most forms store into it.
        this.touched.set("vg", false);
        const e = this.expr(st.e);
        if (st.op === 0) line(`vg = vmk(${e});`);
        else if (st.op === 1) line(`vg = vbump(vg, ${e});`);
        else if (st.op === 2) line(`vg.a = vsum(vbump(vmk(${e}), 1));`);
        else if (st.op === 3) line(`vg.b[1] = vbump(vg, ${e}).b[0];`);
        else if (st.op === 4) line(`{ struct V t = vmk(${e}); t.b[1]--; vg = vbump(t, t.a); }`);
        else line(`if (vsum(vg) == ${e}) vg.a = vbump(vg, 1).a;`);
        return;
      }
      case "stackptr":
        // A pointer into a frame that returns (stash), or into the stack of a task that exits.
        if (!this.s.stackPtr) return;
        if (st.op === 0) line(`stash(${this.expr(st.e)});`);
        else if (st.op === 1) line(`if (sp != NULL) *sp = ${this.expr(st.e)};`);
        else if (st.op === 2) line("sp = NULL;");
        else if (st.op === 4) {
          // Another process reads what the owner writes by name into its published local: a
          // step that merged those writes would hide values (the merge law compares).
          const g = this.pickVar(
            0,
            (x) => x.writable && x.hi === null && x.type === "int" && x.name.startsWith("g"),
          );
          if (g) line(`if (sp != NULL) ${g.name} = *sp;`);
        } else {
          const name = `l${this.locals++}`;
          line(`int ${name} = ${this.expr(st.e)}; sp = &${name};`);
        }
        return;
      case "pool":
        if (!this.s.pool) return;
        if (st.op === 0) line("np = kmalloc(sizeof(struct N));");
        else if (st.op === 1) line(`if (np != NULL) np->v = ${this.expr(st.e)};`);
        else if (st.op === 2) line("kfree(np);");
        else if (st.op === 3) line("{ struct N *t = np; np = NULL; kfree(t); }");
        else
          line(
            `if (np != NULL) np->next = np; if (np != NULL && np->next != NULL) np->next->v = ${this.expr(st.e)};`,
          );
        return;
      case "ptrarith": {
        // A pointer stepping through arrays: past either end, into another array, or compared
        // across arrays is a fault the explorer must find at the arithmetic.
        if (!this.s.ptrs) return;
        const g = this.pickVar(st.pick, (x) => x.writable && x.hi === null && x.type === "int");
        if (g) this.access(g);
        const v = this.expr(st.e);
        const into = g ? `${g.name} = ` : "";
        if (st.op === 0) line(`pp = pp + (${v}) % 3;`);
        else if (st.op === 1) line(`${into}*pp;`);
        else if (st.op === 2) line(`pp${st.pick % 2 === 0 ? "++" : "--"};`);
        else if (st.op === 3) line(`${into}pp - pa;`);
        else if (st.op === 4) line(`${into}pp < pa + 2;`);
        else if (st.op === 5)
          line(st.pick % 3 === 0 ? "pp = pq;" : st.pick % 3 === 1 ? "pp = pa;" : "pp = &pa[1];");
        else if (st.op === 6) line(`pp[(${v}) % 2] = 5;`);
        // Function pointers (NULL, or either function) and error pointers (ERR_PTR of a
        // positive value is a bad_cast).
        else if (st.op === 8)
          line(st.pick % 3 === 0 ? "fpp = NULL;" : st.pick % 3 === 1 ? "fpp = pf0;" : "fpp = &pf1;");
        else if (st.op === 9) line(`${into}fpp(${v}, 1);`);
        else if (st.op === 10) line(`pp = ERR_PTR(-((${v}) % 5));`);
        else if (st.op === 11) line(`${into}IS_ERR(pp) ? PTR_ERR(pp) : IS_ERR_OR_NULL(pp);`);
        // container_of from a member of a struct, and from a word of an array (out of it, or
        // read as the struct where the words agree).
        else if (st.op === 12)
          line(
            `{ struct PC *pc = container_of(&pcs[${st.pick % 2}].m[1], struct PC, m[1]); ${into}pc->k + offsetof(struct PC, m[1]); }`,
          );
        else if (st.op === 13)
          line(`{ struct PC *pc = container_of(&pa[${st.pick % 3}], struct PC, m[1]); pc->k = ${v}; }`);
        else
          line(
            `{ int loc[2] = { 4, 5 }; int *lp = loc + 1; lp[-1] = ${v}; ${into}(lp - loc) + *loc + loc[1]; }`,
          );
        return;
      }
      case "die":
        if (this.s.exits) line(`if (${this.expr(st.c)}) do_exit(1);`);
        return;
      case "bump": {
        if (!this.s.bump) return;
        const v = this.pickVar(st.pick, (x) => x.addressable && x.writable);
        if (v) line(`bump(&${v.name});`);
        return;
      }
    }
  }
}
