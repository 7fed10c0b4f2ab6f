// The rule that merges accesses to objects no other task can reach yet (model/elab/privacy.ts,
// model/objects.ts unpublished) is a reduction: it must find every violation the plain search
// finds, and it must not run a group early that another task could have seen in between.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadProgram } from "../model/load";
import { explore } from "./explore";
import type { Outcome } from "./outcome";
import { System } from "./system";

function load(text: string, noMerge: boolean): System {
  const r = loadProgram("privacy.kc", { noMerge }, text);
  if (!r.ok) throw new Error(`does not compile:\n${text}\n${r.diagnostics.map((d) => d.message).join("\n")}`);
  return new System(r.program);
}

const violated = (o: Outcome): string[] =>
  o.properties
    .filter((p) => p.status === "violated")
    .map((p) => p.name)
    .sort();

function both(text: string): { merged: Outcome; plain: Outcome } {
  return {
    merged: explore(load(text, false), { keepGoing: true, maxStates: 50_000 }),
    plain: explore(load(text, true), { keepGoing: true, maxStates: 50_000 }),
  };
}

describe("bookkeeping on objects no other task can see", () => {
  it("costs no steps: init_wait on a fresh stack entry and a new object's fields merge", () => {
    const text = `
struct wait_queue *q;
struct item { int a; int b; struct item *next; };
pool struct item[2];
struct item *head;
int done;
process w[2] {
    struct wait_queue wait;
    init_wait(&wait);
    add_wait_queue(&q, &wait);
    remove_wait_queue(&q, &wait);
    struct item *p = kmalloc(sizeof(struct item), GFP_KERNEL);
    p->a = 1;
    p->b = 2;
    atomic { p->next = head; head = p; }
    done++;
}
invariant filled: head == NULL || (head->a == 1 && head->b == 2);
final all: done == 2;
`;
    const { merged, plain } = both(text);
    expect(violated(merged)).toEqual([]);
    expect(violated(plain)).toEqual([]);
    // Without the rule, w[0]'s three init_wait stores and two field stores are five steps of
    // their own, each a place where w[1] may run: many more states.
    const withoutRule = explore(load(text.replace("init_wait(&wait);", "init_wait(&wait); q = q;"), false), {
      keepGoing: true,
    });
    expect(merged.stats.states).toBeLessThan(plain.stats.states);
    expect(merged.stats.depth).toBeLessThan(withoutRule.stats.depth);
  });

  it("spin_unlock is one step, as the kernel's release store is", () => {
    const o = explore(
      load("spinlock_t l;\nint x;\nprocess p { spin_lock(&l); x = 1; spin_unlock(&l); }", false),
      {},
    );
    // Three steps (lock, store, unlock) and the exit: the initial state plus three.
    expect(o.stats.states).toBe(4);
  });

  it("a place a property observes a task at is one whatever merges (at, in)", () => {
    // h0 touches only locals, and the store after L is to an unpublished object: merged, the
    // task would never rest inside h0 or at L.
    const text = `
int h0() { return 1; }
struct box { int v; };
pool struct box[1];
process w0 {
    struct box *b = kmalloc(sizeof(struct box), GFP_KERNEL);
    h0();
L:  if (b != NULL) b->v = 1;
    kfree(b);
}
reachable inside: exists i: w0[i] in h0;
reachable atL: w0 at L;
`;
    const { merged, plain } = both(text);
    expect(violated(merged)).toEqual([]);
    expect(violated(plain)).toEqual([]);
    // The hostile review's case: the last shared store of f, then its return, merged into one
    // step, hid the state in f after the store; the return is a place the task rests too.
    const last = `int done;\nint v;\nvoid update(void) { v++; done = 1; }\nprocess a { update(); v = 0; }
invariant not_inside_when_done: !(a in update && done == 1);\n`;
    const r = both(last);
    expect(violated(r.plain)).toEqual(["not_inside_when_done"]);
    expect(violated(r.merged)).toEqual(violated(r.plain));
  });

  it("a pool object whose pointer sits on a published stack is published too", () => {
    // The hostile review's case: the box's only pointer is in h, on a's stack, and hp = &h
    // makes that stack reachable, so b may read the box between the two field stores.
    const text = `
struct box { int a; int b; };
struct holder { struct box *p; };
int pad[40];
pool struct box[1];
struct holder *hp;
int seen = -1;
process a {
    struct holder h;
    struct box *ob = kmalloc(sizeof(struct box), GFP_KERNEL);
    h.p = ob;
    hp = &h;
    ob->a = 1;
    ob->b = 2;
    await(seen != -1);
}
process b {
    await(hp != NULL && hp->p != NULL);
    seen = hp->p->a * 10 + hp->p->b;
}
invariant never_half: seen != 10;
`;
    const { merged, plain } = both(text);
    expect(violated(plain)).toContain("never_half");
    expect(violated(merged)).toEqual(violated(plain));
  });

  it("still sees an object published before it is filled in", () => {
    // The bug: head = p before the fields are set; a reader sees a half-built item.
    const text = `
struct item { int a; int b; };
pool struct item[1];
struct item *head;
int seen = -1;
process writer {
    struct item *p = kmalloc(sizeof(struct item), GFP_KERNEL);
    head = p;
    p->a = 1;
    p->b = 2;
}
process reader {
    await(head != NULL);
    seen = head->a + head->b;
}
invariant never_half: seen == -1 || seen == 3 || seen == 0;
reachable half: seen == 1;
`;
    const { merged, plain } = both(text);
    expect(violated(merged)).toEqual(violated(plain));
    expect(merged.properties.find((p) => p.name === "half")?.status).toBe("holds");
  });

  it("agrees with the plain search on random publish/write/read programs", () => {
    // Process a writes fields of a stack struct and of a kmalloc'd object, through names and
    // through pointers, and publishes or unpublishes pointers to them (directly, or through a
    // holder on its stack or in another pool object). Process b copies whatever it can reach
    // into globals; a reachable property per (field, value) makes any hidden write a different
    // verdict.
    const op = fc.oneof(
      fc.record({
        k: fc.constant("w"),
        f: fc.integer({ min: 0, max: 1 }),
        v: fc.integer({ min: 1, max: 3 }),
      }),
      fc.record({
        k: fc.constant("wp"),
        f: fc.integer({ min: 0, max: 1 }),
        v: fc.integer({ min: 1, max: 3 }),
      }),
      fc.record({
        k: fc.constant("wo"),
        f: fc.integer({ min: 0, max: 1 }),
        v: fc.integer({ min: 1, max: 3 }),
      }),
      fc.record({
        k: fc.constantFrom("pub", "unpub", "pubo", "unpubo", "hold", "holdo", "holdpool", "chain", "local"),
      }),
    );
    const stmt = (o: { k: string; f?: number; v?: number }): string => {
      switch (o.k) {
        case "w":
          return `x.f[${o.f}] = ${o.v};`;
        case "wp":
          return `px->f[${o.f}] = ${o.v};`;
        case "wo":
          return `if (ob != NULL) ob->f[${o.f}] = ${(o.v ?? 0) + 3};`;
        case "pub":
          return "pub = &x;";
        case "unpub":
          return "pub = NULL; hp = NULL;";
        case "pubo":
          return "opub = ob;";
        case "unpubo":
          return "opub = NULL;";
        case "hold":
          return "h.p = &x; hp = &h;";
        case "holdo":
          return "if (other != NULL) { other->link = &x; opub = other; }";
        case "holdpool":
          // The object's only pointer on a's stack, and a's stack reachable through hp.
          return "if (ob != NULL) { h.p = ob; hp = &h; }";
        case "chain":
          return "if (other != NULL && ob != NULL) { other->next = ob; opub = other; }";
        default:
          return "n++;";
      }
    };
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 7 }), (ops) => {
        const text = `
struct box { int f[2]; struct box *link; struct box *next; };
struct holder { struct box *p; };
int pad[40]; // the pool away from small addresses, which small integers would match by chance
pool struct box[2];
struct box *pub;
struct holder *hp;
struct box *opub;
int seen;
process a {
    struct box x;
    struct holder h;
    struct box *px = &x;
    int n = 0;
    struct box *ob = kmalloc(sizeof(struct box), GFP_KERNEL);
    struct box *other = kmalloc(sizeof(struct box), GFP_KERNEL);
    ${ops.map(stmt).join("\n    ")}
    await(seen == 99);
}
process b {
    for (;;) {
        if (pub != NULL) seen = pub->f[0] * 10 + pub->f[1];
        if (hp != NULL && hp->p != NULL) seen = hp->p->f[0] * 10 + hp->p->f[1];
        if (opub != NULL) seen = opub->f[0] * 10 + opub->f[1];
        if (opub != NULL && opub->link != NULL) seen = opub->link->f[0] * 10 + opub->link->f[1];
        if (opub != NULL && opub->next != NULL) seen = opub->next->f[0] * 10 + opub->next->f[1];
    }
}
${[0, 1, 2, 3, 4, 5, 6].flatMap((i) => [0, 1, 2, 3, 4, 5, 6].map((j) => `reachable s${i}${j}: seen == ${i * 10 + j};`)).join("\n")}
`;
        const { merged, plain } = both(text);
        if (merged.limit || plain.limit) return;
        expect(violated(merged)).toEqual(violated(plain));
      }),
      { numRuns: 60 },
    );
  });
});
