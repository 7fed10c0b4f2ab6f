// Tests for the KC parser: precedence, declarations, statements, spans, includes, error messages, robustness.
import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Decl, Expr, Init, Program, Span, Stmt, TypeExpr } from "./ast";
import { CompileError, type Diagnostic, formatDiagnostic } from "./diagnostics";
import { MAX_NESTING } from "./nesting";
import { BUILTIN_TYPEDEFS, newParseContext, type ParseContext, parseProgram } from "./parser";
import { SourceSet } from "./source";

// ------------------------------------------------------------ helpers

function parse(text: string, ctx: ParseContext = newParseContext()): Program {
  const sources = new SourceSet();
  return parseProgram(sources, sources.add("t.kc", text), ctx);
}

/** The single diagnostic thrown when parsing `text`, with the source text under its span. */
function parseError(text: string, ctx: ParseContext = newParseContext()): Diagnostic & { quoted: string } {
  try {
    parse(text, ctx);
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    expect(e.diagnostics).toHaveLength(1);
    const d = e.diagnostics[0] as Diagnostic;
    return { ...d, quoted: d.span ? text.slice(d.span.start, d.span.end) : "" };
  }
  throw new Error(`no error parsing ${JSON.stringify(text)}`);
}

/** The types in Go order, which reads left to right: `[3]*int` is an array of 3 pointers to int. */
function ty(t: TypeExpr): string {
  switch (t.kind) {
    case "named":
      return t.name;
    case "range":
      return `int<${ex(t.lo)}..${ex(t.hi)}>`;
    case "struct":
      return `struct ${t.name}${t.fields ? "{...}" : ""}`;
    case "enum":
      return `enum ${t.name ?? "?"}${t.members ? "{...}" : ""}`;
    case "typedef":
      return t.name;
    case "pointer":
      return `*${ty(t.to)}`;
    case "function":
      return `func(${t.params.map((p) => ty(p.type)).join(", ")}) ${ty(t.returns)}`;
    case "array":
      return `[${ex(t.size)}]${ty(t.of)}`;
    case "typeof":
      return `typeof(${isType(t.of) ? `type ${ty(t.of)}` : ex(t.of)})`;
  }
}

/** Expressions fully parenthesized, so that precedence shows. */
function ex(e: Expr): string {
  switch (e.kind) {
    case "int":
      return String(e.value);
    case "bool":
      return String(e.value);
    case "string":
      return JSON.stringify(e.value);
    case "null":
      return "NULL";
    case "name":
      return e.name;
    case "unary":
      return `(${e.op}${ex(e.operand)})`;
    case "incdec":
      return e.prefix ? `(${e.op}${ex(e.operand)})` : `(${ex(e.operand)}${e.op})`;
    case "binary":
      return `(${ex(e.left)} ${e.op} ${ex(e.right)})`;
    case "assign":
      return `(${ex(e.target)} ${e.op} ${ex(e.value)})`;
    case "cond":
      return `(${ex(e.test)} ? ${ex(e.then)} : ${ex(e.else)})`;
    case "call":
      return `${e.callee}(${e.args.map(ex).join(", ")})`;
    case "index":
      return `${ex(e.base)}[${ex(e.index)}]`;
    case "member":
      return `${ex(e.base)}${e.arrow ? "->" : "."}${e.field}`;
    case "sizeof":
      return `sizeof(${isType(e.of) ? `type ${ty(e.of)}` : ex(e.of)})`;
    case "cast":
      return `((${ty(e.to)}) ${ex(e.operand)})`;
    case "comma":
      return `(${ex(e.left)}, ${ex(e.right)})`;
    case "where":
      return `(${ex(e.process)} ${e.op}${e.op === "exited" ? "" : ` ${e.name}`})`;
    case "quantifier":
      return `(${e.q} ${e.name}: ${ex(e.body)})`;
    case "stmtExpr":
      return `({ ${e.body.length} statements })`;
  }
}

function isType(x: TypeExpr | Expr): x is TypeExpr {
  return ["named", "range", "struct", "enum", "typedef", "pointer", "array"].includes(x.kind);
}

function init(i: Init): string {
  if (i.kind === "expr") return ex(i.expr);
  const items = i.items.map((item) => {
    const ds = item.designators.map((d) => (d.kind === "field" ? `.${d.name}` : `[${ex(d.index)}]`)).join("");
    return `${ds}${ds ? "=" : ""}${init(item.value)}`;
  });
  return `{${items.join(", ")}}`;
}

function st(s: Stmt): string {
  switch (s.kind) {
    case "block":
      return `{${s.body.map(st).join(" ")}}`;
    case "decl":
      return `decl(${s.decls
        .map(
          (d) => `${d.isStatic ? "static " : ""}${d.name}:${ty(d.type)}${d.init ? `=${init(d.init)}` : ""}`,
        )
        .join(", ")})`;
    case "expr":
      return `${ex(s.expr)};`;
    case "empty":
      return ";";
    case "if":
      return `if ${ex(s.test)} ${st(s.then)}${s.else ? ` else ${st(s.else)}` : ""}`;
    case "while":
      return `while ${ex(s.test)} ${st(s.body)}`;
    case "doWhile":
      return `do ${st(s.body)} while ${ex(s.test)}`;
    case "for":
      return `for(${s.init ? st(s.init) : ""} ${s.test ? ex(s.test) : ""}; ${s.update ? ex(s.update) : ""}) ${st(s.body)}`;
    case "break":
      return "break;";
    case "continue":
      return "continue;";
    case "return":
      return s.value ? `return ${ex(s.value)};` : "return;";
    case "goto":
      return `goto ${s.label};`;
    case "labeled":
      return `${s.label}: ${st(s.body)}`;
    case "switch":
      return `switch ${ex(s.test)} ${st(s.body)}`;
    case "case":
      return `${s.value ? `case ${ex(s.value)}` : "default"}: ${st(s.body)}`;
    case "atomic":
      return `atomic ${st(s.body)}`;
    case "assert":
      return `assert(${ex(s.test)}${s.message === null ? "" : `, ${JSON.stringify(s.message)}`});`;
    case "assume":
      return `assume(${ex(s.test)});`;
    case "await":
      return `await(${ex(s.test)});`;
  }
}

