// The world at the start and processes as data (issue 8): a program's own task_struct, init
// blocks, naming another process's task, and properties over processes.
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../model/diagnostics";
import { loadProgram } from "../model/load";
import { explore } from "./explore";
import { System } from "./system";

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
