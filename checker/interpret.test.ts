// The reference interpreter against the compiled step function (same code, memory and faults on
// every reachable state of random programs), plus unit tests of the interpreter on tiny programs.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Lowered } from "../model/ir";
import { type Slot, startTask, T_ATOMIC, T_PC, T_STATE, TASK_ZOMBIE } from "../model/layout";
import { loadProgram } from "../model/load";
import { BLOCKED, FAULT, MOVED, NEED_CHOICE, PRUNED, StepContext } from "./compile";
import { interpretProperty, interpretStep } from "./interpret";
import { MAX_CHOICE_SPAN, System } from "./system";
import { kcProgram } from "./testing/randomPrograms";

function load(text: string, fine = false): Lowered {
  const r = loadProgram("test.kc", { fine }, text);
  if (!r.ok)
    throw new Error(
      `does not compile:\n${text}\n${r.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n")}`,
    );
  return r.program;
}

/** The memory a slot steps from: a handler starts afresh at its entry, as System does. */
function prepare(sys: System, src: Int32Array, slot: Slot): Int32Array {
  const m = src.slice();
  if (slot.kind === "interrupt") {
    startTask(sys.program, m, slot);
  }
  return m;
}

interface StepResult {
  code: number;
  m: number[];
  cpos: number;
  need: [number, number] | null;
  fault: { kind: string; message: string; pc: number; span: unknown } | null;
  trail: number[] | null;
}

function observe(r: number, m: Int32Array, ctx: StepContext): StepResult {
  return {
    code: r,
    m: [...m],
    cpos: ctx.cpos,
    need: r === NEED_CHOICE ? [ctx.lo, ctx.hi] : null,
    fault:
      r === FAULT
        ? { kind: ctx.faultKind, message: ctx.faultMessage, pc: ctx.faultPc, span: ctx.faultSpan }
        : null,
    trail: ctx.trail,
  };
}

/**
 * Steps `slot` from `src` with the compiled step, the compiled tracing step and the interpreter,
 * for the choose prefix `cv` and, on NEED_CHOICE, every extension of it. Returns the first
 * disagreement, described, or null.
 */
function compareSlot(sys: System, src: Int32Array, slotIndex: number, cv: number[]): string | null {
  const slot = sys.layout.slots[slotIndex] as Slot;
  const cur = slot.kind === "interrupt" ? 0 : slot.base;
  const run = (how: "compiled" | "traced" | "interpreted"): StepResult => {
    const m = prepare(sys, src, slot);
    const ctx = new StepContext();
    ctx.cv = [...cv];
    if (how !== "compiled") ctx.trail = [];
    const r =
      how === "compiled"
        ? sys.compiled.step(m, slot.base, cur, slot.self, slot.stackEnd, ctx)
        : how === "traced"
          ? sys.compiled.traceStep(m, slot.base, cur, slot.self, slot.stackEnd, ctx)
          : interpretStep(sys.program, m, slot.base, cur, slot.self, slot.stackEnd, ctx);
    return observe(r, m, ctx);
  };
  const compiled = run("compiled");
  const traced = run("traced");
  const interpreted = run("interpreted");
  const where = `slot ${slot.label}, choices [${cv.join(", ")}], from state [${src.join(", ")}]`;
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  if (!same({ ...compiled, trail: null }, { ...interpreted, trail: null }))
    return `compiled vs interpreted at ${where}:\n${JSON.stringify(compiled)}\n${JSON.stringify(interpreted)}`;
  if (!same(traced, interpreted))
    return `traced vs interpreted at ${where}:\n${JSON.stringify(traced)}\n${JSON.stringify(interpreted)}`;
  if (compiled.code === NEED_CHOICE && compiled.need) {
    const [lo, hi] = compiled.need;
    if (hi - lo + 1 > MAX_CHOICE_SPAN) return null;
    for (let v = lo; v <= hi; v++) {
      const d = compareSlot(sys, src, slotIndex, [...cv, v]);
      if (d) return d;
    }
  }
  return null;
}