/** A one-line summary of a top-level declaration. */
function dc(d: Decl): string {
  switch (d.kind) {
    case "const":
      return `const ${d.name}${d.type ? `:${ty(d.type)}` : ""} = ${ex(d.value)}`;
    case "var":
      return `var ${d.decl.name}:${ty(d.decl.type)}${d.decl.init ? ` = ${init(d.decl.init)}` : ""}`;
    case "struct":
      return `struct ${d.name}${d.fields ? ` {${d.fields.map((f) => `${f.name}:${ty(f.type)}`).join(", ")}}` : ""}`;
    case "enum":
      return `enum ${d.name ?? "?"} {${d.members.map((m) => (m.value ? `${m.name}=${ex(m.value)}` : m.name)).join(", ")}}`;
    case "typedef":
      return `typedef ${d.name}:${ty(d.type)}`;
    case "pool":
      return `pool ${ty(d.type)}[${ex(d.count)}]`;
    case "function":
      return `fn ${d.name}(${d.params.map((p) => `${p.name}:${ty(p.type)}`).join(", ")}):${ty(d.returns)}${d.body ? ` ${st(d.body)}` : ";"}`;
    case "process":
      return `process ${d.name}${d.count ? `[${ex(d.count)}]` : ""} ${st(d.body)}`;
    case "interrupt":
      return `interrupt ${d.name} ${st(d.body)}`;
    case "init":
      return `init ${st(d.body)}`;
    case "property":
      return `${d.property} ${d.name}: ${ex(d.expr)}`;
    case "expect":
      return `expect ${d.verdict}${d.property ? ` ${d.property}` : ""}`;
    case "include":
      return `include ${d.path}`;
    case "model":
      return `model ${d.model}`;
  }
}

function decls(text: string, ctx?: ParseContext): string[] {
  return parse(text, ctx).decls.map(dc);
}

/** The body statements of `void f(void) { BODY }`. */
function body(text: string, ctx?: ParseContext): string[] {
  const [f] = parse(`void f(void) {\n${text}\n}`, ctx).decls;
  if (f?.kind !== "function" || f.body?.kind !== "block") throw new Error("not a function");
  return f.body.body.map(st);
}

function expr(text: string, ctx?: ParseContext): string {
  const [s] = body(`${text};`, ctx);
  return (s as string).replace(/;$/, "");
}

function slice(text: string, span: Span): string {
  return text.slice(span.start, span.end);
}

// ------------------------------------------------------------ expressions

describe("expression precedence", () => {
  const cases: Array<[string, string]> = [
    ["a + b * c", "(a + (b * c))"],
    ["a * b + c", "((a * b) + c)"],
    ["a - b - c", "((a - b) - c)"],
    ["a / b % c * d", "(((a / b) % c) * d)"],
    ["a = b = c", "(a = (b = c))"],
    ["a += b -= c <<= 2", "(a += (b -= (c <<= 2)))"],
    ["a |= b ? c : d", "(a |= (b ? c : d))"],
    ["a ? b : c ? d : e", "(a ? b : (c ? d : e))"],
    ["a ? b, c : d", "(a ? (b, c) : d)"],
    ["a || b && c", "(a || (b && c))"],
    ["a && b | c", "(a && (b | c))"],
    ["a | b ^ c", "(a | (b ^ c))"],
    ["a ^ b & c", "(a ^ (b & c))"],
    ["x & y == z", "(x & (y == z))"],
    ["a == b < c", "(a == (b < c))"],
    ["a < b == c > d", "((a < b) == (c > d))"],
    ["a < b << c", "(a < (b << c))"],
    ["1 << 2 >> 3", "((1 << 2) >> 3)"],
    ["a << b + c", "(a << (b + c))"],
    ["a, b = c, d", "((a, (b = c)), d)"],
    ["-a * b", "((-a) * b)"],
    ["!a && ~b", "((!a) && (~b))"],
    ["- -a", "(-(-a))"],
    ["!!a", "(!(!a))"],
    ["*p++", "(*(p++))"],
    ["*p->q", "(*p->q)"],
    ["&s->wait", "(&s->wait)"],
    ["++s->count <= 0", "((++s->count) <= 0)"],
    ["x++ + ++y", "((x++) + (++y))"],
    ["x---y", "((x--) - y)"],
    ["a[i][j].f->g", "a[i][j].f->g"],
    ["(a + b) * c", "((a + b) * c)"],
    ["f(a, b = c, (d, e))", "f(a, (b = c), (d, e))"],
    ["choose(0, N - 1)", "choose(0, (N - 1))"],
    ["f()", "f()"],
    ["sizeof x + 1", "(sizeof(x) + 1)"],
    ["sizeof(int) * 2", "(sizeof(type int) * 2)"],
    ["sizeof(struct foo *)", "sizeof(type *struct foo)"],
    ["sizeof (x)", "sizeof(x)"],
    ["sizeof(int[4])", "sizeof(type [4]int)"],
    ["(int)x + y", "(((int) x) + y)"],
    ["(signed long)-x", "((int) (-x))"],
    ["(wait_queue_head_t *)p", "((*wait_queue_head_t) p)"],
    ["(x) + y", "(x + y)"],
    ["(x) - y", "(x - y)"],
    ["NULL == current", "(NULL == current)"],
    ["self + true + false", "((self + true) + false)"],
    ['"ab" "cd"', '"abcd"'],
    ["'a' + 0x10", "(97 + 16)"],
    ["a = b ? c : d ? e : f", "(a = (b ? c : (d ? e : f)))"],
    ["-2147483647", "(-2147483647)"],
  ];
  it.each(cases)("%s", (source, printed) => {
    expect(expr(source)).toBe(printed);
  });

  it("tells casts from parenthesized names by the typedefs known", () => {
    const ctx = newParseContext();
    ctx.typedefs.add("T");
    expect(expr("(T) - y", ctx)).toBe("((T) (-y))");
    expect(expr("(U) - y", ctx)).toBe("(U - y)");
    expect(expr("sizeof(T)", ctx)).toBe("sizeof(type T)");
    expect(expr("sizeof(U)", ctx)).toBe("sizeof(U)");
  });
});

// ------------------------------------------------------------ the design example

