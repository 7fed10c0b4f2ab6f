// The world at the start and processes as data (issue 8): a program's own task_struct, init
// blocks, naming another process's task, and properties over processes.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../model/diagnostics";
import { loadProgram } from "../model/load";
import { validateJson } from "../reports/json";
import { explain } from "../reports/text";
import { main } from "./cli";
import { captureOutput } from "./cliCapture";
import { explore } from "./explore";
import { buildInitialState, InitError } from "./init";
import { interpretStep } from "./interpret";
import { System } from "./system";
import { buildTrace } from "./trace";

function system(text: string): System {
  const r = loadProgram("w.kc", {}, text);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  return new System(r.program);
}

function violated(text: string): string[] {
  const o = explore(system(text), { keepGoing: true });
  return o.properties.filter((p) => p.status === "violated").map((p) => p.name);
}

function codes(text: string): string[] {
  const r = loadProgram("w.kc", {}, text);
  return r.ok ? [] : r.diagnostics.map((d) => d.code);
}

describe("struct task_struct from the program", () => {
  it("a program's own definition replaces the prelude's, in any field order, with fields of its own", () => {
    const text = [
      "struct task_struct { struct wait_queue *undo; int state; int blocked; int pid; int signal; int sysvsem; };",
      "int seen;",
      "process worker[2] { current->sysvsem = current->pid; seen = seen + current->sysvsem; }",
      "final sum: seen == 3;",
      "expect holds;",
    ].join("\n");
    expect(violated(text)).toEqual([]);
  });

  it("sleeping and waking use the program's state field wherever it lies", () => {
    const text = [
      "struct task_struct { int extra[3]; int pid; int signal; int blocked; int state; };",
      "struct wait_queue *q;",
      "int flag;",
      "process sleeper { struct wait_queue w = { current, NULL }; add_wait_queue(&q, &w);",
      "  current->state = TASK_UNINTERRUPTIBLE; if (!flag) schedule(); current->state = TASK_RUNNING; remove_wait_queue(&q, &w); }",
      "process waker { flag = 1; wake_up(&q); }",
    ].join("\n");
    expect(violated(text)).toEqual([]);
  });

  it("a field the machine needs that is missing or not an int is KC420", () => {
    // The prelude's code that reads the missing field adds its own KC204.
    expect(codes("struct task_struct { int pid; int state; int signal; };\nprocess p { }")).toContain(
      "KC420",
    );
    expect(
      codes("struct task_struct { int pid; char state; int signal; int blocked; };\nprocess p { }"),
    ).toEqual(["KC420"]);
  });
});

