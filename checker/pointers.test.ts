// Pointers as the kernel uses them: arithmetic, indexing, subtraction and ordering inside one
// object, each checked when the program runs (C's rule, as KASAN and UBSan report it).
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../model/diagnostics";
import { loadProgram } from "../model/load";
import { explore } from "./explore";
import { System } from "./system";

function check(text: string) {
  const r = loadProgram("ptr.kc", {}, text);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  const o = explore(new System(r.program), { keepGoing: true });
  const bad = o.properties.filter((p) => p.status === "violated");
  return { o, bad, fault: bad[0]?.counterexample?.fault, message: bad[0]?.counterexample?.message };
}

function diagnose(text: string): string[] {
  const r = loadProgram("ptr.kc", {}, text);
  return r.ok ? [] : r.diagnostics.map((d) => `${d.code} ${d.message}`);
}

describe("pointer arithmetic", () => {
  it("walks an array with p++, p + i, p[i], p - q and <", () => {
    const text = `
int a[4] = { 1, 2, 3, 4 };
int sum; int n; int third; int back;
process w {
  int *p; int *end = a + 4;
  for (p = a; p < end; p++) sum += *p;
  n = end - a;
  p = a;
  third = p[2];
  p += 3; p -= 1; back = *(p - 1) + *(1 + p);
}
final sums: sum == 10 && n == 4 && third == 3 && back == 2 + 4;
expect holds;
`;
    const { bad } = check(text);
    expect(bad).toEqual([]);
  });

  it("a global pointer may start at a global array, or hold an error pointer", () => {
    const text =
      "int pa[3] = { 1, 2, 3 };\nint *pp = pa;\nint *pe = (int *)-5;\nint x;\nprocess w { x = pp[2] + PTR_ERR(pe); }\nfinal f: x == -2;\nexpect holds;\n";
    expect(check(text).bad).toEqual([]);
  });

  it("a step two past the end is out_of_bounds at the arithmetic", () => {
    const { fault, message } = check("int a[4];\nint *q;\nprocess w { q = a + 5; }\n");
    expect(fault).toBe("out_of_bounds");
    expect(message).toBe(
      "pointer arithmetic leaves a (4 words): the result would be at word 5 of it, and C allows words 0 to 4 (one past the end)",
    );
  });

  it("one below the start is out_of_bounds, even though another global lies there", () => {
    const { fault } = check("int b[2];\nint a[4];\nint *q;\nprocess w { q = a; q--; }\n");
    expect(fault).toBe("out_of_bounds");
  });

  it("one past the end may be formed and compared, not dereferenced", () => {
    const ok = check(
      'int a[2];\nint b;\nint x;\nprocess w { int *e = a + 2; x = e - a; assert(e > a, "order"); }\n',
    );
    expect(ok.bad).toEqual([]);
    const { fault, message } = check("int a[2];\nint b;\nint x;\nprocess w { int *e = a + 2; x = *e; }\n");
    expect(fault).toBe("bad_pointer");
    expect(message).toMatch(/points to no object/);
  });

  it("struct elements scale by the struct's words and stack arrays keep their frame tag", () => {
    const text = `
struct pair { int a; int b; };
int r;
int f(struct pair ps[3]) { struct pair *p = ps + 2; return p->b + (p - ps) + sizeof(ps); }
process w { struct pair loc[3]; loc[2].b = 7; r = f(loc); }
final right: r == 7 + 2 + 4;
expect holds;
`;
    expect(check(text).bad).toEqual([]);
  });

  it("subtracting or ordering pointers into different objects is a fault", () => {
    const sub = check("int a[2];\nint b[2];\nint x;\nprocess w { x = b - a; }\n");
    expect(sub.fault).toBe("bad_pointer");
    expect(sub.message).toMatch(/^'-' between pointers into different objects \(b \(2 words\) and a/);
    const cmp = check("int a[2];\nint b[2];\nint x;\nprocess w { x = a < b; }\n");
    expect(cmp.fault).toBe("bad_pointer");
  });

  it("arithmetic on NULL is a fault, NULL + 0 is NULL", () => {
    expect(check("int *p;\nint *q;\nprocess w { q = p + 1; }\n").fault).toBe("out_of_bounds");
    expect(check("int *p;\nint *q;\nprocess w { q = p + 0; }\n").bad).toEqual([]);
  });

  it("void * arithmetic is KC320: bytes cannot be stepped over in word memory", () => {
    expect(diagnose("int a[2];\nvoid *v;\nprocess w { v = a; v = v + 1; }\n")[0]).toMatch(
      /^KC320 arithmetic on a void \*/,
    );
  });
});

describe("error pointers (include/linux/err.h)", () => {
  it("ERR_PTR, IS_ERR, PTR_ERR, IS_ERR_OR_NULL and ERR_CAST mean what they mean in the kernel", () => {
    const text = `
const ENOMEM = 12;
struct file { int pos; };
struct file files[1];
struct file *open_file(int fail) { if (fail) return ERR_PTR(-ENOMEM); return &files[0]; }
int err; int ok; int none; int cast;
process w {
  struct file *f = open_file(1);
  if (IS_ERR(f)) err = PTR_ERR(f);
  f = open_file(0);
  ok = !IS_ERR(f) && !IS_ERR_OR_NULL(f);
  none = IS_ERR_OR_NULL(NULL) && IS_ERR(ERR_CAST(ERR_PTR(-1))) && IS_ERR(open_file(1)) && !IS_ERR_OR_NULL(open_file(0));
  cast = (long)(struct file *)NULL + (int)ERR_PTR(-3);
}
final right: err == -12 && ok == 1 && none == 1 && cast == -3;
expect holds;
`;
    expect(check(text).bad).toEqual([]);
  });

  it("a dereference of an error pointer is a fault that names it", () => {
    const { fault, message } = check(
      "struct file { int pos; };\nint x;\nprocess w { struct file *f = ERR_PTR(-12); x = f->pos; }\n",
    );
    expect(fault).toBe("bad_pointer");
    expect(message).toBe("dereference of the error pointer ERR_PTR(-12)");
  });

  it("arithmetic on an error pointer is a fault", () => {
    const { fault, message } = check("int *p;\nprocess w { p = ERR_PTR(-2); p++; }\n");
    expect(fault).toBe("bad_pointer");
    expect(message).toBe("pointer arithmetic on the error pointer ERR_PTR(-2)");
  });

  it("an int that is no errno made a pointer, or an object pointer made an int, is a bad_cast", () => {
    const a = check("int v = 5000;\nint *p;\nprocess w { p = (int *)v; }\n");
    expect(a.fault).toBe("bad_cast");
    expect(a.message).toMatch(/^the integer 5000 converted to a pointer/);
    const b = check("int g;\nint v;\nprocess w { v = (long)&g; }\n");
    expect(b.fault).toBe("bad_cast");
    expect(diagnose("int *p;\nprocess w { p = (int *)4096; }\n")[0]).toMatch(/^KC321 /);
  });
});

describe("function pointers", () => {
  const ops = `
struct file { int pos; };
struct file_operations {
  int (*read)(struct file *, int);
  int (*write)(struct file *, int);
};
typedef int (*io_fn)(struct file *, int);
int pipe_read(struct file *f, int n) { f->pos = f->pos + n; return n; }
int pipe_write(struct file *f, int n) { f->pos = f->pos - n; return -n; }
int other(int x) { return x; }
struct file_operations pipe_fops = { .read = pipe_read, .write = &pipe_write };
struct file filp;
int r1; int r2; int r3; int r4;
`;

  it("tables of operations, typedefs, variables and parameters call the function they hold", () => {
    const text = `${ops}
int apply(io_fn fn, int n) { return fn(&filp, n); }
process w {
  struct file_operations *fops = &pipe_fops;
  int (*fn)(struct file *, int) = pipe_write;
  r1 = fops->read(&filp, 5);
  r2 = (*fops->write)(&filp, 2);
  r3 = fn(&filp, 1) + apply(pipe_read, 4);
  r4 = fops->read == pipe_read && fn != fops->read;
}
final right: r1 == 5 && r2 == -2 && r3 == 3 && r4 == 1 && filp.pos == 6;
expect holds;
`;
    expect(check(text).bad).toEqual([]);
  });

  it("a call through NULL is a fault; a function pointer never passes for data, even through a struct cast", () => {
    const nul = check(`${ops}\nstruct file_operations empty;\nprocess w { r1 = empty.read(&filp, 1); }\n`);
    expect(nul.fault).toBe("null_deref");
    expect(nul.message).toBe("call through a NULL function pointer");
    const cast = check(`${ops}
struct data { int *p; };
int x;
process w { struct data *d = (struct data *)&pipe_fops; x = *d->p; }
`);
    expect(cast.fault).toBe("bad_cast");
  });

  it("argument and pointer types are checked as for direct calls", () => {
    expect(diagnose(`${ops}\nprocess w { io_fn f = other; }\n`)[0]).toMatch(
      /^KC301 assignment: cannot use int \(\*\)\(int\) as int \(\*\)\(struct file \*, int\)/,
    );
    expect(diagnose(`${ops}\nprocess w { r1 = pipe_fops.read(1, 2); }\n`)[0]).toMatch(/^KC304 /);
    expect(diagnose(`${ops}\nprocess w { void *v = pipe_read; }\n`)[0]).toMatch(/^KC301 /);
  });

  it("a recursive call through a pointer keeps the stack bound sound", () => {
    const text = `
int down(int n);
int (*again)(int) = down;
int down(int n) { if (n <= 0) return 0; return again(n - 1) + 1; }
int r;
process w { r = down(3); }
final right: r == 3;
expect holds;
`;
    expect(check(text).bad).toEqual([]);
  });
});

describe("offsetof and container_of", () => {
  const decls = `
struct link { struct link *next; };
struct item { char tag; int key; struct link node; int vals[3]; };
struct item items[2];
struct link lone;
int off; int key; int same;
`;

  it("offsetof is C's byte offset on i386 (padding included)", () => {
    const text = `${decls}
process w { off = offsetof(struct item, node) * 100 + offsetof(struct item, vals[2]) * 1 + (int)sizeof(struct item) * 10000; }
final right: off == 24 * 10000 + 8 * 100 + 20;
expect holds;
`;
    // char at 0, int key at 4 (aligned), node at 8, vals at 12..23: vals[2] at 20; size 24.
    expect(check(text).bad).toEqual([]);
  });

  it("container_of and list_entry give the struct holding the member", () => {
    const text = `${decls}
struct link *node_of(int i) { return &items[i].node; }
process w {
  struct link *pos = &items[1].node;
  struct item *it = container_of(pos, struct item, node);
  it->key = 7;
  key = items[1].key;
  same = list_entry(&items[0].node, struct item, node) == &items[0] && container_of(&it->vals[1], struct item, vals[1]) == it
    && container_of(node_of(1), struct item, node) == &items[1];
}
final right: key == 7 && same == 1;
expect holds;
`;
    expect(check(text).bad).toEqual([]);
  });

  it("a member that lies in no such struct is a fault: out of its object, or laid out otherwise", () => {
    const lone = check(
      `${decls}\nstruct item *it;\nprocess w { it = container_of(&lone, struct item, node); }\n`,
    );
    expect(lone.fault).toBe("out_of_bounds");
    const wrong = check(
      `${decls}\nstruct pair { int a; int b; struct link l; int c[3]; };\nstruct pair pr;\nstruct item *it;\nprocess w { it = container_of(&pr.l, struct item, node); }\n`,
    );
    expect(wrong.fault).toBe("bad_cast");
  });

  it("the kernel's container_of written out through char * is KC320, pointing at container_of", () => {
    expect(
      diagnose(
        `${decls}\nstruct item *it;\nprocess w { it = (struct item *)((char *)&lone - offsetof(struct item, node)); }\n`,
      )[0],
    ).toMatch(/^KC320 .*container_of\(ptr, type, member\)/);
    // The kernel's own macros, through the preprocessor.
    const macros = [
      "#define offsetof(TYPE, MEMBER) ((int)&((TYPE *)0)->MEMBER)",
      "#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))",
    ].join("\n");
    expect(
      diagnose(
        `${macros}\n${decls}\nstruct item *it;\nprocess w { it = container_of(&lone, struct item, node); }\n`,
      ),
    ).toEqual([expect.stringMatching(/^KC320 /)]);
    // Nested casts are typed once each, not once per enclosing level.
    const deep = `${"(char *)(".repeat(80)}&lone${" + 1)".repeat(80)}`;
    expect(diagnose(`${decls}\nchar *c;\nprocess w { c = ${deep}; }\n`)[0]).toMatch(/^KC320 /);
  });
});

describe("structs by value", () => {
  it("assignment copies; a struct result is copied whole, never cut to its first word", () => {
    const copy =
      "struct s { int a; int b; };\nstruct s g = { 1, 2 };\nstruct s h;\nprocess w { struct s l = g; h = l; }\nfinal copied: h.b == 2;\nexpect holds;\n";
    expect(check(copy).bad).toEqual([]);
    const result =
      "struct s { int a; int b; };\nstruct s g = { 1, 2 };\nstruct s h;\nstruct s mk(void) { return g; }\nprocess w { h = mk(); }\nfinal copied: h.b == 2;\nexpect holds;\n";
    expect(check(result).bad).toEqual([]);
    expect(diagnose("union u { int a; char b; };\nprocess w { }\n")[0]).toMatch(
      /^KC313 union u: 'b' \(char at byte 0\) shares memory with 'a'/,
    );
  });
});

describe("hostile function pointer programs", () => {
  it("calls through pointers may not multiply into more than MAX_DISPATCH_CALLS direct calls (KC410)", () => {
    const n = 150;
    const fns = Array.from({ length: n }, (_, i) => `int f${i}(int a) { return a + ${i}; }`);
    const text = [
      ...fns,
      "int (*t)(int);",
      `void use(void) { ${fns.map((_, i) => `t = f${i};`).join(" ")} }`,
      "int x;",
      `process w { ${fns.map(() => "x = t(x);").join(" ")} }`,
    ].join("\n");
    const codes = diagnose(text);
    expect(codes).toHaveLength(1);
    expect(codes[0]).toMatch(/^KC410 calls through function pointers reach more than 20000 functions/);
  });
});