const DESIGN_EXAMPLE = `const N = 3;                               // override with -D N=5

struct semaphore { int count; int waking; struct wait_queue *wait; };
struct semaphore sem = { .count = 1 };
int holders;                               // ghost: tasks between down() and up()

void __up(struct semaphore *s) { s->waking++; wake_up(&s->wait); }
void up(struct semaphore *s) { if (++s->count <= 0) __up(s); }   // "lock; incl; jle": one step

int waking_non_zero(struct semaphore *s) {
    int ret = 0;
    atomic { if (s->waking > 0) { s->waking--; ret = 1; } }     // under cli()
    return ret;
}

void __down(struct semaphore *s) {
    struct wait_queue wait = { current, NULL };                 // lives on this task's stack
    current->state = TASK_UNINTERRUPTIBLE;
    add_wait_queue(&s->wait, &wait);
    for (;;) {
        if (waking_non_zero(s)) break;
        schedule();
        current->state = TASK_UNINTERRUPTIBLE;
    }
    current->state = TASK_RUNNING;
    remove_wait_queue(&s->wait, &wait);
}
void down(struct semaphore *s) { if (--s->count < 0) __down(s); }  // "lock; decl; js"

process worker[N] {
    for (;;) { down(&sem); holders++; holders--; up(&sem); }
}

invariant mutual_exclusion: holders <= 1;
reachable contention: sem.count < 0;        // the search did reach a sleeping waiter
expect holds;
`;

describe("the DESIGN.md example", () => {
  it("parses", () => {
    expect(decls(DESIGN_EXAMPLE)).toEqual([
      "const N = 3",
      "struct semaphore {count:int, waking:int, wait:*struct wait_queue}",
      "var sem:struct semaphore = {.count=1}",
      "var holders:int",
      "fn __up(s:*struct semaphore):void {(s->waking++); wake_up((&s->wait));}",
      "fn up(s:*struct semaphore):void {if ((++s->count) <= 0) __up(s);}",
      "fn waking_non_zero(s:*struct semaphore):int {decl(ret:int=0) atomic {if (s->waking > 0) {(s->waking--); (ret = 1);}} return ret;}",
      "fn __down(s:*struct semaphore):void {decl(wait:struct wait_queue={current, NULL}) (current->state = TASK_UNINTERRUPTIBLE); add_wait_queue((&s->wait), (&wait)); for( ; ) {if waking_non_zero(s) break; schedule(); (current->state = TASK_UNINTERRUPTIBLE);} (current->state = TASK_RUNNING); remove_wait_queue((&s->wait), (&wait));}",
      "fn down(s:*struct semaphore):void {if ((--s->count) < 0) __down(s);}",
      "process worker[N] {for( ; ) {down((&sem)); (holders++); (holders--); up((&sem));}}",
      "invariant mutual_exclusion: (holders <= 1)",
      "reachable contention: (sem.count < 0)",
      "expect holds",
    ]);
  });
});

// ------------------------------------------------------------ declarations

describe("declarations", () => {
  it("reads the execution model; 'model' stays a name elsewhere", () => {
    expect(decls("model uniprocessor; model smp; int model; int f(int model) { return model; }")).toEqual([
      "model up",
      "model smp",
      "var model:int",
      "fn f(model:int):int {return model;}",
    ]);
  });

  it("applies pointers and array dimensions in C order", () => {
    expect(decls("int a[3][2]; struct foo **pp; int *ap[3]; struct wait_queue *wait;")).toEqual([
      "var a:[3][2]int",
      "var pp:**struct foo",
      "var ap:[3]*int",
      "var wait:*struct wait_queue",
    ]);
  });

  it("splits several declarators", () => {
    expect(decls("int a = 1, *b, c[2] = {1, 2};")).toEqual([
      "var a:int = 1",
      "var b:*int",
      "var c:[2]int = {1, 2}",
    ]);
  });

  it("maps C integer type words to C's types as on i386 (long is int)", () => {
    expect(
      decls(
        "long l; long int li; signed si; signed int sj; signed long sl; int long il; signed char sc; char c; bool b; long int<0..3> r;",
      ),
    ).toEqual([
      "var l:int",
      "var li:int",
      "var si:int",
      "var sj:int",
      "var sl:int",
      "var il:int",
      "var sc:signed char",
      "var c:char",
      "var b:bool",
      "var r:int<0..3>",
    ]);
    expect(
      decls(
        "unsigned u; unsigned int ui; long unsigned int lu; unsigned long ul; unsigned char uc; short s; short int si; signed short ss; unsigned short us; short unsigned int sui;",
      ),
    ).toEqual([
      "var u:unsigned int",
      "var ui:unsigned int",
      "var lu:unsigned int",
      "var ul:unsigned int",
      "var uc:unsigned char",
      "var s:short",
      "var si:short",
      "var ss:short",
      "var us:unsigned short",
      "var sui:unsigned short",
    ]);
  });

  it.each([
    ["unsigned int<0..3> u;", "KC313", "unsigned"],
    ["short int<0..3> u;", "KC313", "short"],
    ["long long ll;", "KC313", "long"],
    ["long long int ll;", "KC313", "long"],
    ["unsigned long long ull;", "KC313", "long"],
    ["void f(void) { x = sizeof(long long); }", "KC313", "long"],
    ["signed unsigned x;", "KC110", "unsigned"],
    ["long short x;", "KC110", "short"],
    ["signed signed x;", "KC110", "signed"],
    ["long long long x;", "KC110", "long"],
    ["short char c;", "KC110", "char"],
    ["unsigned bool b;", "KC110", "unsigned"],
  ])("rejects %s with %s, not a silent int", (text, code, caret) => {
    expect(parseError(text)).toMatchObject({ code, quoted: caret });
  });

  it("reads ranged ints with expression bounds", () => {
    expect(decls("int<0..7> len; int<-1..N-1> idx; int<0..(N > 2 ? 3 : 4)> k;")).toEqual([
      "var len:int<0..7>",
      "var idx:int<(-1)..(N - 1)>",
      "var k:int<0..((N > 2) ? 3 : 4)>",
    ]);
  });

  it("reads typed and untyped constants", () => {
    expect(
      decls("const N = 3; const A = 1, B = A + 1; const int M = 4; static const int S = 2; int const C = 5;"),
    ).toEqual([
      "const N = 3",
      "const A = 1",
      "const B = (A + 1)",
      "const M:int = 4",
      "const S:int = 2",
      "const C:int = 5",
    ]);
    expect(decls("const int<0..3> R = 1; typedef int T; const T TT = 2;")).toEqual([
      "const R:int<0..3> = 1",
      "typedef T:int",
      "const TT:T = 2",
    ]);
  });

  it("keeps const arrays, pointers and structs as ordinary globals", () => {
    expect(decls('const char *msg = "hi"; const int tbl[] = {1, 2, 3}; const struct s v = {0};')).toEqual([
      'var msg:*char = "hi"',
      "var tbl:[3]int = {1, 2, 3}",
      "var v:struct s = {0}",
    ]);
  });

  it("sizes an empty first dimension from the initializer", () => {
    expect(
      decls('char s[] = "abc"; int t[] = {[5] = 1, 2}; int m[][2] = {{1, 2}, {3, 4}}; int e[] = {};'),
    ).toEqual([
      'var s:[4]char = "abc"',
      "var t:[7]int = {[5]=1, 2}",
      "var m:[2][2]int = {{1, 2}, {3, 4}}",
      "var e:[0]int = {}",
    ]);
  });

  it("reads functions, prototypes and parameters", () => {
    expect(
      decls(
        "void f(void); int g(); static inline int h(struct s *p) { return p->x; } extern int k(int, struct s *); int m(int a[], int b[3][2], const struct s *c);",
      ),
    ).toEqual([
      "fn f():void;",
      "fn g():int;",
      "fn h(p:*struct s):int {return p->x;}",
      "fn k(:int, :*struct s):int;",
      "fn m(a:*int, b:*[2]int, c:*struct s):int;",
    ]);
    expect(decls("struct task_struct *pick(int n) { return NULL; }")).toEqual([
      "fn pick(n:int):*struct task_struct {return NULL;}",
    ]);
  });

  it("reads struct definitions and forward declarations", () => {
    expect(decls("struct S; struct S { int a; struct S *next; int v[4], *p; };")).toEqual([
      "struct S",
      "struct S {a:int, next:*struct S, v:[4]int, p:*int}",
    ]);
  });

  it("hoists a struct defined with a variable, and nested structs, before their user", () => {
    expect(decls("struct S { int a; } s, *ps;")).toEqual([
      "struct S {a:int}",
      "var s:struct S",
      "var ps:*struct S",
    ]);
    expect(decls("struct A { struct B { int x; } b; int y; };")).toEqual([
      "struct B {x:int}",
      "struct A {b:struct B, y:int}",
    ]);
  });

  it("names anonymous structs after their position and keeps typedefs", () => {
    expect(decls("typedef struct {\n  int x;\n} pt_t;\npt_t p;")).toEqual([
      "struct <anon@t.kc:1:9> {x:int}",
      "typedef pt_t:struct <anon@t.kc:1:9>",
      "var p:pt_t",
    ]);
    expect(decls("typedef struct S S_t, *S_p; S_p q;")).toEqual([
      "typedef S_t:struct S",
      "typedef S_p:*struct S",
      "var q:S_p",
    ]);
  });

  it("reads enums, named, anonymous and typedefed", () => {
    expect(
      decls("enum E { A, B = 3, C, }; typedef enum { X, Y } xy_t; enum E e; xy_t v; enum { P = 1 } pv;"),
    ).toEqual([
      "enum E {A, B=3, C}",
      "enum ? {X, Y}",
      "typedef xy_t:enum ?",
      "var e:enum E",
      "var v:xy_t",
      "enum ? {P=1}",
      "var pv:enum ?",
    ]);
  });

  it("adds each typedef to the context as soon as it is parsed", () => {
    const ctx = newParseContext();
    expect(decls("typedef int key_t, *keyp_t; key_t p; keyp_t q;", ctx)).toEqual([
      "typedef key_t:int",
      "typedef keyp_t:*int",
      "var p:key_t",
      "var q:keyp_t",
    ]);
    expect([...ctx.typedefs]).toEqual([...BUILTIN_TYPEDEFS, "key_t", "keyp_t"]);
  });

  it("knows the built-in kernel typedefs", () => {
    expect(decls("wait_queue_head_t q; spinlock_t lock; atomic_t count; wait_queue_entry_t *w;")).toEqual([
      "var q:wait_queue_head_t",
      "var lock:spinlock_t",
      "var count:atomic_t",
      "var w:*wait_queue_entry_t",
    ]);
  });

  it("skips stray semicolons at the top level", () => {
    expect(decls("void f(void) { };;")).toEqual(["fn f():void {}"]);
  });
});

