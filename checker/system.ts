// The seam between a compiled program and the explorer: initial state, and the successors of a
// state in a fixed order, so that a trace can be a list of choice indices.
import type { Span } from "../model/ast";
import type { Lowered } from "../model/ir";
import {
  asleepInSchedule,
  IRQ_CLI,
  type Layout,
  layoutMachine,
  type Slot,
  schedulePcs,
  startTask,
  T_ATOMIC,
  T_IRQOFF,
  T_PC,
} from "../model/layout";
import {
  BLOCKED,
  type Compiled,
  CUT,
  compileProgram,
  FAULT,
  type FaultKind,
  MOVED,
  NEED_CHOICE,
  PRUNED,
  StepContext,
  type StepFn,
} from "./compile";
import { buildInitialState } from "./init";
import { blockedHolder, HOLDER_LOCKS_UP, HOLDER_SLEEPS, holderTakesInterrupts } from "./schedule";
import { MEMO_MOVED, MEMO_NONE, MEMO_PRUNED, MEMO_RUN, type MemoNode, type StepMemo } from "./stepMemo";

/** What one choice of a state does: which task steps, and the values its `choose` calls got. */
export interface Choice {
  slot: number;
  values: number[];
}

/** A step that ended in a run-time violation (assertion, NULL dereference, ...). */
export interface StepFault {
  kind: FaultKind;
  message: string;
  pc: number;
  span: Span | null;
  /** The word the faulting access was at, where known (replay only; see Fault.address). */
  address?: number;
  /** The frame pointer at the fault (replay only): an assert's operands are read there. */
  fp?: number;
}

/** Receives the successors of a state. `choice` counts successors and faults together, from 0. */
export interface ExpandSink {
  /**
   * `dirty` has a bit set for each component (see System.componentMask) the step may have
   * written; a clear bit means that component equals the parent's.
   */
  successor(next: Int32Array, choice: number, dirty: number): void;
  fault(f: StepFault, choice: number): void;
  /**
   * A successor that a StepMemo remembered (see CollapseStore.stageDelta). Required when
   * expand gets a memo.
   */
  successorMemo?(leaf: MemoNode, choice: number): void;
}

/** Flags returned by `expand` besides the choice count (bit-packed for the hot loop). */
export const EXPAND_PRUNED = 1 << 30;
/** The choice count in the value `expand` returns. */
export const COUNT_MASK = EXPAND_PRUNED - 1;

/** The choose values of a step without choose(); shared, never mutated (NEED_CHOICE copies). */
const NO_VALUES: number[] = [];

/** Largest number of values one `choose` may offer: choice indices are stored in 16 bits. */
export const MAX_CHOICE_SPAN = 4096;

/** A program ready to explore: layout, compiled steps, and the successor relation. */
export class System {
  readonly layout: Layout;
  readonly compiled: Compiled;
  readonly words: number;
  private readonly scratch: Int32Array;
  private readonly ctx = new StepContext();
  /** The choice being tried, for sinks that want to know (replay). */
  currentSlot = 0;
  currentValues: number[] = [];
  private stepFn: StepFn;

  constructor(readonly program: Lowered) {
    this.layout = layoutMachine(program);
    this.words = this.layout.words;
    // Components for dirty tracking: bit 0 the globals, bit c + 1 slot c (all bits when
    // there are too many slots for one int: then every step restores the whole state).
    const slots = this.layout.slots;
    this.componentMask = new Int32Array(this.words);
    if (slots.length <= 30) {
      this.componentMask.fill(1, 0, program.globalWords);
      slots.forEach((sl, c) => {
        this.componentMask.fill(1 << (c + 1), sl.base, sl.stackEnd);
      });
    } else this.componentMask.fill(-1);
    this.ranges = [0, program.globalWords, ...slots.flatMap((sl) => [sl.base, sl.stackEnd])];
    this.ownBit = slots.map((sl) => this.componentMask[sl.base] as number);
    this.compiled = compileProgram(program, this.words, this.componentMask, this.layout);
    this.stepFn = this.compiled.step;
    this.scratch = new Int32Array(this.words);
    this.cpuWord = program.model === "up" ? program.cpuWord : -1;
    this.slotAt = new Map(this.layout.procs.map((sl, i) => [sl.base, i]));
    this.isSchedulePc = schedulePcs(program);
    this.start = buildInitialState(program, this.layout, this.compiled.step);
  }

