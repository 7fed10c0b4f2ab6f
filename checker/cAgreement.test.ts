// Programs on which KC once disagreed with gcc on i386 (found by hostile review), each with
// assertions of gcc's values: they must hold.
//
// An lvalue whose address has a side effect (buf[i++], *q++, *f(), q++->x) is evaluated once in
// a read-modify-write (x op= v, x++), as C evaluates it: the hostile review found it evaluated
// twice, the second time with its temporary already cleared (wrong element, false NULL faults).
import { describe, expect, it } from "vitest";
import { loadProgram } from "../model/load";
import { explore } from "./explore";
import { System } from "./system";

const programs: Record<string, string> = {
  "01-index-postinc-compound":
    "int done; int buf[3];\nprocess p[1] {\n  int i = 1;\n  buf[0] = 100;\n  buf[i++] += 2;\n  assert(buf[1] == 2);\n  done = 1;\n}\nexpect holds;\n",
  "01b-compound-value-used":
    "int done; int buf[3]; int g; process p[1] { int i = 1; buf[1] = 5; g = (buf[i++] += 2); assert(g == 7 && buf[1] == 7); done = 1; } expect holds;\n",
  "01c-call-index-compound":
    "int done; int buf[3]; int g; int idx(void) { return 1; } process p[1] { buf[1] = 5; buf[idx()] -= 1; assert(buf[1] == 4); done = 1; } expect holds;\n",
  "01d-deref-postinc-compound":
    "int done;\nint buf[2];\nprocess p[1] {\n  int *q = buf;\n  *q++ += 5;\n  assert(buf[0] == 5);\n  done = 1;\n}\nexpect holds;\n",
  "01e-deref-call-compound":
    "int done; int buf[2]; int *f(void) { return buf; } process p[1] { *f() += 2; assert(buf[0] == 2); done = 1; } expect holds;\n",
  "01f-arrow-postinc":
    "struct T { int x; }; int done; struct T ts[2]; process p[1] { struct T *q = ts; q++->x += 1; assert(ts[0].x == 1); done = 1; } expect holds;\n",
};

describe("an lvalue with a side effect in a read-modify-write is evaluated once", () => {
  for (const [name, text] of Object.entries(programs))
    for (const fine of [false, true])
      it(`${name}${fine ? " (--fine)" : ""}`, () => {
        const r = loadProgram(`${name}.kc`, { fine }, text);
        if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
        const o = explore(new System(r.program), { keepGoing: true });
        expect(o.properties.filter((p) => p.status === "violated").map((p) => p.name)).toEqual([]);
      });
});

describe("an enum type with no negative enumerator is unsigned int, as gcc makes it", () => {
  it("enum E { EA, EB }: (enum E)-1 is not below 0", () => {
    const text =
      "\nenum E { EA, EB };\nenum N { NA = -1, NB };\nenum E ge = -1;\n\nint done;\nprocess p[1] {\nenum E e = -1; enum N n = -1; enum E f = EB; f--; f--; enum E h = 3000000000u;\n  assert((e < 0) == (int)0);\n  assert(((0 ? (e < 0) : -1) < 0) == 1);\n  assert(sizeof(e < 0) == 4);\n  done = 1;\n}\nexpect holds;\n";
    const r = loadProgram("enum.kc", {}, text);
    if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
    const o = explore(new System(r.program), { keepGoing: true });
    expect(o.properties.filter((p) => p.status === "violated").map((p) => p.name)).toEqual([]);
  });
});

describe("a task_struct has a redzone after it, as every object of a program that moves pointers", () => {
  const programs: Record<string, string> = {
    "05-current-plus-one":
      "int done;\nprocess w[1] {\n  struct task_struct fake;\n  struct task_struct *u = current + 1;\n  u->pid = 7;\n  assert(fake.pid != 7);\n  done = 1;\n}\nexpect holds;\n",
    "05b-interp-disagree":
      "int done;\nprocess w[1] {\n  struct task_struct *t = current;\n  struct task_struct *u = t + 1;\n  int d = u - t;\n  done = d;\n}\nexpect holds;\n",
    "05c-interp-disagree":
      "int done;\nprocess w[1] {\n  struct task_struct *t = current;\n  struct task_struct *u = t + 1;\n  u = u - 1;\n  u->state = 0;\n  done = 1;\n}\nexpect holds;\n",
    "05d-interp-disagree":
      "int done;\nprocess w[2] {\n  struct task_struct *t = &w[0];\n  int c = t < &w[0] + 1;\n  done = c;\n}\nexpect holds;\n",
  };
  for (const [name, text] of Object.entries(programs))
    it(name, () => {
      const r = loadProgram(`${name}.kc`, {}, text);
      if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
      const o = explore(new System(r.program), { keepGoing: true });
      const bad = o.properties.filter((p) => p.status === "violated").map((p) => p.name);
      // current + 1 is one past the task_struct: writing through it is out of its object.
      expect(bad).toEqual(name.startsWith("05-") ? ["runtime_error"] : []);
    });
});