describe("initializers", () => {
  it("reads designators, positional items and nesting", () => {
    expect(decls("struct semaphore sem = { .count = 1 };")).toEqual([
      "var sem:struct semaphore = {.count=1}",
    ]);
    expect(decls("int a[4] = { [2] = 5, 6, };")).toEqual(["var a:[4]int = {[2]=5, 6}"]);
    expect(decls("struct o x = { { 1, 2 }, .a.b = 3, [1][2] = { .c = 4 }, .d = { 0 } };")).toEqual([
      "var x:struct o = {{1, 2}, .a.b=3, [1][2]={.c=4}, .d={0}}",
    ]);
    expect(body("struct wait_queue wait = { current, NULL };")).toEqual([
      "decl(wait:struct wait_queue={current, NULL})",
    ]);
  });
});

// ------------------------------------------------------------ processes and properties

describe("KC top-level forms", () => {
  it("reads processes, interrupts, properties and expectations", () => {
    expect(
      decls(
        "process main { x = 1; }\nprocess w[N + 1] { }\ninterrupt timer { up(&s); }\ninvariant inv: a <= 1, b;\nfinal done: n == 0;\nreachable r: x;\nexpect violation inv;",
      ),
    ).toEqual([
      "process main {(x = 1);}",
      "process w[(N + 1)] {}",
      "interrupt timer {up((&s));}",
      "invariant inv: ((a <= 1), b)",
      "final done: (n == 0)",
      "reachable r: x",
      "expect violation inv",
    ]);
  });

  it("lets kernel code use the contextual keywords as names", () => {
    const text = `int process; struct p { int final; int expect; };
int reachable(int invariant) { return invariant; }
void f(void) {
  int interrupt = process + holds + violation;
  expect = final = 1;
  final++;
  invariant: reachable(process);
  goto invariant;
}
process p { process = expect.final; }`;
    expect(decls(text)).toEqual([
      "var process:int",
      "struct p {final:int, expect:int}",
      "fn reachable(invariant:int):int {return invariant;}",
      "fn f():void {decl(interrupt:int=((process + holds) + violation)) (expect = (final = 1)); (final++); invariant: reachable(process); goto invariant;}",
      "process p {(process = expect.final);}",
    ]);
  });

  it("treats a contextual keyword that names a typedef as a type", () => {
    expect(decls("typedef int final; final x;")).toEqual(["typedef final:int", "var x:final"]);
  });
});

// ------------------------------------------------------------ statements