  /** componentMask[address] = the dirty bit of the component holding that word. */
  readonly componentMask: Int32Array;
  /** [start, end) word ranges of the components, flattened, in bit order. */
  private readonly ranges: number[];
  /** The dirty bit of each slot's own block. */
  private readonly ownBit: number[];

  /** The up model's CPU word (schedule.ts), or -1 in the smp model. */
  readonly cpuWord: number;
  /** Process slot index by task block address: the CPU word names its holder by address. */
  private readonly slotAt: Map<number, number>;

  /** isSchedulePc[pc] = 1 when instruction pc is a schedule() call. */
  private readonly isSchedulePc: Uint8Array;

  /** The initial state, init blocks run (checker/init.ts); a copy each time. */
  initial(): Int32Array {
    return this.start.slice();
  }

  private readonly start: Int32Array;

  /**
   * Calls the sink for every successor of `src` in a fixed order. In the up model, while a task
   * holds the CPU, only it and the interrupt handlers (expandHolder, schedule.ts). Otherwise
   * exclusive tasks (inside
   * atomic or with interrupts off) first and alone if any can move; none at all when one with
   * interrupts off is blocked but not asleep (a lockup); otherwise every process in slot
   * order, then every interrupt handler. Returns the number of choices, or-ed with
   * EXPAND_PRUNED when some step was cut by a failed assume.
   */
  expand(src: Int32Array, sink: ExpandSink, memo: StepMemo | null = null): number {
    const procs = this.layout.procs;
    this.scratch.set(src);
    if (this.cpuWord >= 0 && src[this.cpuWord] !== 0) {
      const r = this.expandHolder(src, sink, memo);
      if (r >= 0) return r;
    }
    let count = 0;
    let pruned = 0;
    let exclusive = false;
    for (let i = 0; i < procs.length; i++) {
      const s = procs[i] as Slot;
      if (src[s.base + T_PC] !== 0 && (src[s.base + T_ATOMIC]! | (src[s.base + T_IRQOFF]! & IRQ_CLI)) !== 0) {
        exclusive = true;
        break;
      }
    }
    if (exclusive) {
      for (let i = 0; i < procs.length; i++) {
        const s = procs[i] as Slot;
        if (src[s.base + T_PC] === 0 || (src[s.base + T_ATOMIC]! | (src[s.base + T_IRQOFF]! & IRQ_CLI)) === 0)
          continue;
        const r = this.tryStep(src, i, sink, count, memo);
        count = r & COUNT_MASK;
        if (r & EXPAND_PRUNED) pruned = EXPAND_PRUNED;
      }
      // A task inside atomic or cli that could run holds the CPU: if its step was cut by a
      // failed assume, the path ends here; nobody else runs in its place.
      if (count > 0 || pruned !== 0) return count | pruned;
      // On one CPU a task with interrupts off gives it up only by sleeping (DESIGN.md): one that
      // waits for a condition with interrupts off (await under cli) is a hard lockup, and no
      // handler or task runs. A blocked atomic block, without cli, lets others run (as in Spin),
      // and so does one with interrupts off on its own CPU only (IRQ_LOCAL): it spins there.
      for (let i = 0; i < procs.length; i++) {
        const s = procs[i] as Slot;
        if (src[s.base + T_PC] !== 0 && (src[s.base + T_IRQOFF]! & IRQ_CLI) !== 0 && !this.asleep(src, i))
          return 0;
      }
    }
    for (let i = 0; i < procs.length; i++) {
      const s = procs[i] as Slot;
      if (src[s.base + T_PC] === 0) continue;
      if (exclusive && (src[s.base + T_ATOMIC]! | (src[s.base + T_IRQOFF]! & IRQ_CLI)) !== 0) continue; // tried above
      const r = this.tryStep(src, i, sink, count, memo);
      count = r & COUNT_MASK;
      if (r & EXPAND_PRUNED) pruned = EXPAND_PRUNED;
    }
    const handlersEnd = procs.length + this.layout.handlers.length;
    for (let i = procs.length; i < handlersEnd; i++) {
      const r = this.tryStep(src, i, sink, count, memo);
      count = r & COUNT_MASK;
      if (r & EXPAND_PRUNED) pruned = EXPAND_PRUNED;
    }
    return count | pruned;
  }

