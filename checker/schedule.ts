// The uniprocessor, non-preemptive execution model (Linux 2.0): who may take the next step when
// a task holds the CPU. System.expand applies it before its SMP rules; the reference explorer of
// laws.test.ts restates it from this comment.
//
// The rule, in full:
// - A process body is user space; a call from the body to a function is a system call, and the
//   task is in the kernel until that call returns to the body. The call starts a step of its own
//   (model/elaborate.ts computeGroups), so the state before it is one where any task may run.
// - Every process step ends by writing the CPU word (Lowered.cpuWord): the task's block address
//   when the step stops inside a function anywhere but at schedule() or before an await (outside
//   atomic and cli) whose condition is false there, else 0: such a task sleeps, and a handler
//   that later makes the condition true makes it runnable, not the CPU's holder. Handler steps
//   leave the word alone: an interrupt returns to the task it interrupted.
// - CPU word 0: the SMP rules apply (any runnable task may run; atomic and cli run alone).
// - CPU word = a task (the holder): the holder takes the next step, and while it is neither in
//   atomic nor has interrupts off, so may every interrupt handler. No other task runs: one woken
//   meanwhile is runnable and waits until the holder sleeps or returns to user space.
// - A holder that cannot move: blocked in `await` outside atomic and cli, it sleeps and the CPU
//   is free (the SMP rules apply); spinning in an await inside atomic (a spin lock), only
//   handlers may run (interrupts are on); blocked with interrupts off, nothing runs: a lockup,
//   reported as a deadlock, as in the SMP model.
import { T_ATOMIC, T_IRQOFF } from "../model/layout";
import type { System } from "./system";

/** How a holder that cannot move leaves the CPU (see the header). */
export const HOLDER_SLEEPS = 0;
export const HOLDER_SPINS = 1;
export const HOLDER_LOCKS_UP = 2;

/** What a CPU holder at `base` that cannot move does with the CPU. */
export function blockedHolder(src: Int32Array, base: number): number {
  if (src[base + T_IRQOFF] !== 0) return HOLDER_LOCKS_UP;
  if (src[base + T_ATOMIC] !== 0) return HOLDER_SPINS;
  return HOLDER_SLEEPS;
}

/** Whether interrupt handlers may run while the holder at `base` can move: not in atomic or cli. */
export function holderTakesInterrupts(src: Int32Array, base: number): boolean {
  return (src[base + T_ATOMIC]! | src[base + T_IRQOFF]!) === 0;
}

/**
 * The deadlock message of a state with no step in the up model where the CPU holder waits
 * without sleeping (spinning in atomic, or with interrupts off); null for any other deadlock.
 */
export function lockupMessage(sys: System, m: Int32Array): string | null {
  const base = sys.cpuWord < 0 ? 0 : (m[sys.cpuWord] as number);
  if (base === 0 || blockedHolder(m, base) === HOLDER_SLEEPS) return null;
  const who = sys.layout.procs.find((s) => s.base === base)?.label ?? "a task";
  const how = m[base + T_IRQOFF] !== 0 ? "with interrupts off" : "spinning inside atomic";
  return `${who} holds the CPU and waits in the kernel ${how}, without sleeping: on one CPU nothing else runs to let it on, a lockup`;
}
