// The kernel headers keep the kernel's rules (docs/kernel-api-facts.md): small programs over each
// primitive, checked with the explorer, and for the [SC] races of the fact sheet's catalogue a
// buggy variant the explorer finds. Also the loader's rules for <...> includes and replacements,
// and that docs/kernel-api.md is what `npm run docs:api` would write.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { explore } from "../../checker/explore";
import { System } from "../../checker/system";
import { formatDiagnostic } from "../diagnostics";
import { linux20Header } from "../kernel";
import { parseHeader, renderKernelApi } from "../kernelApiDoc";
import { loadProgram } from "../load";
import { PRELUDE_FILES } from "../preludeFiles";

function load(text: string, files: Record<string, string> = {}) {
  return loadProgram("/spec/k.kc", { readFile: (p) => files[p] ?? null }, text);
}

function violated(text: string): string[] {
  const r = load(text);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  const o = explore(new System(r.program), { keepGoing: true, maxStates: 500_000 });
  expect(o.verdict).not.toBe("inconclusive");
  return o.properties.filter((p) => p.status === "violated").map((p) => p.name);
}

function errors(text: string, files: Record<string, string> = {}): string[] {
  const r = load(text, files);
  return r.ok ? [] : r.diagnostics.map((d) => `${d.code}: ${d.message}`);
}

describe("the reference page", () => {
  it("docs/kernel-api.md is current (npm run docs:api)", () => {
    const page = readFileSync(new URL("../../docs/kernel-api.md", import.meta.url), "utf8");
    expect(page).toBe(renderKernelApi(PRELUDE_FILES));
  });

  it("every definition in a header is documented with /// (or is a helper with a // comment)", () => {
    for (const [path, text] of PRELUDE_FILES) {
      if (path.startsWith("kc-")) continue;
      const h = parseHeader(path, text);
      expect({ path, undocumented: h.undocumented }).toEqual({ path, undocumented: [] });
      for (const e of h.entries)
        expect(e.kernelFile, `${path}:${e.line}`).toMatch(/^(include|kernel|mm|arch|Documentation)\//);
    }
  });
});

describe("which prelude a spec gets", () => {
  it("a spec with no #include <...> gets the legacy prelude, <...> the kernel headers", () => {
    expect(errors("struct wait_queue *q;\nprocess p { wake_up(&q); }\n")).toEqual([]);
    expect(errors("#include <linux/wait.h>\nstruct wait_queue *q;\nprocess p { wake_up(&q); }\n")[0]).toMatch(
      /^KC/,
    );
    expect(
      errors("#include <linux/wait.h>\nDECLARE_WAIT_QUEUE_HEAD(q);\nprocess p { wake_up(&q); }\n"),
    ).toEqual([]);
  });

  it("<...> names only the bundled headers: an -I or spec directory never shadows one", () => {
    const files = { "/spec/linux/wait.h": "int shadow;", "/spec/linux/wait.h.kc": "int shadow;" };
    const r = load("#include <linux/wait.h>\nprocess p { shadow = 1; }\n", files);
    expect(r.ok).toBe(false);
    expect(errors("#include <linux/nosuch.h>\nprocess p { }\n", files)).toEqual([
      "KC501: KC's prelude has no kernel header <linux/nosuch.h> (docs/kernel-api.md lists them)",
    ]);
    expect(errors("#include <kc-legacy.h>\nprocess p { }\n")[0]).toMatch(/^KC501/);
  });

  it("a kernel header included only from an included file is refused, not mixed with the legacy prelude", () => {
    const files = { "/spec/lib.kc": "#include <linux/list.h>\n" };
    expect(errors('#include "lib.kc"\nprocess p { }\n', files)[0]).toMatch(
      /^KC503: <linux\/list.h> is a kernel header/,
    );
  });

  it("a spec's definition of a prelude function replaces it, listed; a second one is KC202", () => {
    const spec =
      "#include <linux/sched.h>\nint wake_up_process(struct task_struct *p) { return 7; }\nint r;\nprocess p { r = wake_up_process(current); }\n";
    const r = load(spec);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.program.replaced.map((x) => x.name)).toEqual(["wake_up_process"]);
    expect(errors(`${spec}int wake_up_process(struct task_struct *p) { return 8; }\n`)[0]).toMatch(/^KC202/);
    expect(errors("#include <linux/sched.h>\nvoid wake_up_process(int x) { }\nprocess p { }\n")[0]).toMatch(
      /^KC202/,
    );
  });
});