  /**
   * The up model's successors while a task holds the CPU (schedule.ts): the holder's step, and
   * the handlers' while the holder takes interrupts. Returns -1 when the holder sleeps in an
   * await, so the CPU is free and expand's other rules apply.
   */
  private expandHolder(src: Int32Array, sink: ExpandSink, memo: StepMemo | null): number {
    const base = src[this.cpuWord] as number;
    const i = this.slotAt.get(base);
    if (i === undefined) throw new Error(`internal error: the CPU word holds ${base}, no task's block`);
    const r = this.tryStep(src, i, sink, 0, memo);
    let count = r & COUNT_MASK;
    let pruned = r & EXPAND_PRUNED;
    if (count === 0 && pruned === 0) {
      const what = blockedHolder(src, base);
      if (what === HOLDER_SLEEPS) return -1;
      if (what === HOLDER_LOCKS_UP) return 0;
    } else if (!holderTakesInterrupts(src, base)) return count | pruned;
    const handlersEnd = this.layout.procs.length + this.layout.handlers.length;
    for (let k = this.layout.procs.length; k < handlersEnd; k++) {
      const rr = this.tryStep(src, k, sink, count, memo);
      count = rr & COUNT_MASK;
      if (rr & EXPAND_PRUNED) pruned = EXPAND_PRUNED;
    }
    return count | pruned;
  }

  /**
   * Tries slot `i` from `src`, enumerating `choose` values; returns the new count (| PRUNED).
   * With a memo (`src` is then the state last read from the memo's store), a step recorded
   * before is answered from it, and a new one is run on a recording memory.
   */
  private tryStep(
    src: Int32Array,
    i: number,
    sink: ExpandSink,
    count: number,
    memo: StepMemo | null,
  ): number {
    // A task asleep in schedule() cannot move: skip it without copying the state. This is
    // what the step itself would decide (see the schedule primitive in compile.ts).
    if (this.asleep(src, i)) return count;
    const ctx = this.ctx;
    ctx.cv = NO_VALUES;
    if (memo !== null) {
      const leaf = memo.find(i, src);
      if (leaf !== null) {
        switch (leaf.outcome) {
          case MEMO_MOVED:
            sink.successorMemo!(leaf, count);
            return count + 1;
          case MEMO_PRUNED:
            return count | EXPAND_PRUNED;
          case MEMO_NONE:
            return count;
        }
        // MEMO_RUN: run it as without a memo.
      } else if (memo.open) {
        return this.tryWith(src, i, sink, count, memo);
      }
    }
    return this.tryWith(src, i, sink, count, null);
  }

  private tryWith(
    src: Int32Array,
    i: number,
    sink: ExpandSink,
    count: number,
    memo: StepMemo | null,
  ): number {
    const s = this.layout.slots[i] as Slot;
    const ctx = this.ctx;
    // A recording run steps on a stand-in for the scratch state that notes what it touches.
    const m = memo === null ? this.scratch : memo.recording(i, src, this.scratch);
    // invariant: m equals src here; after the attempt, restore() makes it so again.
    const isHandler = s.kind === "interrupt";
    if (isHandler) startTask(this.program, m, s);
    ctx.cpos = 0;
    const step = memo === null ? this.stepFn : this.compiled.recordStep;
    let r = step(m, s.base, s.task, s.self, s.stackEnd, ctx);
    // The recording copy of the step keeps its own written-components mask: restore all.
    let dirty = memo === null ? this.compiled.dirty() | (this.ownBit[i] as number) : -1;
    if (r === CUT) {
      // A fault behind a finished visible group: run again, ending after that group (never a
      // handler, which runs as atomic). The second run writes only what the first one did.
      this.restore(this.scratch, src, dirty);
      ctx.cpos = 0;
      ctx.short = true;
      r = step(m, s.base, s.task, s.self, s.stackEnd, ctx);
      ctx.short = false;
      dirty = memo === null ? this.compiled.dirty() | (this.ownBit[i] as number) : -1;
    }
    let result = count;
    let outcome = MEMO_RUN;
    if (r === BLOCKED) outcome = MEMO_NONE;
    else if (r === MOVED) {
      // A handler that stopped half way (blocked after doing something) did not fire.
      if (!isHandler || this.scratch[s.base + T_PC] === 0) {
        this.currentSlot = i;
        this.currentValues = ctx.cv;
        sink.successor(this.scratch, count, dirty);
        result = count + 1;
        outcome = MEMO_MOVED;
      } else outcome = MEMO_NONE;
    } else if (r === PRUNED) {
      // A handler's failed assume is its guard: the handler just does not fire.
      if (!isHandler) result = count | EXPAND_PRUNED;
      outcome = isHandler ? MEMO_NONE : MEMO_PRUNED;
    } else if (r === FAULT) {
      this.currentSlot = i;
      this.currentValues = ctx.cv;
      sink.fault(
        { kind: ctx.faultKind, message: ctx.faultMessage, pc: ctx.faultPc, span: ctx.faultSpan },
        count,
      );
      result = count + 1;
    }
    if (memo !== null) memo.finish(i, outcome, this.scratch);
    const pcNow = this.scratch[s.base + T_PC] as number;
    this.restore(this.scratch, src, dirty);
    if (r !== NEED_CHOICE) return result;
    const lo = ctx.lo;
    const hi = ctx.hi;
    if (hi - lo + 1 > MAX_CHOICE_SPAN) {
      this.currentSlot = i;
      this.currentValues = ctx.cv;
      sink.fault(
        {
          kind: "empty_choice",
          message: `choose(${lo}, ${hi}) offers more than ${MAX_CHOICE_SPAN} values`,
          pc: pcNow,
          span: null,
        },
        count,
      );
      return count + 1;
    }
    const prefix = ctx.cv;
    let c = count;
    let pruned = 0;
    for (let v = lo; v <= hi; v++) {
      ctx.cv = [...prefix, v];
      const rr = this.tryWith(src, i, sink, c, null);
      c = rr & COUNT_MASK;
      if (rr & EXPAND_PRUNED) pruned = EXPAND_PRUNED;
    }
    ctx.cv = prefix;
    return c | pruned;
  }