describe("sizeof a function", () => {
  it("is KC313: C has no size for it, gcc's extension says 1, a pointer-sized word would say 4", () => {
    const r = loadProgram("s.kc", {}, "int x;\nint fa(int v) { return v; }\nprocess p { x = sizeof(fa); }\n");
    expect(r.ok ? [] : r.diagnostics.map((d) => d.code)).toEqual(["KC313"]);
  });
});

describe("&a[N], one past an array, may be formed but not read", () => {
  const verdict = (body: string): string[] => {
    const r = loadProgram("a.kc", {}, `int a[2];\nint b[2];\nint done;\nprocess p { ${body} done = 1; }\n`);
    if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
    return explore(new System(r.program), { keepGoing: true })
      .properties.filter((q) => q.status === "violated")
      .map((q) => q.name);
  };
  it("formed: the loop bound of C's idiom", () => {
    expect(verdict("int n = 0; int *q; for (q = &a[0]; q < &a[2]; q++) n++; assert(n == 2);")).toEqual([]);
  });
  it("read, or formed two past: a fault, never the next array", () => {
    expect(verdict("int *q = &a[2]; *q = 1;")).toEqual(["runtime_error"]);
    expect(verdict("int i = 3; int *q = &a[i];")).toEqual(["runtime_error"]);
  });
});

describe("0 is C's null pointer constant", () => {
  it("in an initialiser, an assignment, a return and a comparison; another int is still refused", () => {
    const ok = loadProgram(
      "z.kc",
      {},
      "int *g;\nint x;\nint *f(void) { return 0; }\nprocess p { int *q = 1 - 1; if (q == 0 && 0 == f()) x = 1; g = 0; assert(x == 1); }\n",
    );
    expect(ok.ok).toBe(true);
    if (ok.ok) {
      const o = explore(new System(ok.program), {});
      expect(o.properties.filter((q) => q.status === "violated").map((q) => q.name)).toEqual([]);
    }
    const bad = loadProgram("y.kc", {}, "int x = 1;\nprocess p { int *r = x; }\n");
    expect(bad.ok ? [] : bad.diagnostics.map((d) => d.code)).toEqual(["KC301"]);
  });
});

describe("current where no task runs", () => {
  it("is a fault in a function a handler calls, KC421 in init, KC404 in a property", () => {
    const handler = loadProgram(
      "h.kc",
      {},
      "int x;\nint who(void) { return current->pid; }\nprocess p { x = 1; }\ninterrupt irq { assume(x == 1); x = who(); }\n",
    );
    if (!handler.ok) throw new Error("does not compile");
    const o = explore(new System(handler.program), { keepGoing: true });
    const rt = o.properties.find((q) => q.name === "runtime_error");
    expect(rt?.status).toBe("violated");
    expect(rt?.counterexample?.fault).toBe("no_task");
    const init = loadProgram(
      "i.kc",
      {},
      "int x;\nint who(void) { return current == NULL; }\ninit { x = who(); }\nprocess p { x = 1; }\n",
    );
    // init runs when the system is built: its fault is KC421 there.
    if (!init.ok) throw new Error("does not compile");
    expect(() => new System(init.program)).toThrow(/no_task/);
    const prop = loadProgram("q.kc", {}, "int x;\nprocess p { x = 1; }\ninvariant a: current == NULL;\n");
    expect(prop.ok ? [] : prop.diagnostics.map((d) => d.code)).toEqual(["KC404"]);
  });
});

describe("++ and -- on bool", () => {
  it("b++ makes it 1, b-- toggles it, as C's conversion to _Bool gives (default and --fine)", () => {
    const text =
      "bool b;\nint x;\nprocess p { b++; assert(b == 1); b++; assert(b == 1); b--; assert(b == 0); b--; assert(b == 1); bool c = b--; assert(c == 1 && b == 0); x = 1; }\n";
    for (const fine of [false, true]) {
      const r = loadProgram("b.kc", { fine }, text);
      if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
      const o = explore(new System(r.program), {});
      expect(o.properties.filter((q) => q.status === "violated").map((q) => q.name)).toEqual([]);
    }
  });
});