describe("statements", () => {
  it("reads loops, jumps and checks", () => {
    expect(
      body(`while (x) x--;
do { x++; } while (x < 3);
for (int i = 0, j; i < 3; i++) ;
for (i = 0; ; ) break;
for (;;) continue;
return;
return a + 1;
atomic x = 1;
atomic { a = 1; b = 2; }
assert(x);
assert(x > 0, "x must be " "positive");
assume(choose(0, 3) != 2);
await(sem.count > 0);
;`),
    ).toEqual([
      "while x (x--);",
      "do {(x++);} while (x < 3)",
      "for(decl(i:int=0, j:int) (i < 3); (i++)) ;",
      "for((i = 0); ; ) break;",
      "for( ; ) continue;",
      "return;",
      "return (a + 1);",
      "atomic (x = 1);",
      "atomic {(a = 1); (b = 2);}",
      "assert(x);",
      'assert((x > 0), "x must be positive");',
      "assume((choose(0, 3) != 2));",
      "await((sem.count > 0));",
      ";",
    ]);
  });

  it("binds a dangling else to the nearest if, and reads else-if chains", () => {
    expect(body("if (a) if (b) x; else y;")).toEqual(["if a if b x; else y;"]);
    expect(body("if (a) { if (b) x; } else y;")).toEqual(["if a {if b x;} else y;"]);
    expect(body("if (a) x; else if (b) y; else if (c) z; else w;")).toEqual([
      "if a x; else if b y; else if c z; else w;",
    ]);
  });

  it("nests case labels over the next statement, as C does", () => {
    expect(
      body(`switch (cmd) {
case 1: case 2: x = 1;
  break;
case A + 1:
  { y = 2; }
default:
  z = 3;
}`),
    ).toEqual(["switch cmd {case 1: case 2: (x = 1); break; case (A + 1): {(y = 2);} default: (z = 3);}"]);
  });

  it("reads labels and gotos", () => {
    expect(body("again: if (x) goto out; x++; goto again;\nout: ;\nretry: done: return;")).toEqual([
      "again: if x goto out;",
      "(x++);",
      "goto again;",
      "out: ;",
      "retry: done: return;",
    ]);
  });

  it("reads local declarations, static locals and hoisted local structs", () => {
    const p = parse(`void f(void) {
  static int calls = 0;
  const struct foo *p = q;
  register signed int n;
  struct tmp { int a; } t;
  struct tmp;
  wait_queue_head_t wq;
}`);
    expect(p.decls.map(dc)).toEqual([
      "struct tmp {a:int}",
      "fn f():void {decl(static calls:int=0) decl(p:*struct foo=q) decl(n:int) decl(t:struct tmp) ; decl(wq:wait_queue_head_t)}",
    ]);
  });

  it("tells declarations from expressions by the typedefs known", () => {
    const ctx = newParseContext();
    ctx.typedefs.add("T");
    expect(body("T * x; U * y; T z[2]; T: x;", ctx)).toEqual([
      "decl(x:*T)",
      "(U * y);",
      "decl(z:[2]T)",
      "T: x;",
    ]);
  });
});

// ------------------------------------------------------------ spans

describe("spans", () => {
  it("cover each node's text", () => {
    const text = `const N = 3;
int a = 1, *b;
int holders;
struct S { int x; } s;
int get(struct S *p) {
  int v = p->x + foo(1, 2);
  if (v) v--; else v++;
  return v;
}
process worker[N] { holders++; }
invariant mutual_exclusion: holders <= 1;
expect violation mutual_exclusion;`;
    const p = parse(text);
    const [cn, va, vb, vh, st, vs, fn, pr, inv, exp] = p.decls;
    const s = (x: { span: Span } | undefined): string => slice(text, (x as { span: Span }).span);
    expect(s(cn)).toBe("const N = 3;");
    if (cn?.kind === "const") expect(slice(text, cn.nameSpan)).toBe("N");
    expect(s(va)).toBe("int a = 1");
    expect(s(vb)).toBe("*b");
    // The second declarator's pointer type is spelled apart from its base: its span is just the `*`.
    if (vb?.kind === "var") expect(s(vb.decl.type)).toBe("*");
    expect(s(vh)).toBe("int holders;");
    expect(s(st)).toBe("struct S { int x; }");
    expect(s(vs)).toBe("struct S { int x; } s");
    if (st?.kind === "struct") expect(s(st.fields?.[0])).toBe("int x");
    if (fn?.kind !== "function" || fn.body?.kind !== "block") throw new Error("function expected");
    expect(s(fn)).toBe(text.slice(text.indexOf("int get"), text.indexOf("}\nprocess") + 1));
    expect(slice(text, fn.nameSpan)).toBe("get");
    expect(s(fn.params[0])).toBe("struct S *p");
    expect(s(fn.params[0]?.type)).toBe("struct S *");
    expect(s(fn.returns)).toBe("int");
    const [decl, ifs, ret] = fn.body.body;
    expect(s(decl)).toBe("int v = p->x + foo(1, 2);");
    if (decl?.kind !== "decl") throw new Error("decl expected");
    expect(s(decl.decls[0])).toBe("int v = p->x + foo(1, 2)");
    const initExpr = decl.decls[0]?.init;
    if (initExpr?.kind !== "expr" || initExpr.expr.kind !== "binary") throw new Error("binary expected");
    expect(s(initExpr.expr)).toBe("p->x + foo(1, 2)");
    expect(s(initExpr.expr.left)).toBe("p->x");
    const call = initExpr.expr.right;
    expect(s(call)).toBe("foo(1, 2)");
    if (call.kind === "call") expect(slice(text, call.calleeSpan)).toBe("foo");
    expect(s(ifs)).toBe("if (v) v--; else v++;");
    if (ifs?.kind === "if") expect(s(ifs.then)).toBe("v--;");
    expect(s(ret)).toBe("return v;");
    expect(s(pr)).toBe("process worker[N] { holders++; }");
    if (pr?.kind === "process") expect(slice(text, pr.nameSpan)).toBe("worker");
    expect(s(inv)).toBe("invariant mutual_exclusion: holders <= 1;");
    if (inv?.kind === "property") {
      expect(slice(text, inv.nameSpan)).toBe("mutual_exclusion");
      expect(s(inv.expr)).toBe("holders <= 1");
    }
    expect(s(exp)).toBe("expect violation mutual_exclusion;");
  });

  it("cover prefix, postfix, casts, sizeof, labels and else-if chains", () => {
    const text =
      "void f(void) { x = -(int)*p++ + sizeof(struct s) ; L: case 1: y; if (a) b; else if (c) d; }";
    const [f] = parse(text).decls;
    if (f?.kind !== "function" || f.body?.kind !== "block") throw new Error("function expected");
    const [assign, labeled, ifs] = f.body.body;
    if (assign?.kind !== "expr" || assign.expr.kind !== "assign") throw new Error("assign expected");
    expect(slice(text, assign.expr.span)).toBe("x = -(int)*p++ + sizeof(struct s)");
    const sum = assign.expr.value;
    if (sum.kind !== "binary") throw new Error("binary expected");
    expect(slice(text, sum.left.span)).toBe("-(int)*p++");
    expect(slice(text, sum.right.span)).toBe("sizeof(struct s)");
    expect(slice(text, (labeled as Stmt).span)).toBe("L: case 1: y;");
    if (labeled?.kind === "labeled") expect(slice(text, labeled.body.span)).toBe("case 1: y;");
    if (ifs?.kind !== "if" || ifs.else === null) throw new Error("if expected");
    expect(slice(text, ifs.span)).toBe("if (a) b; else if (c) d;");
    expect(slice(text, ifs.else.span)).toBe("if (c) d;");
  });

  it("include the parentheses around an operand, but not around a whole expression", () => {
    const text = "void f(void) { x = ((a + b) * c, (p)->q[1], (g)(2)); }";
    const [f] = parse(text).decls;
    if (f?.kind !== "function" || f.body?.kind !== "block") throw new Error("function expected");
    const [stmt] = f.body.body;
    if (stmt?.kind !== "expr" || stmt.expr.kind !== "assign") throw new Error("assign expected");
    expect(slice(text, stmt.expr.span)).toBe("x = ((a + b) * c, (p)->q[1], (g)(2))");
    const comma = stmt.expr.value;
    expect(slice(text, comma.span)).toBe("(a + b) * c, (p)->q[1], (g)(2)");
    if (comma.kind !== "comma" || comma.left.kind !== "comma") throw new Error("comma expected");
    const product = comma.left.left;
    expect(slice(text, product.span)).toBe("(a + b) * c");
    if (product.kind === "binary") expect(slice(text, product.left.span)).toBe("a + b");
    expect(slice(text, comma.left.right.span)).toBe("(p)->q[1]");
    expect(slice(text, comma.right.span)).toBe("(g)(2)");
    if (comma.right.kind === "call") expect(slice(text, comma.right.calleeSpan)).toBe("g");
  });
});