describe("init blocks", () => {
  const queue = [
    "struct msg { int type; struct msg *next; };",
    "pool struct msg[3];",
    "struct msg *head;",
    "int total;",
    "void push(int t) { struct msg *m = kmalloc(sizeof(struct msg)); m->type = t; m->next = head; head = m; }",
    "init { for (int i = 1; i <= 2; i++) push(i); }",
    "init { total = head->type + head->next->type; }",
    "process reader { struct msg *m = head; head = m->next; total = total - m->type; kfree(m); }",
  ];

  it("run in source order before any process, may call functions and kmalloc, and are no step of a trace", () => {
    const sys = system([...queue, "final left: total == 1 && head->type == 1;", "expect holds;"].join("\n"));
    const o = explore(sys, { keepGoing: true });
    expect(o.properties.filter((p) => p.status === "violated")).toEqual([]);
    // The reader's four steps are the only transitions: init is part of the initial state.
    expect(o.stats.states).toBe(5);
    const m = sys.initial();
    expect(sys.layout.init).not.toBeNull();
    // init's own block is all zero again once it has run.
    const s = sys.layout.init;
    if (s) expect([...m.subarray(s.base, s.stackEnd)].every((w) => w === 0)).toBe(true);
  });

  it("the compiled step and the reference interpreter build the same initial state", () => {
    const sys = system([...queue, "expect holds;"].join("\n"));
    const p = sys.program;
    const byInterpreter = buildInitialState(p, sys.layout, (m, tb, cur, self, lim, ctx) =>
      interpretStep(p, m, tb, cur, self, lim, ctx),
    );
    expect(byInterpreter).toEqual(sys.initial());
  });

  it("current, choose, await, assume and schedule in init are compile errors", () => {
    expect(codes("int g;\ninit { g = current->pid; }\nprocess p { }")).toEqual(["KC404"]);
    expect(codes("int g;\ninit { g = choose(0, 1); }\nprocess p { }")).toEqual(["KC406"]);
    expect(codes("int g;\ninit { await(g == 1); }\nprocess p { }")).toEqual(["KC406"]);
    expect(codes("int g;\ninit { assume(g == 1); }\nprocess p { }")).toEqual(["KC406"]);
    expect(codes("init { schedule(); }\nprocess p { }")).toEqual(["KC406"]);
    expect(codes("int init;\nvoid init2(void) { init = 1; }\nprocess p { init2(); }")).toEqual([]);
  });

  const fails = (text: string): string => {
    try {
      system(text);
    } catch (e) {
      if (e instanceof InitError) return `${e.diagnostic.code} ${e.diagnostic.message}`;
      throw e;
    }
    return "ok";
  };

  it("an init that faults, fails an assert, waits, chooses or loops is KC421 with where", () => {
    expect(fails("int *p;\ninit { *p = 1; }\nprocess q { }")).toMatch(/^KC421 init fails: null_deref/);
    expect(fails('int g;\ninit { assert(g == 1, "not yet"); }\nprocess q { }')).toMatch(
      /^KC421 init fails: assertion: not yet/,
    );
    expect(fails("int g;\nvoid w(void) { await(g == 1); }\ninit { w(); }\nprocess q { }")).toMatch(
      /^KC421 init blocked/,
    );
    expect(fails("int g;\nint c(void) { return choose(0, 1); }\ninit { g = c(); }\nprocess q { }")).toMatch(
      /^KC421 init chooses/,
    );
    expect(fails("int g;\ninit { for (;;) g++; }\nprocess q { }")).toMatch(
      /^KC421 init fails: infinite_loop/,
    );
    expect(fails("struct wait_queue *q;\ninit { sleep_on(&q); }\nprocess p { }")).toMatch(
      /^KC421 init fails/,
    );
  });
});

describe("init on the command line", () => {
  const io = captureOutput();

  it("an init that faults is an error of the spec: exit 2, file:line:col and the fault, no search", () => {
    const dir = mkdtempSync(join(tmpdir(), "ipcmc-init-"));
    const spec = join(dir, "bad-init.kc");
    writeFileSync(spec, "int *p;\ninit {\n    *p = 1;\n}\nprocess q { }\nexpect holds;\n");
    expect(main(["check", spec, "--no-progress"])).toBe(2);
    expect(io.err).toContain(
      "bad-init.kc:3:5: error KC421: init fails: null_deref: NULL pointer dereference",
    );
    expect(io.err).not.toMatch(/\n\s+at /);
    expect(main(["suite", dir])).toBe(1);
    expect(io.out).toContain("init fails");
  });

  it("a spec with init and a failed assert: the JSON shows the operands, passes the schema and replays", () => {
    const dir = mkdtempSync(join(tmpdir(), "ipcmc-init-"));
    const spec = join(dir, "assert.kc");
    const json = join(dir, "trace.json");
    writeFileSync(
      spec,
      "int a;\nint b;\ninit { a = 3; b = 3; }\nprocess w { b++; assert(a == b); }\nexpect violation assertion;\n",
    );
    expect(main(["check", spec, "--no-progress", "--json", json])).toBe(1);
    expect(io.out).toMatch(/w: assertion failed at \S*assert\.kc:4: a = 3, b = 4\./);
    const data = JSON.parse(readFileSync(json, "utf8"));
    expect(validateJson(data)).toBeNull();
    expect(JSON.stringify(data)).toContain('"operands":[{"name":"a","value":"3"},{"name":"b","value":"4"}]');
    expect(main(["replay", json])).toBe(1);
  });
});

