// Unions, as C has them where KC can give C's meaning: members that share words hold the same
// scalars there (model/unions.ts); every other overlap is KC313. The expected values are C's on
// i386 (gcc -m32): sizes and offsets without pointers were checked with gcc on x86-64, which
// lays out int, short and char the same; those with pointers count 4 bytes a pointer.
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../model/diagnostics";
import { loadProgram } from "../model/load";
import { explore } from "./explore";
import { System } from "./system";
import { buildTrace } from "./trace";

function verdict(text: string): string {
  const r = loadProgram("unions.kc", {}, text);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  const o = explore(new System(r.program), { keepGoing: true });
  const bad = o.properties.find((p) => p.status === "violated");
  return bad ? `${bad.name}: ${bad.counterexample?.message}` : "holds";
}

function diagnostics(text: string): string {
  const r = loadProgram("unions.kc", {}, text);
  return r.ok ? "accepted" : r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n");
}

/** The kernel's idiom: an object on a list until it is freed after a grace period. */
const OBJ = `#include <linux/list.h>
struct cb { struct cb *next; void (*func)(struct cb *); };
struct obj {
  int key;
  union {
    struct list_head list;
    struct cb rcu;
  };
};
`;

describe("unions", () => {
  it("one word read as int and as unsigned int, as C reads it (cc: 4294967295 1)", () => {
    const src = `union word { int i; unsigned int u; };
process p { union word w; w.i = -1; assert(w.u == 4294967295u); assert(w.u > 100); w.u = 2147483648u;
  assert(w.i < 0); }`;
    expect(verdict(src)).toBe("holds");
  });

  it("sizeof and offsetof as on i386 (cc: 12 4 20 16 16 8 12)", () => {
    const src = `union mix { int big[3]; struct { int s; unsigned int d; } x; };
struct wrap { char a; union mix m; char b; };
union small { short s; short t[1]; };
${OBJ}
process p {
  assert(sizeof(union mix) == 12); assert(offsetof(struct wrap, m) == 4);
  assert(sizeof(struct wrap) == 20); assert(offsetof(struct wrap, b) == 16);
  assert(sizeof(union small) == 2);
  assert(sizeof(struct obj) == 12); assert(offsetof(struct obj, rcu.func) == 8);
  assert(offsetof(struct obj, list) == 4);
}`;
    expect(verdict(src)).toBe("holds");
  });

  it("an anonymous union's members are the struct's own: list use, then a callback stored over it", () => {
    const src = `${OBJ}
LIST_HEAD(head);
struct obj o = { .key = 3 };
int freed;
void done(struct cb *c) { struct obj *x = container_of(c, struct obj, rcu); freed = x->key; }
process p {
  list_add(&o.list, &head);
  assert(list_first_entry(&head, struct obj, list)->key == 3);
  list_del(&o.list);
  o.rcu.func = done;
  o.rcu.func(&o.rcu);
  assert(freed == 3);
}`;
    expect(verdict(src)).toBe("holds");
  });

  it("a list pointer called as a callback is a fault, as in C it jumps into data", () => {
    const src = `${OBJ}
LIST_HEAD(head);
struct obj o;
process p { list_add(&o.list, &head); o.rcu.func(&o.rcu); }`;
    expect(verdict(src)).toMatch(/^runtime_error: /);
  });

  it("a union by value: parameters and results are copies", () => {
    const src = `union u { int i; unsigned int w; int pair[2]; };
union u mk(int k) { union u x; x.pair[0] = k; x.pair[1] = k + 1; return x; }
int bump(union u x) { x.i++; return x.pair[0] + x.pair[1]; }
process p { union u a = mk(5); assert(bump(a) == 12); assert(a.i == 5); assert(a.w == 5u); }`;
    expect(verdict(src)).toBe("holds");
  });

  it("initialisers: the first member, or the one designated, through anonymous members too", () => {
    const src = `union u { int i; int pair[2]; };
struct s { int a; union { int c; unsigned int cu; }; };
union u x = { 7 };
union u y = { .pair = { 1, 2 } };
struct s z = { .cu = 4294967295u };
process p { assert(x.i == 7 && x.pair[1] == 0); assert(y.i == 1 && y.pair[1] == 2); assert(z.c == -1); }`;
    expect(verdict(src)).toBe("holds");
  });

  it("a union in a pool object: kzalloc gives zeros, kfree frees it whole", () => {
    const src = `#include <linux/slab.h>
union u { int i; struct { int lo; int hi; } p; };
pool union u[1];
process p { union u *x = kzalloc(sizeof(*x), GFP_KERNEL); assert(x->p.hi == 0); x->p.hi = 4; x->i = 1;
  assert(x->p.lo == 1 && x->p.hi == 4); kfree(x); }`;
    expect(verdict(src)).toBe("holds");
  });

  it("members that would read bytes again as another type are KC313, at the later member", () => {
    expect(diagnostics("union mix { int big[3]; char c; };\nprocess p { }")).toMatch(
      /^unions.kc:1:25: error KC313: union mix: 'c' \(char at byte 0\) shares memory with 'big\[0\]' \(int at byte 0\)/,
    );
    expect(diagnostics("union v { int i; int *p; };\nprocess p { }")).toMatch(
      /KC313: union v: 'p' \(int \* at byte 0\) shares memory with 'i' \(int at byte 0\)/,
    );
    // Same scalars, but C puts them at other bytes: b at 4, d at 1 (KC would give both word 1).
    expect(
      diagnostics(
        "struct A { char a; int b; };\nstruct B { char c; char d; };\nunion v { struct A x; struct B y; };\nprocess p { }",
      ),
    ).toMatch(/'y.d' \(char at byte 1\) shares memory with 'x.b' \(int at byte 4\)/);
  });

  // Review of the unions (attack 11): a pointer read through another member is not converted,
  // so nothing would check that what it points at is laid out as its type.
  it("pointers to things laid out differently are KC313: void *, char * over int *, unlike structs", () => {
    expect(diagnostics("union u { void *v; char *c; };\nprocess p { }")).toMatch(
      /KC313: union u: 'c' \(char \*/,
    );
    expect(diagnostics("union v { int *p; struct s *q; };\nstruct s { int a; };\nprocess p { }")).toMatch(
      /KC313/,
    );
    expect(
      diagnostics(
        "struct A { int x; };\nstruct B { char c; };\nunion u { struct A *a; struct B *b; };\nprocess p { }",
      ),
    ).toMatch(/KC313: union u: 'b' \(struct B \*/);
    // A union nested in a union: every member of the inner one counts, not only its first.
    expect(
      diagnostics(
        "union inner { void (*f)(void); int *p; };\nunion outer { union inner in; char *c; };\nprocess p { }",
      ),
    ).toMatch(
      /KC313: union outer: 'c' \(char \* at byte 0\) shares memory with 'in.f' \(void \(\*\)\(\) or int \*/,
    );
    // Alike: int * and unsigned *, two structs of pointers (the kernel's list_head over rcu_head).
    expect(diagnostics(`union w { int *i; unsigned int *u; };\n${OBJ}\nprocess p { }`)).toBe("accepted");
  });

  it("a union of many large members is checked in linear time", () => {
    const members = Array.from({ length: 60 }, (_, i) => `int m${i}[2000];`).join(" ");
    expect(diagnostics(`union big { ${members} };\nprocess p { }`)).toBe("accepted");
  });

  it("initialisers C would carry on inside a member, or give a union twice, are KC311", () => {
    expect(
      diagnostics(
        "struct s { int a; struct { int b; int c; }; int d; };\nstruct s v = { .b = 1, 2 };\nprocess p { }",
      ),
    ).toMatch(/2:24: error KC311: a positional initializer after a designator into a member/);
    expect(
      diagnostics(
        "struct T { int a; struct { int x; int y; } n; int z; };\nstruct T v = { .n.x = 1, 2 };\nprocess p { }",
      ),
    ).toMatch(/KC311: a positional initializer after a designator into a member/);
    expect(
      diagnostics(
        "struct t { union { int arr[2]; int c; } u; int d; };\nstruct t w = { .u.arr = {1, 2}, .u.c = 5 };\nprocess p { }",
      ),
    ).toMatch(/KC311: union <anon@unions.kc:1:12> is initialised through two members/);
    expect(
      diagnostics(
        "struct t { union { int arr[2]; int c; }; int d; };\nprocess p { struct t l = { .arr = {1, 2}, .c = 5 }; }",
      ),
    ).toMatch(/KC311: union <anon@unions.kc:1:12> is initialised through two members/);
  });

  it("designators through a member of one union, and after an array index, set what C sets (cc: 2 3 7 0)", () => {
    const src = `union V { struct { int b; int c; }; int arr[2]; };
union V v = { .b = 1, .c = 2 };
union U { int i; struct { int a; int b; } s; };
union U us[1] = { [0].s.b = {3} };
struct P { int x; int y; };
struct P ps[1] = { [0].y = {7} };
process p { assert(v.arr[1] == 2); assert(us[0].s.b == 3 && us[0].i == 0); assert(ps[0].y == 7 && ps[0].x == 0); }`;
    expect(verdict(src)).toBe("holds");
  });

  it("anonymous members made by one macro are types of their own (the kernel's struct_group)", () => {
    const src = `#define struct_group(NAME, ...) union { struct { __VA_ARGS__ }; struct { __VA_ARGS__ } NAME; }
struct s { int x; struct_group(hdr, int a; int b;); int y; };
struct s g;
process p { g.a = 1; assert(g.hdr.a == 1); assert(offsetof(struct s, y) == 12); }`;
    expect(verdict(src)).toBe("holds");
  });

  it("struct and union tags share one namespace; a union takes one initializer", () => {
    expect(diagnostics("struct s { int a; };\nunion s *p;\nprocess p { }")).toMatch(
      /2:1: error KC202: 's' is a struct tag, named here as a union/,
    );
    expect(diagnostics("union v { int a; unsigned b; };\nunion v x = { 1, 2 };\nprocess p { }")).toMatch(
      /2:18: error KC311: a union takes one initializer: union v has one already/,
    );
    expect(diagnostics("struct s { union { int a; }; int a; };\nprocess p { }")).toMatch(
      /KC202: struct s has two fields named 'a'/,
    );
  });

  it("a counterexample names a union's word by its first member", () => {
    const src = `union u { int i; unsigned int w; };
union u g;
process p { g.w = 3u; assert(g.i == 4); }`;
    const r = loadProgram("unions.kc", {}, src);
    if (!r.ok) throw new Error("does not compile");
    const sys = new System(r.program);
    const ce = explore(sys, { keepGoing: true }).properties.find(
      (p) => p.status === "violated",
    )?.counterexample;
    const trace = buildTrace(sys, r.sources, ce?.choices ?? []).trace;
    expect(JSON.stringify(trace)).toContain('"g.i"');
    // A pointer to a field of an anonymous member is named by the field, not the struct.
    const src2 = `${OBJ}
LIST_HEAD(head);
struct obj b[1];
process p { list_add(&b[0].list, &head); assert(0); }`;
    const r2 = loadProgram("unions.kc", {}, src2);
    if (!r2.ok) throw new Error("does not compile");
    const sys2 = new System(r2.program);
    const ce2 = explore(sys2, {}).properties.find((p) => p.status === "violated")?.counterexample;
    expect(JSON.stringify(buildTrace(sys2, r2.sources, ce2?.choices ?? []).trace)).toContain("&b[0].list");
  });
});