// ------------------------------------------------------------ includes

describe("#include", () => {
  it("calls onInclude before parsing what follows, and keeps the include in place", () => {
    const seen: string[] = [];
    const text = 'const K = 1;\n#include "lib/pipe.kc"\n#include <sem.kc>\npipe_t p;\n';
    const ctx = newParseContext((path, span) => {
      seen.push(`${path}@${slice(text, span)}`);
      // What the loader does: parse the included file, which defines a typedef.
      if (path === "lib/pipe.kc") ctx.typedefs.add("pipe_t");
    });
    expect(decls(text, ctx)).toEqual([
      "const K = 1",
      "include lib/pipe.kc",
      "include sem.kc",
      "var p:pipe_t",
    ]);
    expect(seen).toEqual(['lib/pipe.kc@#include "lib/pipe.kc"', "sem.kc@#include <sem.kc>"]);
  });

  it("fails when the include's typedef is unknown", () => {
    expect(parseError('#include "lib/pipe.kc"\npipe_t p;\n').code).toBe("KC112");
  });
});

// ------------------------------------------------------------ errors

describe("syntax errors", () => {
  const cases: Array<[string, string, string, string]> = [
    ["void f(void) { x = 1 }", "KC110", "expected ';' after expression, found '}'", "}"],
    ["void f(void) { x = (1 + 2; }", "KC110", "expected ')' to close '(', found ';'", ";"],
    ["void f(void) { g(1; }", "KC110", "expected ',' or ')' in the arguments of 'g', found ';'", ";"],
    [
      "void f(void) {\n  if (x) { y++; }\n",
      "KC110",
      "expected '}' to close '{' on line 1, found end of file",
      "",
    ],
    ["void f(void) { a[1 = 2; }", "KC110", "expected ']' to close '[', found ';'", ";"],
    ["void f(void) { x = ; }", "KC111", "expected an expression, found ';'", ";"],
    ["void f(void) { if () x; }", "KC111", "expected an expression, found ')'", ")"],
    ["int x = ;", "KC111", "expected an expression, found ';'", ";"],
    ["void f(foo x);", "KC112", "expected a type for a parameter, found 'foo'", "foo"],
    ["struct S { foo_t x; };", "KC112", "expected a type for a struct field, found 'foo_t'", "foo_t"],
    ["foo_t x;", "KC112", "expected a type or a declaration, found 'foo_t'", "foo_t"],
    ["void f(void) { static x = 1; }", "KC112", "expected a type, found 'x'", "x"],
    ["x = 1;", "KC112", "expected a type or a declaration, found 'x'", "x"],
    ["union;", "KC110", "expected a union name or '{' after 'union', found ';'", ";"],
    ["union U { };", "KC110", "union 'U' has no fields", "union U { }"],
    [
      "void (x)(int);",
      "KC110",
      "parenthesized declarators other than a function pointer's are not supported in KC",
      "(",
    ],
    [
      "void f(void) { int (*fp[2])(int); }",
      "KC110",
      "arrays of function pointers are not supported in KC; use a struct of them",
      "[",
    ],
    ["int f(int a, ...);", "KC110", "variadic functions ('...') are not supported in KC", "..."],
    ["process { }", "KC110", "expected a process name after 'process', found '{'", "{"],
    ["process p[2] x++;", "KC110", "expected '{' to begin the body of process 'p', found 'x'", "x"],
    ["interrupt t;", "KC110", "expected '{' to begin the body of interrupt 't', found ';'", ";"],
    ["expect maybe;", "KC110", "expected 'holds' or 'violation' after 'expect', found 'maybe'", "maybe"],
    [
      "expect violation;",
      "KC110",
      "expected the name of the property expected to fail after 'expect violation', found ';'",
      ";",
    ],
    ["expect holds", "KC110", "expected ';' after 'expect holds', found end of file", ""],
    ["model up;", "KC110", "expected 'uniprocessor' or 'smp' after 'model', found 'up'", "up"],
    ["model smp", "KC110", "expected ';' after 'model smp', found end of file", ""],
    ["invariant x a > 0;", "KC110", "expected ':' after the name of invariant 'x', found 'a'", "a"],
    ["final x: a > 0", "KC110", "expected ';' after final 'x', found end of file", ""],
    ["void f(void) { else x; }", "KC110", "'else' without a matching 'if'", "else"],
    [
      "void f(void) { switch (x) { case 1: } }",
      "KC110",
      "expected a statement after 'case ...:', found '}'",
      "}",
    ],
    ["void f(void) { out: }", "KC110", "expected a statement after 'out:', found '}'", "}"],
    [
      "void f(void) { switch (x) { case 1..3: ; } }",
      "KC110",
      "expected ':' after the case value, found '..'",
      "..",
    ],
    [
      "void f(void) { switch (x) { case 1 ... 3: ; } }",
      "KC110",
      "case ranges ('...') are not supported in KC",
      "...",
    ],
    ["void f(void) { goto; }", "KC110", "expected a label name after 'goto', found ';'", ";"],
    ["void f(void) { s.; }", "KC110", "expected a field name after '.', found ';'", ";"],
    ["void f(void) { p->3; }", "KC110", "expected a field name after '->', found '3'", "3"],
    [
      "void f(void) { assert(x, y); }",
      "KC110",
      "expected a message string after ',' in 'assert', found 'y'",
      "y",
    ],
    ["void f(void) { assume(x, y); }", "KC110", "expected ')' to close '(', found ','", ","],
    ["void f(void) { await x; }", "KC110", "expected '(' after 'await', found 'x'", "x"],
    ["void f(void) { typedef int T; }", "KC110", "typedef is only allowed at the top level in KC", "typedef"],
    ["int a[];", "KC110", "array 'a' needs a size (or an initializer that gives one)", "[]"],
    ["int a[N][];", "KC110", "only the first array dimension may be left empty", "[]"],
    ["struct S { int a : 3; };", "KC110", "bit-fields are not supported in KC", ":"],
    ["struct S { };", "KC110", "struct 'S' has no fields", "struct S { }"],
    ["const int N;", "KC110", "constant 'N' needs a value, as in 'const int N = 1;'", "N"],
    ["const N;", "KC110", "expected '=' after constant 'N': a constant needs a value, found ';'", ";"],
    ["int x = 1 int y;", "KC110", "expected ';' after declaration, found 'int'", "int"],
    ["typedef int T", "KC110", "expected ';' after typedef, found end of file", ""],
    [
      "void f(void) int x;",
      "KC110",
      "expected '{' to begin the body of function 'f', or ';' after its prototype, found 'int'",
      "int",
    ],
    ["int f(void), g(void) { }", "KC110", "a function body must belong to the first declarator", "{"],
    ["int int x;", "KC110", "two types in one declaration: 'int' and 'int'", "int"],
    ["struct s char x;", "KC110", "two types in one declaration: 'struct' and 'char'", "char"],
    ["long char c;", "KC110", "'long char' is not a C type", "char"],
    ["unsigned bool b;", "KC110", "'unsigned' cannot be combined with 'bool'", "unsigned"],
    [
      "void f(void) { int x[2] = {1 2}; }",
      "KC110",
      "expected ',' or '}' after the initializer, found '2'",
      "2",
    ],
    ["struct s v = { .a 1 };", "KC110", "expected '=' after the designator, found '1'", "1"],
    [
      "void f(void) { for (i = 0; i < 3) x; }",
      "KC110",
      "expected ';' after the condition of 'for', found ')'",
      ")",
    ],
    [
      "void f(void) { for (i = 0 i < 3;) x; }",
      "KC110",
      "expected ';' after the initialization of 'for', found 'i'",
      "i",
    ],
    ["int<0 7> x;", "KC110", "expected '..' between the bounds of 'int<lo..hi>', found '7'", "7"],
    ["int<0..7 x;", "KC110", "expected '>' to close 'int<lo..hi>', found 'x'", "x"],
    [
      "void f(void) { do x++; while (x) }",
      "KC110",
      "expected ';' after 'do ... while (...)', found '}'",
      "}",
    ],
    [
      "void f(void) { do x++; until (x); }",
      "KC110",
      "expected 'while' after the body of 'do', found 'until'",
      "until",
    ],
    ["void f(void) { while x { } }", "KC110", "expected '(' after 'while', found 'x'", "x"],
    ["void f(void) { return 1 2; }", "KC110", "expected ';' after the return value, found '2'", "2"],
    ["void f(void) { break }", "KC110", "expected ';' after 'break', found '}'", "}"],
    ["typedef int;", "KC110", "this typedef gives no name to its type", "typedef int;"],
    ["int;", "KC110", "this declaration declares nothing", "int;"],
    ["enum E;", "KC110", "an enum must list its members where it is declared", "enum E"],
    ["enum E { };", "KC110", "expected an enum member name, found '}'", "}"],
    ["struct;", "KC110", "expected a struct name or '{' after 'struct', found ';'", ";"],
    ["int = 5;", "KC110", "expected a name in the declaration, found '='", "="],
    ["typedef int T = 3;", "KC110", "typedef 'T' cannot have an initializer", "="],
    ["void f(void) { int g(void); }", "KC110", "functions cannot be declared inside a function in KC", "g"],
    ["void f(void) { x = (int y) 3; }", "KC110", "a type name has no variable name, but found 'y'", "y"],
    [
      'void f(void) {\n#include "x.kc"\n}',
      "KC113",
      "#include is only allowed at the top level of a file, between declarations (KC includes a file as a whole list of declarations, not inside one)",
      '#include "x.kc"',
    ],
    ["void f(void) { x = 0..3; }", "KC110", "expected ';' after expression, found '..'", ".."],
    ["void f(void) { a ? b; }", "KC110", "expected ':' after the middle of '?:', found ';'", ";"],
  ];
  it.each(cases)("%s", (source, code, message, quoted) => {
    expect(parseError(source)).toMatchObject({ code, message, quoted });
  });
});