describe("processes as data", () => {
  it("&worker[i] is the task_struct of an instance, and find_task_by_vpid finds live tasks by pid", () => {
    const text = [
      "int seen[3];",
      "int gone;",
      "process worker[2] { seen[self] = (&worker[self])->pid; }",
      "process boss { seen[2] = find_task_by_vpid(1) == &worker[0] || find_task_by_vpid(1) == NULL;",
      "  await(worker[0].pid != 0); gone = find_task_by_vpid(4) == NULL && find_task_by_vpid(0) == NULL; }",
      "final pids: seen[0] == 1 && seen[1] == 2 && seen[2] == 1 && gone == 1;",
      "final me: (&boss)->pid == 3 && (&worker[1])->state == 3;",
      "expect holds;",
    ].join("\n");
    // A task's fields are read through its task_struct; worker[0].f names a local, in properties only.
    expect(codes(text)).toEqual(["KC406"]);
    expect(violated(text.replace("worker[0].pid != 0", "(&worker[0])->pid != 0"))).toEqual([]);
  });

  it("find_task_by_vpid gives NULL for a task that has exited", () => {
    const ok = [
      "int found = -1;",
      "int done;",
      "process a { done = 1; done = 2; }",
      "process b { await(done >= 1); found = find_task_by_vpid(1) == NULL; }",
      "reachable exited_first: found == 1;",
      "reachable not_yet: found == 0;",
      "expect holds;",
    ].join("\n");
    expect(violated(ok)).toEqual([]);
  });

  it("a program that reaps (defines release_task) finds an exited task by pid until its pid word is cleared", () => {
    // A zombie keeps its pid: found after it exited, until release_task clears the word.
    const ok = [
      "int found = -1;",
      "int gone = -1;",
      "void release_task(struct task_struct *p) { p->pid = 0; }",
      "int done;",
      "process a { done = 1; }",
      "process b { await(done == 1); await(find_task_by_vpid(1) == NULL || (&a)->state == TASK_ZOMBIE);",
      "  found = find_task_by_vpid(1) != NULL; release_task(&a); gone = find_task_by_vpid(1) == NULL; }",
      "final zombie_found: found == 1 && gone == 1;",
      "expect holds;",
    ].join("\n");
    expect(violated(ok)).toEqual([]);
    // Without release_task an exited task is not found: the same wait then finds NULL.
    const plain = ok
      .replace(
        "void release_task(struct task_struct *p) { p->pid = 0; }",
        "void reap(struct task_struct *p) { p->pid = 0; }",
      )
      .replace("release_task(&a)", "reap(&a)");
    expect(violated(plain)).toEqual(["zombie_found"]);
  });

  it("properties read a body's locals, also after the process exited, and where it is", () => {
    const text = [
      "int lock;",
      "void enter(void) { atomic { await(lock == 0); lock = 1; } }",
      "process worker[2] {",
      "  int x = 0;",
      "  enter();",
      "  cs: lock = 0;",
      "  x = x + 1;",
      "  x = x + 1;",
      "}",
      "invariant mutex: !(worker[0] at cs && worker[1] at cs);",
      "invariant small: forall i: worker[i].x <= 2;",
      "reachable both_waiting: forall i: worker[i] in enter || worker[i] exited;",
      "reachable one_in_cs: exists i: worker[i] at cs;",
      "final counted: forall i: worker[i].x == 2 && worker[i] exited;",
      "reachable in_cs: exists i: worker[i] at cs && worker[i].x == 0;",
      "expect holds;",
    ].join("\n");
    expect(violated(text)).toEqual([]);
    expect(violated(text.replace("<= 2", "<= 1"))).toEqual(["small"]);
  });

  it("misuse is a diagnostic", () => {
    const base =
      "int g;\nvoid f(void) { int y = 1; g = y; }\nprocess worker[2] { int x = 1; L: g = x; f(); }\n";
    expect(codes(`${base}invariant a: worker[0].y == 1;`)).toEqual(["KC204"]);
    expect(codes(`${base}invariant a: worker[2].x == 1;`)).toEqual(["KC422"]);
    expect(codes(`${base}invariant a: worker.x == 1;`)).toEqual(["KC422"]);
    expect(codes(`${base}invariant a: forall i: g == i;`)).toEqual(["KC422"]);
    expect(codes(`${base}invariant a: worker[0] at M;`)).toEqual(["KC207"]);
    expect(codes(`${base}invariant a: worker[0] in nof;`)).toEqual(["KC205"]);
    expect(codes(`${base}invariant a: forall i: zzz[i] == 1;`).sort()).toEqual(["KC201", "KC422"]);
    expect(codes(`${base}invariant a: exists i: worker[i].x == zzz;`)).toEqual(["KC201"]);
    expect(codes(`${base}process p { g = worker[0].x; }`)).toEqual(["KC406"]);
    // A label of a statement that touches only locals: it becomes a place the task rests at.
    expect(codes("int g;\nprocess w { int x = 0; L: x = 1; g = x; }\ninvariant a: w at L;")).toEqual([]);
    expect(codes(`${base}invariant a: worker[0] at L;`)).toEqual([]);
  });
});