  /** Copies back from src the components a step may have written (bits as in componentMask). */
  private restore(m: Int32Array, src: Int32Array, dirty: number): void {
    if (dirty === -1) {
      m.set(src);
      return;
    }
    const ranges = this.ranges;
    for (let c = 0; c < ranges.length; c += 2) {
      if ((dirty & (1 << (c >> 1))) === 0) continue;
      const end = ranges[c + 1] as number;
      for (let k = ranges[c] as number; k < end; k++) m[k] = src[k]!;
    }
  }

  /** Every choice of `src` in order, with what it leads to (a state copy or a fault): for traces. */
  choices(src: Int32Array): Array<{ choice: Choice; next: Int32Array | null; fault: StepFault | null }> {
    const out: Array<{ choice: Choice; next: Int32Array | null; fault: StepFault | null }> = [];
    this.expand(src, {
      successor: (next) => {
        out.push({
          choice: { slot: this.currentSlot, values: [...this.currentValues] },
          next: next.slice(),
          fault: null,
        });
      },
      fault: (f) => {
        out.push({
          choice: { slot: this.currentSlot, values: [...this.currentValues] },
          next: null,
          fault: f,
        });
      },
    });
    return out;
  }

  /**
   * Replays one choice with the tracing step: the boundaries (statements) it passed, and the
   * state after it (or its fault).
   */
  replayChoice(
    src: Int32Array,
    choice: Choice,
  ): { next: Int32Array; trail: number[]; fault: StepFault | null; status: number } {
    const s = this.layout.slots[choice.slot] as Slot;
    const m = src.slice();
    const ctx = new StepContext();
    ctx.cv = [...choice.values];
    ctx.trail = [];
    if (s.kind === "interrupt") startTask(this.program, m, s);
    const run = () => this.compiled.traceStep(m, s.base, s.task, s.self, s.stackEnd, ctx);
    let r = run();
    if (r === CUT) {
      // As in tryWith: the step ends after its visible group (handlers never cut).
      m.set(src);
      ctx.cpos = 0;
      ctx.trail = [];
      ctx.short = true;
      r = run();
    }
    const fault =
      r === FAULT
        ? {
            kind: ctx.faultKind,
            message: ctx.faultMessage,
            pc: ctx.faultPc,
            span: ctx.faultSpan,
            address: ctx.faultAddress,
            fp: ctx.faultFp,
          }
        : null;
    return { next: m, trail: ctx.trail, fault, status: r };
  }

  /** True when every process has exited. */
  allExited(m: Int32Array): boolean {
    for (const s of this.layout.procs) if (m[s.base + T_PC] !== 0) return false;
    return true;
  }

  /**
   * A task asleep in schedule(): its pc is at a schedule() call and its state is not
   * TASK_RUNNING, unless it sleeps interruptibly with an unblocked signal pending (then the
   * step wakes it at once). The same rule as the schedule primitive in compile.ts.
   */
  asleep(m: Int32Array, slot: number): boolean {
    return asleepInSchedule(this.program, this.isSchedulePc, m, this.layout.slots[slot] as Slot);
  }
}