/** Walks the reachable states breadth-first (at most `cap`), comparing every slot of each. */
function compareProgram(text: string, cap: number, fine = false): string | null {
  const sys = new System(load(text, fine));
  const seen = new Set<string>();
  const queue: Int32Array[] = [sys.initial()];
  seen.add(queue[0]!.join(","));
  for (let head = 0; head < queue.length && head < cap; head++) {
    const m = queue[head]!;
    for (let i = 0; i < sys.layout.slots.length; i++) {
      const d = compareSlot(sys, m, i, []);
      if (d) return d;
    }
    for (let i = 0; i < sys.program.properties.length; i++) {
      const a = evalOrError(() => sys.compiled.properties[i]!(m));
      const b = evalOrError(() => interpretProperty(sys.program, i, m));
      if (a !== b) return `property ${i} on [${m.join(", ")}]: compiled ${a}, interpreted ${b}`;
    }
    for (const c of sys.choices(m)) {
      if (!c.next) continue;
      const k = c.next.join(",");
      if (seen.has(k)) continue;
      seen.add(k);
      queue.push(c.next);
    }
  }
  return null;
}

function evalOrError(f: () => number): string {
  try {
    return String(f());
  } catch (e) {
    return `error: ${e instanceof Error || (e && typeof e === "object" && "message" in e) ? (e as { message: string }).message : String(e)}`;
  }
}

describe("interpretStep agrees with the compiled step", () => {
  it("on every reachable state, slot and choice of random programs", () => {
    fc.assert(
      fc.property(kcProgram(), (text) => {
        expect(compareProgram(text, 400)).toBeNull();
      }),
      { numRuns: 200 },
    );
  });

  it("on random programs cut into fine (one shared access) steps", () => {
    fc.assert(
      fc.property(kcProgram(), (text) => {
        expect(compareProgram(text, 300, true)).toBeNull();
      }),
      { numRuns: 60 },
    );
  });

  it("on pointers: arithmetic in and out of objects, stale frames, error and function pointers, container_of", () => {
    const programs = [
      // Globals, one past the end, out of bounds both ways, across objects.
      "int a[3] = { 1, 2, 3 }; int b[2]; int *p; int x; process w { p = a; x = choose(0, 4); p = p + x; x = p - a; x = p < a + 2; p[-1] = *p; }",
      "int a[3]; int b[2]; int x; process w { int *q = b + choose(0, 1); x = q - a; }",
      // Stack arrays, a pointer kept past its frame, pointer arithmetic on it.
      "int *sp; int x; void f(void) { int loc[2]; sp = loc + 1; } process w { f(); x = choose(0, 1); sp = sp - x; } process v { await(sp != NULL); x = *sp; }",
      "int x; int g(int v[2]) { int *e = v + 2; return e - v + v[1]; } process w { int loc[2] = { 3, 4 }; x = g(loc); }",
      // Pool objects: arithmetic on a freed one.
      "struct N { int v[2]; }; pool struct N[1]; struct N *np; int *ip; process w { np = kmalloc(sizeof(struct N)); ip = &np->v[0]; kfree(np); ip++; }",
      // Error pointers and casts.
      "int *p; int x; process w { p = ERR_PTR(-choose(0, 2)); x = IS_ERR(p) + IS_ERR_OR_NULL(p) * 2; x = PTR_ERR(p); x = *p; }",
      "int g; int x; process w { x = (long)&g; }",
      "int v; int *p; process w { v = choose(-4096, -4095); p = (int *)v; }",
      // Function pointers: through NULL, tables, recursion through a pointer.
      "int f0(int a) { return a + 1; } int f1(int a) { return a - 1; } int (*fp)(int); int x; process w { if (choose(0, 1)) fp = f0; x = fp(2); fp = &f1; x = (*fp)(x); }",
      "int down(int n); int (*again)(int) = down; int down(int n) { if (n <= 0) return 0; return again(n - 1) + 1; } int x; process w { x = down(choose(0, 2)); }",
      // container_of inside and outside its struct.
      "struct L { struct L *next; }; struct I { int k; struct L n; }; struct I is[2]; struct L lone; int x; process w { struct L *l = choose(0, 1) ? &is[1].n : &lone; struct I *i = container_of(l, struct I, n); x = i->k + offsetof(struct I, n); }",
    ];
    for (const text of programs) expect(compareProgram(text, 400), text).toBeNull();
  });

  it("on kmalloc pools: allocation, exhaustion, use after free, double and bad frees", () => {
    const pools = [
      "struct msg { int type; struct msg *next; };\npool struct msg[2];\nstruct msg *queue;\nstruct msg stray;\n",
      "process a { struct msg *m = kmalloc(sizeof(struct msg)); if (m != NULL) { m->type = choose(1, 2); queue = m; } kfree(m); }",
      "process b { await(queue != NULL); int t = queue->type; struct msg *n = kmalloc(sizeof(*n)); n->next = queue; kfree(n); kfree(n); }",
      "process c { if (choose(0, 1)) kfree(&stray); }",
    ].join("\n");
    expect(compareProgram(pools, 2000)).toBeNull();
  });
});

