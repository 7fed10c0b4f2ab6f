// Runs a program's init blocks: the initial state is built by code before any process starts,
// and is not part of any trace (replay recomputes it, as every search does).
import type { Span } from "../model/ast";
import type { Diagnostic } from "../model/diagnostics";
import type { Lowered } from "../model/ir";
import { initialState, type Layout, startTask, T_PC } from "../model/layout";
import { BLOCKED, FAULT, MOVED, NEED_CHOICE, PRUNED, StepContext, type StepFn } from "./compile";

/**
 * init could not build the initial state: it faulted, failed an assert, blocked or chose. The
 * spec has no meaningful search then, so this is an error of the spec (exit 2), not a verdict.
 */
export class InitError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}

/**
 * The initial state: globals as initialised and every task at the start of its body, then the
 * init blocks run to completion on `step` (the compiled step function, or the reference
 * interpreter with the same signature). init runs as one atomic step with no `current`, bounded
 * by the step budget of compile.ts (an endless init faults, it does not hang). Throws InitError
 * when init does not finish.
 */
export function buildInitialState(p: Lowered, layout: Layout, step: StepFn): Int32Array {
  const m = initialState(p, layout);
  const s = layout.init;
  if (!s) return m;
  startTask(p, m, s);
  const ctx = new StepContext();
  const r = step(m, s.base, 0, 0, s.stackEnd, ctx);
  const unit = p.units[s.unit];
  const span = (pc: number): Span | null => p.sites[p.code[pc]?.at ?? -1]?.span ?? unit?.span ?? null;
  const fail = (message: string, at: Span | null): never => {
    throw new InitError({ code: "KC421", span: at, message });
  };
  const blocked =
    "init blocked (an await, a sleep or a spin lock in a function it calls): nothing runs before init ends";
  // init runs with no task, as a handler does: the step reports its waits in a handler's words.
  if (r === FAULT && (ctx.faultKind === "interrupt_blocks" || ctx.faultKind === "schedule_in_interrupt"))
    fail(blocked, ctx.faultSpan ?? span(ctx.faultPc));
  if (r === FAULT)
    fail(`init fails: ${ctx.faultKind}: ${ctx.faultMessage}`, ctx.faultSpan ?? span(ctx.faultPc));
  if (r === NEED_CHOICE)
    fail("init chooses a value (in a function it calls): init must be deterministic", span(-1));
  if (r === PRUNED)
    fail("an assume fails in init (in a function it calls): there is no initial state", span(-1));
  // Running atomically, init stops short of its end only where it waits.
  if (r === BLOCKED || (r === MOVED && m[s.base + T_PC] !== 0)) fail(blocked, span(m[s.base + T_PC] ?? 0));
  return m;
}
