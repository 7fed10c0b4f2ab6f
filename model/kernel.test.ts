// The kernel primitives keep Linux's sleeping rules (linux-ipc-semantics.md section 7).
import { describe, expect, it } from "vitest";
import { explore } from "../checker/explore";
import { System } from "../checker/system";
import { formatDiagnostic } from "./diagnostics";
import { loadProgram } from "./load";

function violated(text: string): string[] {
  const r = loadProgram("k.kc", {}, text);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  const o = explore(new System(r.program), { keepGoing: true });
  expect(o.verdict).not.toBe("inconclusive");
  return o.properties.filter((p) => p.status === "violated").map((p) => p.name);
}

const waker = "process waker { cond = 1; wake_up(&q); }";
const globals = "struct wait_queue *q;\nint cond;\n";

describe("sleeping and waking", () => {
  it("sleep_on tests and queues in separate steps: its wake-up can be lost", () => {
    const sleeper = "process sleeper { if (!cond) sleep_on(&q); }";
    expect(violated(`${globals}${sleeper}\n${waker}\n`)).toEqual(
      expect.arrayContaining(["deadlock", "stuck_waiter"]),
    );
  });

  it("with cli() around the test, sleep_on cannot lose the wake-up (2.0, uniprocessor)", () => {
    const sleeper = "process sleeper { cli(); if (!cond) sleep_on(&q); sti(); }";
    expect(violated(`${globals}${sleeper}\n${waker}\n`)).toEqual([]);
  });

  it("prepare_to_wait before the test: a wake-up before schedule() is not lost", () => {
    const sleeper = [
      "process sleeper {",
      "  struct wait_queue w = { current, NULL };",
      "  prepare_to_wait(&q, &w, TASK_UNINTERRUPTIBLE);",
      "  if (!cond) schedule();",
      "  finish_wait(&q, &w);",
      "}",
    ].join("\n");
    expect(violated(`${globals}${sleeper}\n${waker}\nreachable slept: q != NULL;\n`)).toEqual([]);
  });

  it("setting the state after queueing, the classic wrong order, loses it", () => {
    const sleeper = [
      "process sleeper {",
      "  struct wait_queue w = { current, NULL };",
      "  add_wait_queue(&q, &w);",
      "  if (!cond) { current->state = TASK_UNINTERRUPTIBLE; schedule(); }",
      "  current->state = TASK_RUNNING;",
      "  remove_wait_queue(&q, &w);",
      "}",
    ].join("\n");
    expect(violated(`${globals}${sleeper}\n${waker}\n`)).toContain("stuck_waiter");
  });

  it("wake_up_interruptible does not wake an uninterruptible sleeper", () => {
    const sleeper = "process sleeper { cli(); if (!cond) sleep_on(&q); sti(); }";
    const w = "process waker { cond = 1; wake_up_interruptible(&q); }";
    expect(violated(`${globals}${sleeper}\n${w}\n`)).toContain("stuck_waiter");
  });

  it("a pending signal wakes an interruptible sleeper", () => {
    const sleeper = "process sleeper { cli(); if (!cond) interruptible_sleep_on(&q); sti(); }";
    // Only signal once the sleeper is on the queue (its entry names its task).
    const guarded = "process sender { await(q != NULL); send_sig(2, q->task, 0); }";
    expect(violated(`${globals}${sleeper}\n${guarded}\n`)).toEqual([]);
  });

  it("an interrupt handler may wake a sleeper whenever interrupts are on", () => {
    const sleeper = "process sleeper { cli(); if (!cond) sleep_on(&q); sti(); }";
    const irq = "interrupt dev { assume(cond == 0); cond = 1; wake_up(&q); }";
    expect(violated(`${globals}${sleeper}\n${irq}\nfinal woke: cond == 1;\n`)).toEqual([]);
  });
});

describe("modern wait queues", () => {
  const head = "wait_queue_head_t q;\nint cond;\nint woken;\n";

  it("wait_event sleeps until its condition holds and loses no wake-up", () => {
    const sleeper = "process sleeper { wait_event(q, cond == 1); woken = 1; }";
    const waker = "process waker { cond = 1; wake_up(&q); }";
    expect(
      violated(`${head}${sleeper}\n${waker}\nfinal done: woken == 1;\nreachable slept: q != NULL;\n`),
    ).toEqual([]);
  });

  it("wait_event with a waker that forgets wake_up: the sleeper is stuck", () => {
    const sleeper = "process sleeper { wait_event(q, cond == 1); woken = 1; }";
    const waker = "process waker { cond = 1; }";
    expect(violated(`${head}${sleeper}\n${waker}\n`)).toContain("stuck_waiter");
  });

  it("wake_up wakes one exclusive waiter, wake_up_all wakes every one", () => {
    const sleepers = [
      "process sleeper[2] {",
      "  wait_queue_entry_t w; init_wait(&w);",
      "  prepare_to_wait_exclusive(&q, &w, TASK_UNINTERRUPTIBLE);",
      "  if (cond == 0) schedule();",
      "  finish_wait(&q, &w);",
      "  woken++;",
      "}",
    ].join("\n");
    // Both queued before the single wake_up: exactly one of them can be woken by it.
    const one = "process waker { await(q != NULL && q->next != NULL); cond = 1; wake_up(&q); }";
    const all = "process waker { await(q != NULL && q->next != NULL); cond = 1; wake_up_all(&q); }";
    expect(violated(`${head}${sleepers}\n${one}\n`)).toContain("stuck_waiter");
    expect(violated(`${head}${sleepers}\n${all}\nfinal both: woken == 2;\n`)).toEqual([]);
  });

  it("wait_event_interruptible returns -ERESTARTSYS when a signal cuts the wait", () => {
    const sleeper = "int ret;\nprocess sleeper { ret = wait_event_interruptible(q, cond == 1); }";
    const signaller = "process signaller { await(q != NULL); send_sig(2, q->task, 0); }";
    const text = `${head}${sleeper}\n${signaller}\nfinal interrupted: ret == -ERESTARTSYS;\nreachable slept: q != NULL;\n`;
    expect(violated(text)).toEqual([]);
  });
});