describe("the Linux 2.0 era header", () => {
  it("<linux-2.0/sched.h> is the legacy prelude's 2.0 part: a 2.0 spec explores the same states either way", () => {
    const spec = readFileSync(new URL("../../specs/ksem/down-up.bug-sleep-on.kc", import.meta.url), "utf8");
    const count = (text: string): number => {
      const r = load(text);
      if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
      return explore(new System(r.program), { keepGoing: true }).stats.states;
    };
    expect(count(`#include <linux-2.0/sched.h>\n${spec}`)).toBe(count(spec));
    // Its lines keep their legacy numbers, so traces read the same.
    const header = linux20Header().split("\n");
    const legacy = (PRELUDE_FILES.get("kc-legacy.h") ?? "").split("\n");
    header.forEach((l, i) => {
      if (l !== "") expect(l).toBe(legacy[i]);
    });
    expect(header.join("\n")).toContain("void sleep_on(struct wait_queue **p)");
  });
});

const inc = (...hs: string[]): string => hs.map((h) => `#include <linux/${h}.h>\n`).join("");

describe("kernel rules", () => {
  it("a spin lock keeps two tasks out of its section; without it the section races", () => {
    const body = (lock: boolean) =>
      `${inc("spinlock")}DEFINE_SPINLOCK(l);\nint in;\nprocess p[2] { ${lock ? "spin_lock(&l);" : ""} in++; in--; ${lock ? "spin_unlock(&l);" : ""} }\ninvariant excl: in <= 1;\n`;
    expect(violated(body(true))).toEqual([]);
    expect(violated(body(false))).toContain("excl");
  });

  it("list_add_tail under the lock keeps the list consistent; without the lock two adds lose one", () => {
    const body = (lock: boolean) =>
      `${inc("list", "spinlock")}LIST_HEAD(h);\nDEFINE_SPINLOCK(l);\nstruct list_head e[2];\nprocess p[2] { ${lock ? "spin_lock(&l);" : ""} list_add_tail(&e[self], &h); ${lock ? "spin_unlock(&l);" : ""} }\nfinal both: h.next->next->next == &h && h.prev->prev->prev == &h;\n`;
    expect(violated(body(true))).toEqual([]);
    expect(violated(body(false))).toContain("both");
  });

  it("a second list_del of an entry is a fault (the kernel's poison oops)", () => {
    expect(
      violated(
        `${inc("list")}LIST_HEAD(h);\nstruct list_head e;\nprocess p { list_add(&e, &h); list_del(&e); list_del(&e); }\n`,
      ),
    ).toContain("runtime_error");
  });

  it("atomic_inc is one step; a plain counter++ written as load and store is not", () => {
    const body = (op: string) =>
      `${inc("atomic")}atomic_t n;\nprocess p[2] { ${op} }\nfinal two: atomic_read(&n) == 2;\n`;
    expect(violated(body("atomic_inc(&n);"))).toEqual([]);
    expect(violated(body("int v = atomic_read(&n); atomic_set(&n, v + 1);"))).toContain("two");
  });

  it("a mutex excludes, and freeing its object right after another task's unlock is a use after free (M1)", () => {
    const pipe = (fixed: boolean) => `${inc("mutex", "spinlock")}
struct pipe { struct mutex mutex; int files; };
pool struct pipe[1];
DEFINE_SPINLOCK(i_lock);
struct pipe *pp;
int ready;
int in;
// fs/pipe.c pipe_release: before b0d8d2292160 it dropped i_lock, then the pipe mutex, then
// freed; the fix drops the pipe mutex before the files count goes down.
void pipe_release(struct pipe *pipe) {
    int kill;
    mutex_lock(&pipe->mutex);
    in++; in--;
    ${fixed ? "mutex_unlock(&pipe->mutex);" : ""}
    spin_lock(&i_lock);
    kill = --pipe->files == 0;
    spin_unlock(&i_lock);
    ${fixed ? "" : "mutex_unlock(&pipe->mutex);"}
    if (kill) kfree(pipe);
}
process closer[2] {
    if (self == 0) {
        struct pipe *p = kmalloc(sizeof(struct pipe), GFP_KERNEL);
        mutex_init(&p->mutex);
        p->files = 2;
        pp = p;
        ready = 1;
    }
    await(ready);
    pipe_release(pp);
}
invariant excl: in <= 1;
`;
    expect(violated(pipe(false))).toEqual(["runtime_error"]);
    expect(violated(pipe(true))).toEqual([]);
  });

  it("a handoff to a waiter that left on a signal leaves the mutex free, not half handed over", () => {
    // kernel/locking/mutex.c __mutex_handoff: PICKUP only for a task; the owner word keeps WAITERS.
    const text = `${inc("mutex")}DEFINE_MUTEX(m);
int got;
process a { mutex_lock(&m); mutex_unlock(&m); mutex_lock(&m); got = mutex_trylock(&m); mutex_unlock(&m); }
process w2 { if (mutex_lock_interruptible(&m) == 0) mutex_unlock(&m); }
process killer { send_sig(2, &w2[0], 0); }
invariant trylock_of_own_mutex_fails: got == 0;
`;
    expect(violated(text)).toEqual([]);
  });

  it("schedule() in TASK_KILLABLE returns at once when SIGKILL is already pending (signal_pending_state)", () => {
    const text = `${inc("sched")}int sent;\nint returned;
void nap(void) { set_current_state(TASK_KILLABLE); schedule(); __set_current_state(TASK_RUNNING); returned = 1; }
process victim { await(sent); nap(); }
process killer { send_sig(SIGKILL, &victim[0], 0); sent = 1; }
final victim_returned: returned == 1;\n`;
    expect(violated(text)).toEqual([]);
  });

  it("complete() wakes exactly one waiter, complete_all() every one", () => {
    const body = (calls: string, expectWoken: number) =>
      `${inc("completion")}DECLARE_COMPLETION(c);\nint woke;\nprocess w[2] { wait_for_completion(&c); woke++; }\nprocess k { ${calls} }\nfinal woken: woke == ${expectWoken};\n`;
    expect(violated(body("complete(&c);", 1))).toEqual(expect.arrayContaining(["stuck_waiter"]));
    expect(violated(body("complete_all(&c);", 2))).toEqual([]);
  });

  it("a timed sleep nobody wakes ends when its timer expires, at any moment of the sleep (smp and up)", () => {
    // The hostile review's case: the timer must wake the sleeper (kernel/time/timer.c
    // process_timeout), and others may run while it sleeps, on one CPU too.
    const body = (model: string) => `${inc("sched")}int started;
int flag;
int r = -1;
void nap_then_look(void) { started = 1; r = schedule_timeout_uninterruptible(5) == 0 ? flag : -2; }
process poller { nap_then_look(); }
process setter { await(started); flag = 1; }
reachable setter_ran_during_the_nap: r == 1;
reachable looked_before_setter: r == 0;
final returned_zero: r == 0 || r == 1;
model ${model};
`;
    expect(violated(body("smp"))).toEqual([]);
    expect(violated(body("uniprocessor"))).toEqual([]);
  });

  it("wait_event_interruptible returns -ERESTARTSYS on a signal, 0 when the condition came", () => {
    const body = `${inc("wait", "errno")}DECLARE_WAIT_QUEUE_HEAD(q);
int cond;
int r = 1;
struct task_struct *t;
process sleeper { t = current; r = wait_event_interruptible(q, cond != 0); }
process killer { await(t != NULL); send_sig(2, t, 0); }
final result: r == 0 || (r == -ERESTARTSYS && cond == 0);
reachable signalled: r == -ERESTARTSYS;
`;
    expect(violated(body)).toEqual([]);
  });

  it("testing the condition before queueing loses the wake-up (W4); wait_event does not", () => {
    const good = `${inc("wait")}DECLARE_WAIT_QUEUE_HEAD(q);\nint cond;\nprocess s { wait_event(q, cond != 0); }\nprocess w { cond = 1; wake_up(&q); }\n`;
    const bad = `${inc("wait")}DECLARE_WAIT_QUEUE_HEAD(q);\nint cond;\nprocess s { DEFINE_WAIT(w); if (!cond) { prepare_to_wait(&q, &w, TASK_UNINTERRUPTIBLE); schedule(); } finish_wait(&q, &w); }\nprocess w { cond = 1; wake_up(&q); }\n`;
    expect(violated(good)).toEqual([]);
    expect(violated(bad)).toContain("stuck_waiter");
  });

  it("wake_up_interruptible leaves an uninterruptible sleeper asleep (W5)", () => {
    const body = `${inc("wait")}DECLARE_WAIT_QUEUE_HEAD(q);\nint cond;\nprocess s { wait_event(q, cond != 0); }\nprocess w { cond = 1; wake_up_interruptible(&q); }\n`;
    expect(violated(body)).toContain("stuck_waiter");
  });

  it("list_for_each_entry walks the entries and leaves pos at the head (NULL) after the last", () => {
    const body = `${inc("list")}struct item { int v; struct list_head node; };
struct item a = { 1, { NULL, NULL } };
struct item b = { 2, { NULL, NULL } };
LIST_HEAD(h);
int sum;
int ended;
process p {
    struct item *pos;
    struct item *n;
    list_add_tail(&a.node, &h);
    list_add_tail(&b.node, &h);
    list_for_each_entry(pos, &h, node) sum += pos->v;
    ended = list_entry_is_head(pos, &h, node);
    list_for_each_entry_safe(pos, n, &h, node) { list_del(&pos->node); sum += 10 * pos->v; }
    ended += list_first_entry_or_null(&h, struct item, node) == NULL;
}
final walked: sum == 33 && ended == 2 && h.next == &h;
`;
    expect(violated(body)).toEqual([]);
    // The kernel's list_first_entry of an empty list is an entry around the head: C has no such pointer.
    expect(
      violated(
        `${inc("list")}struct item { int v; struct list_head node; };\nLIST_HEAD(h);\nstruct item *e;\nprocess p { e = list_first_entry(&h, struct item, node); }\n`,
      ),
    ).toEqual(["runtime_error"]);
  });

  it("__wake_up_common calls each entry's own wake function through its pointer", () => {
    const body = `${inc("wait")}DECLARE_WAIT_QUEUE_HEAD(q);
int calls;
int mine(wait_queue_entry_t *e, unsigned int mode, int flags, void *key) { calls++; return 0; }
process p {
    wait_queue_entry_t w;
    init_waitqueue_func_entry(&w, mine);
    add_wait_queue(&q, &w);
    wake_up(&q);
    wake_up_all(&q);
    remove_wait_queue(&q, &w);
}
final called: calls == 2;
`;
    expect(violated(body)).toEqual([]);
  });

  it("wait_woken with woken_wake_function keeps a wake-up that comes before the sleep; default_wake_function loses it", () => {
    const body = (fn: string) => `${inc("wait")}DECLARE_WAIT_QUEUE_HEAD(q);
int cond;
process s {
    DEFINE_WAIT_FUNC(wait, ${fn});
    add_wait_queue(&q, &wait);
    while (!cond)
        wait_woken(&wait, TASK_UNINTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT);
    remove_wait_queue(&q, &wait);
}
process w { cond = 1; wake_up(&q); }
`;
    expect(violated(body("woken_wake_function"))).toEqual([]);
    expect(violated(body("default_wake_function"))).toContain("stuck_waiter");
  });

  it("a free that does not wait for RCU readers is a use after free; synchronize_rcu, kfree_rcu and call_rcu wait", () => {
    const body = (free: string) => `${inc("rcupdate")}struct foo { int a; struct rcu_head rcu; };
pool struct foo[2];
struct foo *gp;
int seen;
void free_foo(struct rcu_head *head) { kfree(container_of(head, struct foo, rcu)); }
init { gp = kmalloc(sizeof(struct foo), GFP_KERNEL); gp->a = 1; }
process reader {
    rcu_read_lock();
    struct foo *p = rcu_dereference(gp);
    seen = p->a;
    rcu_read_unlock();
}
process updater {
    struct foo *n = kmalloc(sizeof(struct foo), GFP_KERNEL);
    n->a = 2;
    struct foo *old = gp;
    rcu_assign_pointer(gp, n);
    ${free}
}
reachable freed: rcu_state.pending == 0 && updater exited && reader exited;
`;
    expect(violated(body("kfree(old);"))).toEqual(["runtime_error"]);
    expect(violated(body("synchronize_rcu(); kfree(old);"))).toEqual([]);
    expect(violated(body("kfree_rcu(old, rcu);"))).toEqual([]);
    expect(violated(body("call_rcu(&old->rcu, free_foo);"))).toEqual([]);
    // A grace period waits only for readers that were inside a section when it began.
    expect(violated(body('synchronize_rcu(); assert(seen != 0 || gp->a == 2, "x"); kfree(old);'))).toEqual(
      [],
    );
  });

  it("synchronize_rcu inside a read-side section is caught", () => {
    expect(
      violated(`${inc("rcupdate")}process p { rcu_read_lock(); synchronize_rcu(); rcu_read_unlock(); }\n`),
    ).toContain("assertion");
  });

  it("wake_q_add of a task another waker holds queues nothing: a grant stored after it is lost (RW2)", () => {
    const body = (grant: string) => `${inc("sched/wake_q")}int granted;
struct task_struct *t;
process waiter {
    t = current;
    for (;;) {
        set_current_state(TASK_UNINTERRUPTIBLE);
        if (granted)
            break;
        schedule();
    }
    __set_current_state(TASK_RUNNING);
}
process other { await(t != NULL); DEFINE_WAKE_Q(q); wake_q_add(&q, t); wake_up_q(&q); }
process granter { await(t != NULL); DEFINE_WAKE_Q(q); ${grant} wake_up_q(&q); }
`;
    expect(violated(body("wake_q_add(&q, t); granted = 1;"))).toContain("deadlock");
    expect(violated(body("granted = 1; wake_q_add(&q, t);"))).toEqual([]);
  });

  it("kmalloc fails only on an empty pool, or by choice under CONFIG_FAILSLAB unless __GFP_NOFAIL", () => {
    const body = (
      failslab: boolean,
    ) => `${failslab ? "#define CONFIG_FAILSLAB\n" : ""}${inc("slab")}struct foo { int a; };
pool struct foo[2];
struct foo *f;
struct foo *g;
process p { f = kzalloc(sizeof(struct foo), GFP_KERNEL); g = kmalloc(sizeof(*g), GFP_KERNEL | __GFP_NOFAIL); }
reachable failed: p exited && f == NULL;
final nofail: g != NULL;
`;
    expect(violated(body(false))).toEqual(["failed"]);
    expect(violated(body(true))).toEqual([]);
  });

  it("refcount_inc_not_zero on an object a put may free needs RCU; a misused refcount WARNs (an assertion)", () => {
    const body = (
      rcu: boolean,
    ) => `${inc("refcount", "slab", "rcupdate")}struct obj { refcount_t ref; int v; struct rcu_head rcu; };
pool struct obj[1];
struct obj *o;
init { o = kmalloc(sizeof(struct obj), GFP_KERNEL); refcount_set(&o->ref, 2); }
void put(struct obj *p) { if (refcount_dec_and_test(&p->ref)) { ${rcu ? "kfree_rcu(p, rcu);" : "kfree(p);"} } }
struct obj *mine;
init { mine = o; }
process remover { struct obj *p = o; rcu_assign_pointer(o, NULL); put(p); }
process user { put(mine); }
process finder { ${rcu ? "rcu_read_lock();" : ""} struct obj *p = rcu_dereference(o); if (p != NULL && refcount_inc_not_zero(&p->ref)) { p->v = 1; put(p); } ${rcu ? "rcu_read_unlock();" : ""} }
`;
    expect(violated(body(false))).toEqual(["runtime_error"]);
    expect(violated(body(true))).toEqual([]);
    const misuse = (ops: string) =>
      `${inc("refcount")}refcount_t r = REFCOUNT_INIT(1);\nprocess p { ${ops} }\nfinal saturated: r.refs == REFCOUNT_SATURATED;\n`;
    expect(violated(misuse("refcount_dec(&r);"))).toEqual(["assertion"]);
    expect(violated(misuse("refcount_dec_and_test(&r); refcount_inc(&r);"))).toEqual(["assertion"]);
    expect(violated(misuse("refcount_set(&r, REFCOUNT_MAX); refcount_inc(&r);"))).toEqual(["assertion"]);
  });

  it("an rwsem lets readers share and keeps a writer alone; downgrade_write lets readers in", () => {
    const body = `${inc("rwsem")}DECLARE_RWSEM(sem);
int rd;
int wr;
process reader[2] { down_read(&sem); rd++; rd--; up_read(&sem); }
process writer { down_write(&sem); wr++; wr--; downgrade_write(&sem); rd++; rd--; up_read(&sem); }
invariant excl: wr == 0 || rd == 0;
reachable shared: rd == 2;
reachable downgraded: wr == 0 && rd == 2 && writer in up_read;
`;
    expect(violated(body)).toEqual([]);
  });

  it("a killed rwsem waiter leaves the queue and lets the ones behind it in", () => {
    const body = `${inc("rwsem")}DECLARE_RWSEM(sem);
struct task_struct *w;
int r = 1;
int got;
process holder { down_read(&sem); await(w != NULL); send_sig(SIGKILL, w, 0); up_read(&sem); }
process writer { w = current; r = down_write_killable(&sem); if (r == 0) up_write(&sem); }
process reader { await(w != NULL); down_read(&sem); got = 1; up_read(&sem); }
final done: got == 1 && (r == 0 || r == -EINTR);
reachable killed: r == -EINTR;
`;
    expect(violated(body)).toEqual([]);
  });

  it("the semaphore hands its unit over; BUG_ON names its condition", () => {
    const body = `${inc("semaphore", "bug")}DEFINE_SEMAPHORE(s, 0);\nint got;\nprocess d { down(&s); got = 1; }\nprocess u { up(&s); }\nfinal taken: got == 1 && s.count == 0;\n`;
    expect(violated(body)).toEqual([]);
    const r = load(`${inc("bug")}int x;\nprocess p { BUG_ON(x == 0); }\n`);
    expect(r.ok).toBe(true);
    if (r.ok) {
      const o = explore(new System(r.program), {});
      expect(o.properties.find((p) => p.name === "assertion")?.counterexample?.message).toContain(
        "BUG_ON(x == 0)",
      );
    }
  });
});