describe("error positions", () => {
  it("puts a missing ';' or ')' right after the previous token when the next one is on a later line", () => {
    const text = "void f(void) {\n  holders++\n  holders--;\n}\n";
    const d = parseError(text);
    expect(d.message).toBe("expected ';' after expression, found 'holders'");
    expect(d.span).toEqual({ file: 0, start: text.indexOf("++") + 2, end: text.indexOf("++") + 2 });
    const sources = new SourceSet();
    sources.add("t.kc", text);
    expect(formatDiagnostic(d, sources)).toBe(
      [
        "t.kc:2:12: error KC110: expected ';' after expression, found 'holders'",
        "   2 |   holders++",
        `     | ${" ".repeat(11)}^`,
      ].join("\n"),
    );
    const paren = parseError("void f(void) {\n  if (x\n    y = 1;\n}");
    expect(paren).toMatchObject({ message: "expected ')' to close '(', found 'y'", quoted: "" });
  });

  it("puts it on the token found when that is on the same line", () => {
    expect(parseError("int x = 1 int y;").quoted).toBe("int");
  });
});

describe("nesting limits", () => {
  const deep = (open: string, middle: string, close: string, n: number): string =>
    open.repeat(n) + middle + close.repeat(n);

  it("accepts nesting up to well over a hundred levels", () => {
    expect(expr(deep("(", "x", ")", 100))).toBe("x");
    expect(body(deep("{", "", "}", 100))).toHaveLength(1);
  });

  it.each([
    ["parentheses", `void f(void) { x = ${deep("(", "x", ")", 100_000)}; }`],
    ["blocks", `void f(void) ${deep("{", "", "}", 100_000)}`],
    ["prefix operators", `void f(void) { x = ${"-".repeat(100_000)}x; }`],
    ["casts", `void f(void) { x = ${"(int)".repeat(100_000)}x; }`],
    ["assignments", `void f(void) { ${"x = ".repeat(100_000)}x; }`],
    ["conditionals", `void f(void) { ${"a ? b : ".repeat(100_000)}c; }`],
    ["initializers", `int a = ${deep("{", "1", "}", 100_000)};`],
    ["struct bodies", `${"struct s { ".repeat(100_000)}int x;`],
    ["statements", `void f(void) { ${"while (x) ".repeat(100_000)}; }`],
    ["range bounds", `int<${"-".repeat(100_000)}1..2> x;`],
  ])("stops deep %s with KC114 instead of overflowing the stack", (_, text) => {
    expect(parseError(text)).toMatchObject({
      code: "KC114",
      message: `nesting too deep: more than ${MAX_NESTING} levels`,
    });
  });

  it("reads long flat chains without nesting the recursion", () => {
    const cases = Array.from({ length: 2000 }, (_, i) => `case ${i}:`).join(" ");
    expect(body(`switch (x) { ${cases} y; }`)).toHaveLength(1);
    const chain = Array.from({ length: 2000 }, (_, i) => `if (x == ${i}) y = ${i};`).join(" else ");
    expect(body(chain)).toHaveLength(1);
    const [f] = parse(
      `int x = ${Array(MAX_NESTING - 2)
        .fill("a")
        .join(" + ")};`,
    ).decls;
    let e = f?.kind === "var" && f.decl.init?.kind === "expr" ? f.decl.init.expr : null;
    let terms = 1;
    for (; e?.kind === "binary"; e = e.left) terms++;
    expect(terms).toBe(MAX_NESTING - 2);
    expect(body("x++;".repeat(20_000))).toHaveLength(20_000);
  });

  it.each([
    ["a sum", `int x = ${Array(20_000).fill("a").join(" + ")};`],
    ["pointer declarators", `int ${"*".repeat(20_000)}p;`],
    ["array dimensions", `int a${"[1]".repeat(20_000)};`],
    ["a comma list", `void f(void) { x = (${Array(20_000).fill("a").join(", ")}); }`],
    ["postfix operators", `void f(void) { x = a${"[0]".repeat(20_000)}; }`],
    ["field accesses", `void f(void) { x = s${".a".repeat(20_000)}; }`],
  ])("reads %s 20,000 long in a loop, then stops it with KC114: the tree is that deep", (_, text) => {
    expect(parseError(text)).toMatchObject({ code: "KC114" });
  });
});