/** A program with one process, its system, and helpers to step that process. */
function single(text: string) {
  const p = load(text);
  const sys = new System(p);
  const slot = sys.layout.slots[0] as Slot;
  const addr = (name: string): number => {
    const g = p.globals.find((v) => v.name === name);
    if (!g) throw new Error(`no global ${name}`);
    return g.offset;
  };
  const step = (m: Int32Array, cv: number[] = []) => {
    const ctx = new StepContext();
    ctx.cv = cv;
    ctx.trail = [];
    const r = interpretStep(p, m, slot.base, slot.base, slot.self, slot.stackEnd, ctx);
    return { r, ctx };
  };
  return { p, sys, slot, addr, step, m: sys.initial() };
}

describe("interpretStep on tiny programs", () => {
  it("runs one visible statement per step, then exits to a zombie that never moves again", () => {
    const t = single("int g; process p { g = 1; g = 2; }");
    const g = t.addr("g");
    expect(t.step(t.m).r).toBe(MOVED);
    expect(t.m[g]).toBe(1);
    // The exit touches nothing shared: it ends the same step as the last store.
    expect(t.step(t.m).r).toBe(MOVED);
    expect(t.m[g]).toBe(2);
    expect(t.m[t.slot.base + T_PC]).toBe(0);
    expect(t.m[t.slot.base + T_STATE]).toBe(TASK_ZOMBIE);
    const before = t.m.slice();
    expect(t.step(t.m).r).toBe(BLOCKED);
    expect(t.m).toEqual(before);
  });

  it("merges local-only statements into the visible one", () => {
    const t = single("int g; process p { int x = 1; x = x + 1; g = x; }");
    expect(t.step(t.m).r).toBe(MOVED);
    expect(t.m[t.addr("g")]).toBe(2);
    // The exit is local too: the whole body was one step, and the stack is clean.
    expect(t.m[t.slot.base + T_PC]).toBe(0);
    expect([...t.m.subarray(t.slot.stackBase, t.slot.stackEnd)].every((w) => w === 0)).toBe(true);
  });

  it("runs an atomic block as one step", () => {
    const t = single("int g; int h; process p { atomic { g = 1; h = g + 1; } g = 5; }");
    expect(t.step(t.m).r).toBe(MOVED);
    expect([t.m[t.addr("g")], t.m[t.addr("h")]]).toEqual([1, 2]);
    expect(t.m[t.slot.base + T_ATOMIC]).toBe(0);
  });

  it("blocks on a false await without changing memory, and passes a true one", () => {
    const t = single("int g; int h; process p { await(g == 1); h = 2; }");
    const before = t.m.slice();
    expect(t.step(t.m).r).toBe(BLOCKED);
    expect(t.m).toEqual(before);
    t.m[t.addr("g")] = 1;
    expect(t.step(t.m).r).toBe(MOVED);
    expect(t.step(t.m).r).toBe(MOVED);
    expect(t.m[t.addr("h")]).toBe(2);
  });

  it("prunes a failed assume", () => {
    const t = single("int g; process p { assume(g > 0); g = 2; }");
    expect(t.step(t.m).r).toBe(PRUNED);
  });

  it("asks for a choice, then stores the value given", () => {
    const t = single("int g; process p { g = choose(1, 3); }");
    const first = t.step(t.m.slice());
    expect(first.r).toBe(NEED_CHOICE);
    expect([first.ctx.lo, first.ctx.hi]).toEqual([1, 3]);
    const second = t.step(t.m, [2]);
    expect(second.r).toBe(MOVED);
    expect(second.ctx.cpos).toBe(1);
    expect(t.m[t.addr("g")]).toBe(2);
  });

  it("calls and returns through a frame that is cleared afterwards", () => {
    const t = single("int g; int twice(int a) { int b = a + a; return b; } process p { g = twice(3) + 1; }");
    for (let i = 0; i < 5 && t.m[t.slot.base + T_PC] !== 0; i++) expect(t.step(t.m).r).toBe(MOVED);
    expect(t.m[t.addr("g")]).toBe(7);
    expect([...t.m.subarray(t.slot.stackBase, t.slot.stackEnd)].every((w) => w === 0)).toBe(true);
  });

  it("reports faults with their kind, message and pc", () => {
    const div = single("int g; int h; process p { g = 1 / h; }");
    const r = div.step(div.m);
    expect(r.r).toBe(FAULT);
    expect(r.ctx.faultKind).toBe("div_by_zero");
    expect(r.ctx.faultMessage).toBe("division by zero");
    expect(div.p.code[r.ctx.faultPc]?.k).toBe("store");

    const oob = single("int a[2]; int<0..3> i = 3; process p { a[i] = 1; }");
    const o = oob.step(oob.m);
    expect([o.r, o.ctx.faultKind, o.ctx.faultMessage]).toEqual([
      FAULT,
      "out_of_bounds",
      "index 3 is out of bounds for an array of 2",
    ]);

    const range = single("int<0..1> g = 1; process p { g++; }");
    const q = range.step(range.m);
    expect([q.r, q.ctx.faultKind, q.ctx.faultMessage]).toEqual([
      FAULT,
      "range_overflow",
      "value 2 is outside int<0..1>",
    ]);

    const nul = single("int g; process p { int *q = NULL; *q = 1; }");
    expect(nul.step(nul.m).ctx.faultKind).toBe("null_deref");

    const failed = single('int g; process p { assert(g == 1, "g must be 1"); }');
    const a = failed.step(failed.m);
    expect([a.r, a.ctx.faultKind, a.ctx.faultMessage]).toEqual([FAULT, "assertion", "g must be 1"]);
  });

  it("calls an endless local loop a fault rather than hanging", () => {
    const t = single("int g; process p { int x = 0; while (x == 0) { x = 0; } g = 1; }");
    const r = t.step(t.m);
    expect([r.r, r.ctx.faultKind]).toEqual([FAULT, "infinite_loop"]);
  });

  it("sleeps in schedule() until the task is running again", () => {
    const t = single("int g; process p { current->state = TASK_UNINTERRUPTIBLE; schedule(); g = 1; }");
    expect(t.step(t.m).r).toBe(MOVED); // the state store
    expect(t.step(t.m).r).toBe(BLOCKED); // asleep
    t.m[t.slot.base + T_STATE] = 0; // woken
    expect(t.step(t.m).r).toBe(MOVED);
    expect(t.step(t.m).r).toBe(MOVED);
    expect(t.m[t.addr("g")]).toBe(1);
  });

  it("fires an interrupt handler as one step that leaves its block clean", () => {
    const p = load("int<0..3> g; process w { g = 3; } interrupt irq { assume(g < 2); g++; }");
    const sys = new System(p);
    const h = sys.layout.handlers[0] as Slot;
    const m = prepare(sys, sys.initial(), h);
    const ctx = new StepContext();
    expect(interpretStep(p, m, h.base, 0, h.self, h.stackEnd, ctx)).toBe(MOVED);
    expect(m[p.globals[0]?.offset ?? -1]).toBe(1);
    expect([...m.subarray(h.base, h.stackEnd)].every((w) => w === 0)).toBe(true);
  });

  it("records the boundaries a step passes when asked", () => {
    const t = single("int g; process p { int x = 1; g = x; }");
    const { ctx } = t.step(t.m);
    expect(ctx.trail?.length).toBeGreaterThanOrEqual(2);
    expect(ctx.trail?.every((pc) => t.p.info[pc]?.boundary)).toBe(true);
  });

  it("evaluates properties over global memory", () => {
    const p = load("int g = 2; int h; process w { g = 1; } invariant pos: g > 1; invariant div: g / h == 0;");
    const sys = new System(p);
    const m = sys.initial();
    expect(interpretProperty(p, 0, m)).toBe(1);
    expect(() => interpretProperty(p, 1, m)).toThrow("division by zero");
  });
});
