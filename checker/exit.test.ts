// A process that ends: from any depth with do_task_dead (kernel/sched/core.c), and through the
// library's do_exit when its body ends, as a program's exit() does (model/elaborate.ts).
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../model/diagnostics";
import { loadProgram } from "../model/load";
import { explore } from "./explore";
import { System } from "./system";

function outcome(text: string) {
  const r = loadProgram("exit.kc", {}, text);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  const o = explore(new System(r.program), { keepGoing: true });
  return Object.fromEntries(o.properties.map((p) => [p.name, p.counterexample?.message ?? p.status]));
}

describe("process exit", () => {
  it("do_task_dead ends the process from inside calls; a body's end runs do_exit", () => {
    const src = `#include <linux/sched.h>
int hooks;
void do_exit(long code) { hooks++; do_task_dead(); }
int f(void) { int local = 3; do_exit(1); return local; }
process p { int x = 1; x = f(); x = 2; }
process q { }
final both: hooks == 2 && p.x == 1;
reachable first: p exited && hooks == 1;
`;
    expect(outcome(src)).toMatchObject({ both: "holds", first: "holds", runtime_error: "holds" });
  });

  it("without a do_exit, a body's end is the machine's exit, as before", () => {
    const src = "int n;\nprocess p { n = 1; }\nfinal done: n == 1 && p exited;\n";
    expect(outcome(src)).toMatchObject({ done: "holds" });
  });

  it("a killable sleeper that SIGKILL wakes leaves through do_exit, its hooks run once", () => {
    const src = `#include <linux/wait.h>
DECLARE_WAIT_QUEUE_HEAD(wq);
int cond, hooks, after;
void do_exit(long code) { hooks++; do_task_dead(); }
process victim { int r = wait_event_killable(wq, cond); if (r == -ERESTARTSYS) do_exit(9); after = 1; }
process killer { send_sig(SIGKILL, &victim, 1); }
final hooks_ran: hooks == 2;
final never_after: after == 0;
`;
    expect(outcome(src)).toMatchObject({ hooks_ran: "holds", never_after: "holds", stuck_waiter: "holds" });
  });

  it("dying inside atomic or with interrupts off is the kernel's 'scheduling while atomic'", () => {
    const src = `#include <linux/spinlock.h>
DEFINE_SPINLOCK(l);
void do_exit(long code) { do_task_dead(); }
process p { spin_lock_irq(&l); do_exit(1); }
`;
    expect(outcome(src).runtime_error).toBe(
      "BUG: scheduling while atomic: the task ends (do_task_dead) inside atomic or with interrupts off",
    );
    expect(
      outcome(
        "int n;\nvoid do_exit(long c) { do_task_dead(); }\nprocess p { atomic { n = 1; do_exit(0); } }\n",
      ).runtime_error,
    ).toMatch(/^BUG: scheduling while atomic/);
  });

  it("do_task_dead where no task runs is a fault", () => {
    const src = `#include <linux/sched.h>
int n;
interrupt irq { assume(n == 0); n = 1; do_task_dead(); }
process p { }
`;
    expect(outcome(src).runtime_error).toBe(
      "do_task_dead() called where no task runs (an interrupt handler)",
    );
  });
});