// ------------------------------------------------------------ robustness

describe("parser robustness", () => {
  const kcTokens = [
    ..."int bool char void unsigned long struct enum union typedef const static if else while do for break continue return goto switch case default atomic assert assume await sizeof true false NULL".split(
      " ",
    ),
    ..."process interrupt invariant final reachable expect holds violation self current choose x y T wait_queue_head_t".split(
      " ",
    ),
    ..."( ) [ ] { } ; , : ? . .. ... -> ++ -- + - * / % << >> < > <= >= == != & | ^ ! ~ && || = += -= <<= &=".split(
      " ",
    ),
    "0",
    "42",
    "0xff",
    "'c'",
    '"s"',
    '\n#include "a.kc"\n',
  ];

  const prefix = fc.constantFrom(
    "",
    "void f(void) { ",
    "int x = ",
    "process p { switch (x) { ",
    "struct s { ",
  );

  it("throws nothing but a CompileError on token soup", () => {
    const ctx = (): ParseContext => {
      const c = newParseContext();
      c.typedefs.add("T");
      return c;
    };
    fc.assert(
      // The prefixes put the soup where declarations, statements and expressions are parsed.
      fc.property(prefix, fc.array(fc.constantFrom(...kcTokens), { maxLength: 60 }), (start, toks) => {
        try {
          parse(start + toks.join(" "), ctx());
        } catch (e) {
          if (!(e instanceof CompileError)) throw e;
          expect(e.diagnostics).toHaveLength(1);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("throws nothing but a CompileError on mutations of a valid program", () => {
    const words = DESIGN_EXAMPLE.split(/(\s+)/);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: words.length - 1 }),
        fc.constantFrom(...kcTokens, ""),
        (at, tok) => {
          const text = [...words.slice(0, at), tok, ...words.slice(at + 1)].join("");
          try {
            parse(text);
          } catch (e) {
            if (!(e instanceof CompileError)) throw e;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

// ------------------------------------------------------------ golden bad files

describe("testdata/bad syntax files", () => {
  const dir = new URL("./testdata/bad/", import.meta.url);
  // The parser's own codes; KC12x and KC13x are the preprocessor's (preprocess.test.ts).
  const files = readdirSync(dir).filter((f) => /^KC1[01]\d-.*\.kc$/.test(f));

  it("has one file for each lexical and syntax code", () => {
    const codes = new Set(files.map((f) => f.slice(0, 5)));
    expect([...codes].sort()).toEqual([
      "KC101",
      "KC102",
      "KC103",
      "KC104",
      "KC110",
      "KC111",
      "KC112",
      "KC113",
      "KC114",
    ]);
  });

  it.each(files)("%s fails with exactly its code", (name) => {
    const sources = new SourceSet();
    const file = sources.add(`bad/${name}`, readFileSync(new URL(name, dir), "utf8"));
    let error: unknown = null;
    try {
      parseProgram(sources, file, newParseContext());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CompileError);
    const diagnostics = (error as CompileError).diagnostics;
    expect(diagnostics).toHaveLength(1);
    const d = diagnostics[0] as Diagnostic;
    expect(d.code).toBe(name.slice(0, 5));
    expect(formatDiagnostic(d, sources)).toMatch(new RegExp(`^bad/${name}:\\d+:\\d+: error ${d.code}: `));
  });
});