describe("a failed check shows the values it read", () => {
  const trace = (text: string, property: string) => {
    const r = loadProgram("w.kc", {}, text);
    if (!r.ok) throw new Error("compile");
    const sys = new System(r.program);
    const o = explore(sys, { keepGoing: true });
    const p = o.properties.find((x) => x.name === property);
    if (!p?.counterexample) throw new Error(`${property} holds`);
    const t = buildTrace(sys, r.sources, p.counterexample.choices, undefined, property).trace;
    return { p, t, text: explain(p, t) };
  };

  it("assert(a == b) failing says a = 3, b = 4, read in the frame that ran it", () => {
    const text = [
      "struct sem { int count; };",
      "struct sem s = { 3 };",
      'void check(struct sem *p, int b) { assert(p->count == b && s.count >= 0, "count"); }',
      "process w { int b = 4; check(&s, b); }",
    ].join("\n");
    const { t, text: why } = trace(text, "assertion");
    expect(t.steps[t.steps.length - 1]?.fault?.operands).toEqual([
      { name: "p->count", value: "3" },
      { name: "b", value: "4" },
      { name: "s.count", value: "3" },
    ]);
    expect(why).toMatch(/count at w\.kc:3: p->count = 3, b = 4, s\.count = 3\.$/);
  });

  it("a violated invariant shows the values of the variables it reads, also a process's locals", () => {
    const text = [
      "int holders;",
      "struct wait_queue *q;",
      "process worker[2] { int mine = 0; holders++; mine = 1; holders--; }",
      "invariant one: holders <= 1 || q != NULL || worker[0].mine > 1;",
    ].join("\n");
    const { t, text: why } = trace(text, "one");
    expect(t.operands).toEqual([
      { name: "holders", value: "2" },
      { name: "q", value: "NULL" },
      { name: "worker[0].mine", value: "0" },
    ]);
    expect(why).toContain(": holders = 2, q = NULL, worker[0].mine = 0.");
  });
});

describe("hostile specs", () => {
  it("nested quantifiers that would expand past 4096 cases are KC422, not a hang", () => {
    const text = "process w[100] { int x = 1; }\ninvariant a: forall i: forall j: w[i].x >= w[j].x;";
    expect(codes(text)).toEqual(["KC422"]);
  });

  it("find_task_by_vpid over thousands of tasks compiles to a shallow expression", () => {
    const started = performance.now();
    const sys = system(
      "int found;\nprocess w[3000] { if (find_task_by_vpid(3000 - self) != NULL) found = 1; }",
    );
    expect(sys.layout.procs).toHaveLength(3000);
    expect(performance.now() - started).toBeLessThan(20_000);
  });
});

describe("a local that a property reads is seen at every value", () => {
  it("its stores are steps of their own, so an invariant over it sees the value in between", () => {
    const text = "int g;\nprocess w { int x = 0; x = 5; x = 0; g = 1; }\ninvariant never5: w.x != 5;";
    expect(violated(text)).toEqual(["never5"]);
  });
});

describe("find_task_by_vpid of a value a call returns", () => {
  it("reads the pid once and leaves no temporary behind", () => {
    const text = [
      "int n;",
      "int next_pid(void) { n++; return n; }",
      "struct task_struct *t1; struct task_struct *t2;",
      "process a { t1 = find_task_by_vpid(next_pid()); t2 = find_task_by_vpid(next_pid() + 5); }",
      "final found: t1 == &a && t2 == NULL && n == 2;",
      "expect holds;",
    ].join("\n");
    expect(violated(text)).toEqual([]);
  });
});
