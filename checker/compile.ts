// Compiles the IR to one JavaScript step function (a loop over a switch on pc), the way SPIN
// generates C: V8 optimises it once and the explorer never walks a syntax tree.
import type { Span } from "../model/ast";
import { takes } from "../model/elab/util";
import {
  ADDRESS_MASK,
  callerFrames,
  FRAME_HEADER,
  type IExpr,
  type Instr,
  type Lowered,
  PC_NONE,
  STACK_TAG_SHIFT,
  type Unit,
} from "../model/ir";
import {
  blockHeader,
  bodyExit,
  handlerMayLockUp,
  IRQ_CLI,
  IRQ_LOCAL,
  type Layout,
  layoutMachine,
  restoredIrqOff,
  SIGKILL_BIT,
  type Slot,
  savedFlags,
  schedulePcs,
  T_ATOMIC,
  T_FP,
  T_IRQOFF,
  T_PC,
  TASK_REGS,
  TASK_WAKEKILL,
  TASK_ZOMBIE,
} from "../model/layout";
import { notDataMessage } from "../model/objectBounds";
import {
  badCastMessage,
  describeStatic,
  type KindMap,
  kindMap,
  layoutMismatch,
  type ObjectMap,
  objectMap,
  stackObjectEnd,
  unpublished,
  wordKinds,
} from "../model/objects";
import type { Type } from "../model/types";
import { buildFunction, type Js, joinJs, js } from "./emit";
import { pointerHelpers } from "./pointerChecks";

/** What a step did. */
export const BLOCKED = 0;
export const MOVED = 1;
export const FAULT = 2;
export const NEED_CHOICE = 3;
export const PRUNED = 4;
/**
 * The step faulted after it had finished a visible statement group outside atomic: run it again
 * with ctx.short set, and it ends right after that group. A fault in the local-only statements
 * merged behind a visible one must not swallow the visible one's effect: without merging, that
 * effect is a state of its own, from which other processes may run (and fail) first.
 */
export const CUT = 5;

/** The message of a task that dies inside atomic or with interrupts off (do_task_dead). */
export const ATOMIC_EXIT =
  "BUG: scheduling while atomic: the task ends (do_task_dead) inside atomic or with interrupts off";

/** Kinds of run-time violation a step can report. */
export type FaultKind =
  | "assertion"
  | "null_deref"
  | "bad_pointer"
  | "out_of_bounds"
  | "div_by_zero"
  | "div_overflow"
  | "bad_shift"
  | "range_overflow"
  | "infinite_loop"
  | "stack_overflow"
  | "schedule_in_interrupt"
  | "interrupt_blocks"
  | "empty_choice"
  | "use_after_free"
  | "use_after_return"
  | "no_task"
  | "bad_cast"
  | "double_free"
  | "bad_free"
  | "atomic_exit";

/** Scratch shared between the explorer and a step: choices in, choice requests and faults out. */
export class StepContext {
  /** Values for the step's `choose` calls, in order. */
  cv: number[] = [];
  cpos = 0;
  /** Set when a step needs one more choice than `cv` holds. */
  lo = 0;
  hi = 0;
  faultKind: FaultKind = "assertion";
  faultMessage = "";
  /** Instruction at which the fault happened. */
  faultPc = 0;
  /** Source span of the faulting expression, when more precise than the instruction's. */
  faultSpan: Span | null = null;
  /** The word a faulting access was at, or -1 (see Fault.address). */
  faultAddress = -1;
  /** The frame pointer at the fault: a failed assert's operands are read in that frame. */
  faultFp = 0;
  /** When set, the pc of every boundary the step passes is pushed (replay only). */
  trail: number[] | null = null;
  /** Set for the second run of a step that returned CUT: it ends after its visible group. */
  short = false;
}

/**
 * step(m, tb, cur, self, lim, ctx): runs the task whose block is at `tb` on memory `m` (in
 * place) until its step ends. `cur` is its task_struct address (0 for a handler), `lim` one
 * past its last stack word. Returns BLOCKED (no step: m may hold writes of local-only
 * statements that ran first, so callers step on a copy), MOVED, FAULT (details in ctx),
 * NEED_CHOICE (ctx.lo..ctx.hi: rerun with one more value in ctx.cv) or PRUNED (an assume
 * failed: no successor).
 */
export type StepFn = (
  m: Int32Array,
  tb: number,
  cur: number,
  self: number,
  lim: number,
  ctx: StepContext,
) => number;

/** A compiled pure expression over memory, for properties: returns 0 or 1, or throws a Fault. */
export type PredFn = (m: Int32Array) => number;

export class Fault {
  constructor(
    readonly kind: FaultKind,
    readonly message: string,
    readonly span: Span | null,
    /** The word the faulting access was at, when that helps to explain it (use after return); else -1. */
    readonly address = -1,
  ) {}
}

const INT_MIN = -(2 ** 31);
/** i386's idiv raises a divide error when the quotient does not fit: INT_MIN / -1 (and % -1). */
/** The fault of a shift by a negative count or by 32 or more (undefined in C, C11 6.5.7). */
export function badShiftMessage(n: number): string {
  return `shift count ${n} is outside 0..31: C leaves a shift by a negative count or by the width or more undefined`;
}

export const DIV_OVERFLOW = "INT_MIN / -1 does not fit in an int: a divide error (#DE) on i386";

/** The fault of an interrupt handler that waits (await, or a spin lock taken by the task it interrupted). */
export const HANDLER_BLOCKS =
  "an interrupt handler waits (an await, or a spin lock the interrupted task holds): on one CPU nothing else runs to let it on, a lockup; a handler that should not fire yet says so with assume(...)";

/**
 * The fault of reading `current` where no task runs: in a function an interrupt handler calls
 * (KC does not model which task an interrupt interrupts) or in init.
 */
export const NO_TASK =
  "current is read where no task runs: in a function an interrupt handler calls (KC does not model which task an interrupt interrupts) or in init";

/** Steps of one statement run at most this many boundaries before the step is called endless. */
export const STEP_BUDGET = 100_000;
/**
 * The fault of a step that passed STEP_BUDGET statements. It is a limit of KC, not a proof of an
 * endless loop, and says so: a loop of local-only code that does end after more statements is
 * reported too (a statement that touches shared memory ends a step and resets the count).
 */
export const ENDLESS_STEP = `the step does not end within ${STEP_BUDGET.toLocaleString("en-US")} statements: an endless loop inside atomic, cli or local-only code, or one longer than KC's limit for one step (a loop that touches shared memory is not one step)`;

export interface Compiled {
  step: StepFn;
  /** The same code, recording passed boundaries in ctx.trail: for replay and traces only. */
  traceStep: StepFn;
  /**
   * The same code again, for runs on a memory that notes its accesses (StepMemo's recordings):
   * a copy of its own, so that the hot `step` only ever sees plain Int32Arrays.
   */
  recordStep: StepFn;
  /**
   * Components written by the last step other than the stepping task's own (a bit per
   * component, as in the componentMask given to compileProgram): stores through pointers and
   * to globals record the component of their address. The task's own block is not tracked.
   */
  dirty: () => number;
  properties: PredFn[];
  source: string;
}

/**
 * Builds the step function and property predicates of a program for a state of `words` words
 * (the machine's layout; `layout` defaults to layoutMachine's).
 */
export function compileProgram(
  p: Lowered,
  words: number,
  componentMask?: Int32Array,
  layout: Layout = layoutMachine(p),
): Compiled {
  checkNoEntryAtNone(p);
  const spans: Span[] = [];
  const cm = componentMask ?? new Int32Array(words).fill(-1);
  const gen = new Gen(p, spans, cm);
  const body = gen.stepBody(false);
  const traced = gen.stepBody(true);
  const frames = callerFrames(p);
  const pools = poolMaps(p, words);
  const helpers = {
    ...runtimeHelpers(p, layout, words, spans, pools, gen.layouts),
    CFS: frames.frameSize,
    CDO: frames.destOff,
    CM: cm,
    PS: pools.PS,
    PZ: pools.PZ,
    MS: gen.messages,
  };
  const header = js`"use strict"; const {P, L, X, XU, D, M, UD, UM, SH, R, F, V, LI, SF, RF, TD, TF, Fault, CFS, CDO, CM, PS, PZ, MS, PA, PD, PC, PI, IP, CE} = H;`;
  const H = [js`H`];
  const factory = (src: Js) =>
    buildFunction(
      H,
      js`${header} let DM = 0; const step = ${src}; return { step, dirty: () => DM };`,
      helpers,
    ) as {
      step: StepFn;
      dirty: () => number;
    };
  const plain = factory(body);
  const tracing = factory(traced);
  const recording = factory(body);
  const properties = p.properties.map((prop) => {
    const src = js`function prop(m) { const fp = 0, cur = 0, self = 0; let _t = 0; return (${gen.cond(prop.expr)}) ? 1 : 0; }`;
    return buildFunction(H, js`${header} return ${src};`, helpers) as PredFn;
  });
  return {
    step: plain.step,
    traceStep: tracing.step,
    recordStep: recording.step,
    dirty: plain.dirty,
    properties,
    source: body.src,
  };
}

/** How a use after return says that the task block's code is over. */
export function finished(kind: Slot["kind"] | undefined): string {
  return kind === "interrupt"
    ? "handler has finished"
    : kind === "init"
      ? "init has finished"
      : "task has exited";
}

/** No unit starts at PC_NONE and no jump leads there: that pc means "no code" (see ir.ts). */
function checkNoEntryAtNone(p: Lowered): void {
  const bad =
    p.units.some((u) => u.entry === PC_NONE) ||
    p.code.some(
      (ins) =>
        (ins.k === "jump" && ins.to === PC_NONE) ||
        (ins.k === "branch" && (ins.t === PC_NONE || ins.f === PC_NONE)) ||
        (ins.k === "switch" && (ins.dflt === PC_NONE || ins.cases.some((c) => c[1] === PC_NONE))),
    );
  if (bad) throw new Error("internal error: code at pc 0, which means a task that runs no code");
}

/**
 * Pool maps for kmalloc'd memory: PH[a] = the allocated-flag word of the object holding a (0
 * outside pools); PS[a] = that flag word when a is an object's first word; PZ[a] its size.
 */
export function poolMaps(p: Lowered, words: number): { PH: Int32Array; PS: Int32Array; PZ: Int32Array } {
  const PH = new Int32Array(words);
  const PS = new Int32Array(words);
  const PZ = new Int32Array(words);
  for (const pool of p.pools) {
    for (let i = 0; i < pool.count; i++) {
      const h = pool.base + i * (pool.size + 1);
      PS[h + 1] = h;
      PZ[h + 1] = pool.size;
      PH.fill(h, h + 1, h + 1 + pool.size);
    }
  }
  return { PH, PS, PZ };
}

function runtimeHelpers(
  p: Lowered,
  layout: Layout,
  words: number,
  spans: Span[],
  pools: ReturnType<typeof poolMaps>,
  layoutTypes: readonly Type[],
) {
  const sp = (i: number): Span | null => spans[i] ?? null;
  // Built on first use: most programs convert no pointer to another pointee type.
  let kindTable: KindMap | null = null;
  const layoutKinds: string[][] = [];
  const { PH } = pools;
  const objects: ObjectMap = objectMap(p, layout);
  const OE = objects.end;
  const SO = objects.stackOf;
  const TU = p.stackTagUnits;
  const outside = (a: number, size: number, end: number, s: number): Fault =>
    new Fault(
      "out_of_bounds",
      `an access of ${size} word${size === 1 ? "" : "s"} at word ${a} runs past the end of ${describeStatic(p, layout, a)} (it ends at word ${end})`,
      sp(s),
    );
  /** A pointer into a stack: it must lie in a variable of a live frame of that task. */
  const onStack = (m: Int32Array, a: number, size: number, s: number, unit: number): number => {
    const slot = (SO[a] as number) - 1;
    const sl = layout.slots[slot];
    const end = stackObjectEnd(p, objects, layout, m, slot, a, unit);
    if (end > 0 && a + size <= end) return a;
    const where = `${sl?.label ?? "a task"}'s stack (word ${a - (sl?.stackBase ?? 0)})`;
    if (end === -2)
      throw new Fault(
        "use_after_return",
        `use after scope: the pointer points into ${where}, a variable of a block that has ended`,
        sp(s),
        a,
      );
    if (end < 0)
      throw new Fault(
        "use_after_return",
        m[(sl?.base ?? 0) + T_PC] === 0
          ? `use after return: the pointer points into ${where}, and that ${finished(sl?.kind)}`
          : `use after return: the pointer points into ${where}, in a frame that has returned`,
        sp(s),
        a,
      );
    if (end === 0) throw new Fault("bad_pointer", `the pointer points into ${where}, at no variable`, sp(s));
    throw new Fault(
      "out_of_bounds",
      `an access of ${size} word${size === 1 ? "" : "s"} at ${where} runs past the end of its variable`,
      sp(s),
    );
  };
  const slotOfBlock = new Map(layout.slots.map((s, i) => [s.base, i]));
  const schedPcs = schedulePcs(p);
  return {
    Fault,
    ...pointerHelpers(p, layout, words, objects, PH, sp),
    /** Whether pointer value `v` points into an object only the task at block `tb` can reach (objects.ts unpublished). */
    /** The pc of the exit of the process body whose task block is at tb (do_task_dead). */
    TD(tb: number): number {
      return bodyExit(p, layout, tb).pc;
    },
    /** The frame pointer of that body: its task's stack base. */
    TF(tb: number): number {
      return bodyExit(p, layout, tb).fp;
    },
    /** The flags word save_flags stores for a T_IRQOFF value (layout.ts savedFlags). */
    SF: savedFlags,
    /** The T_IRQOFF value restore_flags gives a saved flags word (layout.ts restoredIrqOff). */
    RF: restoredIrqOff,
    /** Whether a waiting handler may be locked up over the task it interrupted (layout.ts handlerMayLockUp). */
    LI(m: Int32Array): boolean {
      return handlerMayLockUp(p, layout, schedPcs, m);
    },
    V(m: Int32Array, tb: number, v: number): boolean {
      return unpublished(p, layout, m, slotOfBlock.get(tb) ?? -1, v);
    },
    /**
     * A pointer that is dereferenced for an object of `size` words: not NULL, and those words
     * inside one live object (a global, a pool object not freed, a task_struct, a variable of
     * a live frame) — a cast pointer may claim more than its object holds.
     */
    P(m: Int32Array, a: number, size: number, s: number): number {
      if (a > 0 && a < words) {
        const e = OE[a] as number;
        if (e !== 0) {
          if (a + size > e) throw outside(a, size, e, s);
          const h = PH[a] as number;
          if (h !== 0 && m[h] === 0)
            throw new Fault(
              "use_after_free",
              "use after free: this access reaches an object that was kfree'd",
              sp(s),
            );
          return a;
        }
        if (SO[a] !== 0) return onStack(m, a, size, s, -1);
        throw new Fault(
          "bad_pointer",
          `pointer ${a} points to no object (${describeStatic(p, layout, a)})`,
          sp(s),
        );
      }
      if (a > ADDRESS_MASK) {
        // A pointer into a stack, tagged with the unit of its frame (ir.ts).
        const at = a & ADDRESS_MASK;
        const unit = TU[(a >>> STACK_TAG_SHIFT) - 1];
        if (unit !== undefined && at < words && SO[at] !== 0) return onStack(m, at, size, s, unit);
      }
      if (a === 0) throw new Fault("null_deref", "NULL pointer dereference", sp(s));
      if (a < 0) throw new Fault("bad_pointer", notDataMessage(p, a), sp(s));
      throw new Fault("bad_pointer", `pointer ${a} points outside memory`, sp(s));
    },
    /**
     * A pointer converted to point at another type: the memory it points into is laid out as that
     * type over the words they share (objects.ts layoutMismatch). Yields the pointer.
     */
    L(m: Int32Array, v: number, t: number, s: number): number {
      const to = layoutTypes[t];
      if (v === 0 || !to) return v;
      kindTable ??= kindMap(p, layout);
      layoutKinds[t] ??= wordKinds(to, p.structs);
      const bad = layoutMismatch(p, objects, kindTable, layout, m, v, layoutKinds[t] as string[]);
      if (bad) throw new Fault("bad_cast", badCastMessage(to, bad), sp(s));
      return v;
    },
    /** An array index within [0, n). */
    X(i: number, n: number, s: number): number {
      if (i >= 0 && i < n) return i;
      throw new Fault("out_of_bounds", `index ${i} is out of bounds for an array of ${n}`, sp(s));
    },
    /** An unsigned index: its word read as 0 .. 2^32 - 1, so a fault names 4294967295, not -1. */
    XU(i: number, n: number, s: number): number {
      if (i >= 0 && i < n) return i;
      throw new Fault("out_of_bounds", `index ${i >>> 0} is out of bounds for an array of ${n}`, sp(s));
    },
    D(a: number, b: number, s: number): number {
      if (b === 0) throw new Fault("div_by_zero", "division by zero", sp(s));
      if (b === -1 && a === INT_MIN) throw new Fault("div_overflow", DIV_OVERFLOW, sp(s));
      return (a / b) | 0;
    },
    M(a: number, b: number, s: number): number {
      if (b === 0) throw new Fault("div_by_zero", "remainder by zero", sp(s));
      if (b === -1 && a === INT_MIN) throw new Fault("div_overflow", DIV_OVERFLOW, sp(s));
      return (a % b) | 0;
    },
    /** Unsigned division and remainder: the words read as unsigned 32-bit values. */
    UD(a: number, b: number, s: number): number {
      if (b === 0) throw new Fault("div_by_zero", "division by zero", sp(s));
      return Math.floor((a >>> 0) / (b >>> 0)) | 0;
    },
    UM(a: number, b: number, s: number): number {
      if (b === 0) throw new Fault("div_by_zero", "remainder by zero", sp(s));
      return ((a >>> 0) % (b >>> 0)) | 0;
    },
    /** A shift count, which C defines only from 0 to 31 on a 32-bit (promoted) operand. */
    SH(n: number, s: number): number {
      if (n >= 0 && n < 32) return n;
      throw new Fault("bad_shift", badShiftMessage(n), sp(s));
    },
    R(v: number, lo: number, hi: number, s: number): number {
      if (v >= lo && v <= hi) return v;
      throw new Fault("range_overflow", `value ${v} is outside int<${lo}..${hi}>`, sp(s));
    },
    F(kind: FaultKind, msg: string, s: number): never {
      throw new Fault(kind, msg, sp(s));
    },
  };
}

/**
 * Generates the step function and predicates as `Js` pieces (checker/emit.ts): the only values
 * spliced into them are integers and other pieces; text from the spec (assertion messages)
 * goes to the side table `messages` and is referred to by index.
 */
class Gen {
  /** Messages of assertions, by index (the generated code reads MS[i]). */
  readonly messages: string[] = [];

  constructor(
    private readonly p: Lowered,
    private readonly spans: Span[],
    private readonly cm: Int32Array,
  ) {}

  /** Code that records the component an address belongs to, unless it is in the own frame. */
  private mark(addr: IExpr, a: Js): Js {
    if (fpRooted(addr)) return js``;
    if (addr.k === "const") return js`DM |= ${this.cm[addr.v] ?? -1};`;
    return js`DM |= CM[${a}];`;
  }

  private spanId(s: Span): number {
    this.spans.push(s);
    return this.spans.length - 1;
  }

  private siteId(at: number): number {
    return this.spanId(this.p.sites[at]?.span ?? NO_SPAN);
  }

  private readonly messageIds = new Map<string, number>();
  /** The types pointers are converted to (the IR's "layout"), by the index the code passes to L. */
  readonly layouts: Type[] = [];

  private layoutId(t: Type): number {
    return this.layouts.push(t) - 1;
  }

  private messageId(text: string): number {
    let id = this.messageIds.get(text);
    if (id === undefined) {
      id = this.messages.push(text) - 1;
      this.messageIds.set(text, id);
    }
    return id;
  }

  /** JS source of the step function. */
  stepBody(traced: boolean): Js {
    const p = this.p;
    const out: Js[] = [];
    // Inside atomic or cli the task runs alone, so no step ends there (IRQ_LOCAL does not).
    const excl = js`(m[tb + ${T_ATOMIC}] | (m[tb + ${T_IRQOFF}] & ${IRQ_CLI})) === 0`;
    out.push(js`function step(m, tb, cur, self, lim, ctx) {`);
    out.push(js`let pc = m[tb + ${T_PC}], fp = m[tb + ${T_FP}];`);
    out.push(js`if (pc === ${PC_NONE}) return 0;`);
    out.push(js`DM = 0;`);
    out.push(js`let vis = 0, prev = 0, cut = 0, budget = ${STEP_BUDGET}, _t = 0;`);
    out.push(js`try {`);
    out.push(js`for (;;) {`);
    out.push(js`switch (pc) {`);
    // Instruction PC_NONE is the sentinel: a task there has no code to run (checked above).
    for (let i = PC_NONE + 1; i < p.code.length; i++) {
      const ins = p.code[i] as Instr;
      const info = p.info[i];
      if (!info) continue;
      out.push(js`case ${i}: {`);
      if (info.boundary) {
        out.push(
          js`if (--budget < 0) F("infinite_loop", MS[${this.messageId(ENDLESS_STEP)}], ${this.siteId(ins.at)});`,
        );
        const visible = js`if (vis !== 0 && ${excl}) { ${this.yieldAt(i)} } prev = vis; vis = 1;`;
        // The end of a visible group, outside atomic: a place where a fault may cut the step.
        const invisible = js`if (vis !== 0 && ${excl}) { if (ctx.short) { ${this.yieldAt(i)} } cut = 1; }`;
        if (info.visible && info.privateAddrs) {
          // Visible only through objects no other task may reach yet: decided now (privacy.ts).
          const tests = info.privateAddrs.map((a) => js`V(m, tb, ${this.preAddr(a)})`);
          // Inside atomic or cli nothing yields, so the answer could not matter: not asked.
          out.push(js`if (${excl} && ${joinJs(tests, js` && `)}) { ${invisible} } else { ${visible} }`);
        } else if (info.rest) {
          // A place a property observes: the step ends here unless it began here.
          out.push(
            js`if ((vis !== 0 || budget < ${STEP_BUDGET - 1}) && ${excl}) { ${this.yieldAt(i)} } prev = vis; vis = 1;`,
          );
        } else if (info.visible) {
          out.push(visible);
        } else {
          out.push(invisible);
        }
        // After the yield check: the trail lists only statements this step really runs.
        if (traced) out.push(js`if (ctx.trail !== null) ctx.trail.push(pc);`);
      }
      out.push(this.instr(ins, i));
      out.push(js`}`);
    }
    out.push(js`default: F("bad_pointer", "corrupt program counter " + pc, 0);`);
    out.push(js`}`); // switch
    out.push(js`}`); // for
    out.push(js`} catch (e) {`);
    out.push(
      js`if (e instanceof Fault) { if (cut !== 0) return 5; ctx.faultKind = e.kind; ctx.faultMessage = e.message; ctx.faultSpan = e.span; ctx.faultAddress = e.address; ctx.faultPc = pc; ctx.faultFp = fp; return 2; }`,
    );
    out.push(js`throw e;`);
    out.push(js`}`);
    out.push(js`}`);
    return joinJs(
      out,
      js`
`,
    );
  }

  /** The T_IRQOFF value of arch_local_irq_disable: on one CPU, the same as cli (layout.ts). */
  private localIrqOff(): number {
    return this.p.model === "up" ? IRQ_CLI : IRQ_LOCAL;
  }

  /** Code that leaves the step at pc `i` (saving the registers, and in the up model the CPU word). */
  private yieldAt(i: number): Js {
    return js`m[tb + ${T_PC}] = ${i}; m[tb + ${T_FP}] = fp; ${this.cpuAt(i)} return 1;`;
  }

  /**
   * In the up model, who holds the CPU once a step ends at pc `i` (schedule.ts): a task in its
   * process body (user space) does not; one in a function (the kernel) does, unless it stops at
   * schedule(), which gives the CPU up. A handler's step never changes the word.
   */
  private cpuAt(i: number): Js {
    const c = this.p.cpuWord;
    if (this.p.model !== "up" || c < 0) return js``;
    const kind = this.unitOf(i).kind;
    if (kind === "interrupt") return js``;
    const ins = this.p.code[i];
    const holds = kind === "function" && !(ins?.k === "prim" && ins.name === "schedule");
    // (A condition that reads a temporary, a call's result, cannot be evaluated twice: the task
    // keeps the CPU there, as it did before an await whatever the condition.)
    if (holds && ins?.k === "await" && !takes(ins.cond)) {
      // Before an await outside atomic and cli, the task sleeps when its condition is false
      // (the CPU is free, as at schedule()); a condition that faults is left to the next step.
      const excl = js`(m[tb + ${T_ATOMIC}] | (m[tb + ${T_IRQOFF}] & ${IRQ_CLI})) === 0`;
      const sleeps = js`(${excl} && (() => { try { return !(${this.cond(ins.cond)}); } catch (e) { if (e instanceof Fault) return false; throw e; } })())`;
      return js`if (cur !== 0) { m[${c}] = ${sleeps} ? 0 : tb; DM |= ${this.cm[c] ?? -1}; }`;
    }
    return js`if (cur !== 0) { m[${c}] = ${holds ? js`tb` : js`0`}; DM |= ${this.cm[c] ?? -1}; }`;
  }

  /** Code for blocking at pc `i`: nothing visible done yet means no step at all. */
  private blockAt(i: number): Js {
    return js`if (prev === 0) return 0; ${this.yieldAt(i)}`;
  }

  private unitOf(i: number): Unit {
    const u = this.p.units[this.p.info[i]?.unit ?? -1];
    if (!u) throw new Error(`internal error: instruction ${i} belongs to no unit`);
    return u;
  }

  /** The site of the instruction being compiled, for faults raised inside its expressions. */
  private atSite = 0;

  private instr(ins: Instr, i: number): Js {
    this.atSite = this.siteId(ins.at);
    const next = js`pc = ${i + 1};`;
    switch (ins.k) {
      case "store": {
        const v = this.int(ins.value);
        const a = this.int(ins.addr);
        if (ins.range) {
          const s = this.siteId(ins.at);
          return js`{ const a = ${a}; m[a] = R(${v}, ${ins.range[0]}, ${ins.range[1]}, ${s}); ${this.mark(ins.addr, js`a`)} } ${next}`;
        }
        return js`{ const a = ${a}; m[a] = ${v}; ${this.mark(ins.addr, js`a`)} } ${next}`;
      }
      case "branch":
        return js`if (${this.cond(ins.cond)}) { pc = ${ins.t}; continue; } pc = ${ins.f}; continue;`;
      case "jump":
        return js`pc = ${ins.to}; continue;`;
      case "switch": {
        const cases = joinJs(
          ins.cases.map(([v, to]) => js`case ${v}: pc = ${to}; continue;`),
          js` `,
        );
        return js`switch (${this.int(ins.value)}) { ${cases} default: pc = ${ins.dflt}; continue; }`;
      }
      case "call": {
        const callee = this.p.units[this.p.functionUnits[ins.fn] ?? -1];
        if (!callee) throw new Error(`call to a function without a body (${ins.fn})`);
        const caller = this.unitOf(i);
        const args = joinJs(
          ins.args.map((a, k) => js`const a${k} = ${this.int(a)};`),
          js` `,
        );
        const stores = joinJs(
          ins.args.map((_, k) => js`m[nf + ${callee.paramWords[k] ?? FRAME_HEADER + k}] = a${k};`),
          js` `,
        );
        const s = this.siteId(ins.at);
        return js`{ ${args} const nf = fp + ${caller.frameSize}; if (nf + ${callee.frameSize} > lim) F("stack_overflow", "the stack of this task is exhausted (recursion too deep)", ${s}); m[nf] = ${i + 1}; ${stores} fp = nf; pc = ${callee.entry}; continue; }`;
      }
      case "ret": {
        const unit = this.unitOf(i);
        // Every word of the result is read before the frame is freed (a struct may be a local).
        const words = ins.values.length === 0 ? [js`0`] : ins.values.map((v) => this.int(v));
        const reads = joinJs(
          words.map((v, w) => js`const v${w} = ${v};`),
          js` `,
        );
        const writes = joinJs(
          words.map((_, w) => js`m[of + d + ${w}] = v${w};`),
          js` `,
        );
        // The return pc tells the caller's frame size and result slot (callerFrames in ir.ts).
        return js`{ ${reads} const rp = m[fp], of = fp - CFS[rp], d = CDO[rp]; m.fill(0, fp, fp + ${unit.frameSize}); if (d >= 0) { ${writes} } pc = rp; fp = of; continue; }`;
      }
      case "assert":
        return js`if (!(${this.cond(ins.cond)})) F("assertion", MS[${this.messageId(ins.message)}], ${this.siteId(ins.at)}); ${next}`;
      case "assume":
        return js`if (!(${this.cond(ins.cond)})) return 4; ${next}`;
      case "await":
        // In a handler (no current task) a wait is a lockup: the CPU spins over the task it
        // interrupted, which cannot run to let it on. A handler's guard is assume.
        // Unless every task on a CPU has interrupts off, when it can only be spinning on a free
        // CPU and does not fire yet (layout.ts handlerMayLockUp).
        return js`if (!(${this.cond(ins.cond)})) { if (cur === 0 && LI(m)) F("interrupt_blocks", MS[${this.messageId(HANDLER_BLOCKS)}], ${this.siteId(ins.at)}); ${this.blockAt(i)} } ${next}`;
      case "choose": {
        const s = this.siteId(ins.at);
        return js`{ const lo = ${this.int(ins.lo)}, hi = ${this.int(ins.hi)}; if (hi < lo) F("empty_choice", "choose(" + lo + ", " + hi + ") has no value to choose", ${s}); if (ctx.cpos >= ctx.cv.length) { ctx.lo = lo; ctx.hi = hi; return 3; } m[${this.int(ins.dest)}] = ctx.cv[ctx.cpos++]; } ${next}`;
      }
      case "atomic":
        return js`m[tb + ${T_ATOMIC}] += ${ins.delta}; ${next}`;
      case "prim":
        return this.prim(ins, i);
      case "kmalloc": {
        // The lowest free slot, so that equal situations allocate equal addresses.
        const pool = this.p.pools[ins.pool];
        if (!pool) throw new Error(`internal error: kmalloc from no pool (${ins.pool})`);
        const end = pool.base + pool.count * (pool.size + 1);
        return js`{ let a = 0; for (let h = ${pool.base}; h < ${end}; h += ${pool.size + 1}) { if (m[h] === 0) { m[h] = 1; a = h + 1; break; } } m[fp + ${ins.destOff}] = a; DM |= ${this.cm[pool.base] ?? -1}; } ${next}`;
      }
      case "kfree": {
        const s = this.siteId(ins.at);
        // mm/slab.c: kfree(NULL) does nothing; freeing what kmalloc did not return, or twice, is a bug.
        return js`{ const a = ${this.int(ins.ptr)}; if (a !== 0) { const h = a > 0 && a < m.length ? PS[a] : 0; if (h === 0) F("bad_free", "kfree of a pointer that kmalloc did not return", ${s}); if (m[h] === 0) F("double_free", "double free: the object was already kfree'd", ${s}); m.fill(0, h, h + 1 + PZ[a]); DM |= CM[h]; } } ${next}`;
      }
      case "exit": {
        if (this.unitOf(i).kind !== "process") return js`m.fill(0, tb, lim); return 1;`;
        // The task exits: registers and stack are cleared, the task becomes a zombie. Any
        // wait-queue entry it left on its stack now dangles, as it would in the kernel.
        const stack = blockHeader(this.p, "process");
        let from = 0;
        const clear: Js[] = [];
        for (const [off, len] of ins.keep ?? []) {
          clear.push(js`m.fill(0, tb + ${stack + from}, tb + ${stack + off});`);
          from = off + len;
        }
        return js`m.fill(0, tb + ${T_PC}, tb + ${TASK_REGS}); ${joinJs(clear, js` `)} m.fill(0, tb + ${stack + from}, lim); m[tb + ${TASK_REGS + this.p.task.state}] = ${TASK_ZOMBIE}; ${this.cpuAt(i)} return 1;`;
      }
    }
  }

  private prim(ins: Extract<Instr, { k: "prim" }>, i: number): Js {
    const next = js`pc = ${i + 1};`;
    const s = this.siteId(ins.at);
    const arg = (): IExpr => {
      const a = ins.args[0];
      if (!a) throw new Error(`internal error: ${ins.name} without its argument`);
      return a;
    };
    switch (ins.name) {
      case "schedule": {
        const t = this.p.task;
        // kernel/sched.c: schedule() returns once the task is TASK_RUNNING again; an
        // interruptible sleeper with an unblocked signal pending, or a killable one
        // (TASK_WAKEKILL) with SIGKILL pending, is made running (signal_pending_state).
        return js`if (cur === 0) F("schedule_in_interrupt", "schedule() called from an interrupt handler", ${s}); { const st = m[cur + ${t.state}]; if (st !== 0) { if ((st === 1 && (m[cur + ${t.signal}] & ~m[cur + ${t.blocked}]) !== 0) || ((st & ${TASK_WAKEKILL}) !== 0 && (m[cur + ${t.signal}] & ${SIGKILL_BIT}) !== 0)) m[cur + ${t.state}] = 0; else { ${this.blockAt(i)} } } } ${next}`;
      }
      case "cli":
        return js`m[tb + ${T_IRQOFF}] = ${IRQ_CLI}; ${next}`;
      case "sti":
        return js`m[tb + ${T_IRQOFF}] = 0; ${next}`;
      case "save_flags":
        // include/asm-i386/system.h: EFLAGS, of which only IF (bit 9, 0x200) is modelled; with
        // interrupts off, bit 0 says they are off on this CPU only (layout.ts savedFlags).
        return js`{ const a = ${this.int(arg())}; m[a] = SF(m[tb + ${T_IRQOFF}]); ${this.mark(arg(), js`a`)} } ${next}`;
      case "restore_flags":
      case "arch_local_irq_restore":
        // Back to what was saved, either kind (a cli() and a local_irq_save may nest).
        return js`m[tb + ${T_IRQOFF}] = RF(${this.int(arg())}); ${next}`;
      case "arch_local_irq_disable":
        // Inside cli() the task stays alone: off on this CPU only does not undo that.
        return js`if (m[tb + ${T_IRQOFF}] !== ${IRQ_CLI}) m[tb + ${T_IRQOFF}] = ${this.localIrqOff()}; ${next}`;
      case "do_task_dead":
        // The process ends from whatever depth: on at its body's exit, with the body's frame.
        // kernel/sched/core.c __schedule_bug: a task that dies inside atomic or with interrupts
        // off has "scheduled while atomic" (a spin lock's holder, an irq-off section).
        return js`if (cur === 0) F("no_task", "do_task_dead() called where no task runs (an interrupt handler)", ${s}); if ((m[tb + ${T_ATOMIC}] | m[tb + ${T_IRQOFF}]) !== 0) F("atomic_exit", MS[${this.messageId(ATOMIC_EXIT)}], ${s}); pc = TD(tb); fp = TF(tb); continue;`;
      case "arch_local_irq_enable":
        return js`m[tb + ${T_IRQOFF}] = 0; ${next}`;
    }
  }

  /**
   * JS for an address of a group that may be private, evaluated before the group runs
   * (model/elab/privacy.ts says which expressions qualify): no checks and no side effects —
   * a temporary is read, not taken. A check that would fail makes the access fault when it runs.
   */
  private preAddr(e: IExpr): Js {
    switch (e.k) {
      case "const":
      case "fp":
      case "self":
        return this.int(e);
      case "current":
        return js`cur`;
      case "load":
        return js`m[${this.preAddr(e.addr)}]`;
      case "take":
        return js`m[fp + ${e.off}]`;
      case "ptr":
      case "index":
      case "layout":
        return this.preAddr(e.e);
      case "un":
        if (e.op === "-") return js`(-${this.preAddr(e.e)} | 0)`;
        break;
      case "bin":
        if (e.op === "+") return js`((${this.preAddr(e.l)} + ${this.preAddr(e.r)}) | 0)`;
        if (e.op === "-") return js`((${this.preAddr(e.l)} - ${this.preAddr(e.r)}) | 0)`;
        if (e.op === "*") return js`Math.imul(${this.preAddr(e.l)}, ${this.preAddr(e.r)})`;
        break;
    }
    throw new Error(`internal error: ${e.k} in an address evaluated before its group`);
  }

  /** JS for an int-valued expression (an int32). */
  int(e: IExpr): Js {
    switch (e.k) {
      case "const":
        // Integers the IR holds are int32; anything else is a bug of the front end, not input.
        if ((e.v | 0) !== e.v) throw new Error(`internal error: constant ${String(e.v)} is not an int32`);
        return js`${e.v}`;
      case "fp":
        return js`fp`;
      case "self":
        return js`self`;
      case "current":
        return js`(cur !== 0 ? cur : F("no_task", MS[${this.messageId(NO_TASK)}], ${this.atSite}))`;
      case "load":
        return js`m[${this.int(e.addr)}]`;
      case "take":
        return js`(_t = m[fp + ${e.off}], m[fp + ${e.off}] = 0, _t)`;
      case "ptr":
        if (e.nullOnly === true)
          return js`((_t = ${this.int(e.e)}) !== 0 ? _t : F("null_deref", "NULL pointer dereference", ${this.spanId(e.span)}))`;
        return js`P(m, ${this.int(e.e)}, ${e.size}, ${this.spanId(e.span)})`;
      case "index":
        return e.unsigned
          ? js`XU(${this.int(e.e)}, ${e.n}, ${this.spanId(e.span)})`
          : js`X(${this.int(e.e)}, ${e.n}, ${this.spanId(e.span)})`;
      case "un":
        if (e.op === "-") return js`(-${this.int(e.e)} | 0)`;
        if (e.op === "~") return js`(~${this.int(e.e)})`;
        return js`(${this.cond(e.e)} ? 0 : 1)`;
      case "bool":
        return js`(${this.int(e.e)} !== 0 ? 1 : 0)`;
      case "char":
        return js`((${this.int(e.e)} << 24) >> 24)`;
      case "wrap":
        return e.unsigned
          ? js`((${this.int(e.e)} << ${32 - e.bits}) >>> ${32 - e.bits})`
          : js`((${this.int(e.e)} << ${32 - e.bits}) >> ${32 - e.bits})`;
      case "layout":
        return js`L(m, ${this.int(e.e)}, ${this.layoutId(e.to)}, ${this.spanId(e.span)})`;
      case "cond":
        return js`(${this.cond(e.c)} ? ${this.int(e.t)} : ${this.int(e.f)})`;
      case "padd":
      case "pdiff":
      case "pcmp":
      case "p2i":
      case "i2p":
      case "callee":
        return this.pointerOp(e);
      case "bin": {
        const l = this.int(e.l);
        const r = this.int(e.r);
        switch (e.op) {
          case "+":
            return js`((${l} + ${r}) | 0)`;
          case "-":
            return js`((${l} - ${r}) | 0)`;
          case "*":
            return js`Math.imul(${l}, ${r})`;
          case "/":
            return js`D(${l}, ${r}, ${this.spanId(e.span)})`;
          case "%":
            return js`M(${l}, ${r}, ${this.spanId(e.span)})`;
          case "u/":
            return js`UD(${l}, ${r}, ${this.spanId(e.span)})`;
          case "u%":
            return js`UM(${l}, ${r}, ${this.spanId(e.span)})`;
          case "<<":
            return js`(${l} << SH(${r}, ${this.spanId(e.span)}))`;
          case ">>":
            return js`(${l} >> SH(${r}, ${this.spanId(e.span)}))`;
          case "u>>":
            return js`((${l} >>> SH(${r}, ${this.spanId(e.span)})) | 0)`;
          case "&":
            return js`(${l} & ${r})`;
          case "|":
            return js`(${l} | ${r})`;
          case "^":
            return js`(${l} ^ ${r})`;
          default:
            return js`(${this.cond(e)} ? 1 : 0)`;
        }
      }
    }
  }

  /** JS for the IR's pointer operations: calls of the checks in pointerChecks.ts. */
  private pointerOp(e: Extract<IExpr, { k: "padd" | "pdiff" | "pcmp" | "p2i" | "i2p" | "callee" }>): Js {
    const s = this.spanId(e.span);
    switch (e.k) {
      case "padd":
        return js`PA(m, ${this.int(e.p)}, ${this.int(e.n)}, ${e.scale}, ${s})`;
      case "pdiff":
        return js`PD(m, ${this.int(e.l)}, ${this.int(e.r)}, ${e.scale}, ${s})`;
      case "pcmp":
        return js`(PC(m, ${this.int(e.l)}, ${this.int(e.r)}, ${["<", "<=", ">", ">="].indexOf(e.op)}, ${s}) ? 1 : 0)`;
      case "p2i":
        return js`PI(${this.int(e.e)}, ${s})`;
      case "i2p":
        return js`IP(${this.int(e.e)}, ${s})`;
      case "callee": {
        const ok = joinJs(
          e.ok.map((v) => js`${v}`),
          js`, `,
        );
        return js`CE(${this.int(e.e)}, [${ok}], MS[${this.messageId(e.type)}], ${s})`;
      }
    }
  }

  /** JS for an expression used as a condition (a JS boolean). */
  cond(e: IExpr): Js {
    if (e.k === "bin") {
      switch (e.op) {
        case "<":
          return js`(${this.int(e.l)} < ${this.int(e.r)})`;
        case "<=":
          return js`(${this.int(e.l)} <= ${this.int(e.r)})`;
        case ">":
          return js`(${this.int(e.l)} > ${this.int(e.r)})`;
        case ">=":
          return js`(${this.int(e.l)} >= ${this.int(e.r)})`;
        case "==":
          return js`(${this.int(e.l)} === ${this.int(e.r)})`;
        case "!=":
          return js`(${this.int(e.l)} !== ${this.int(e.r)})`;
        case "u<":
          return js`((${this.int(e.l)} >>> 0) < (${this.int(e.r)} >>> 0))`;
        case "u<=":
          return js`((${this.int(e.l)} >>> 0) <= (${this.int(e.r)} >>> 0))`;
        case "u>":
          return js`((${this.int(e.l)} >>> 0) > (${this.int(e.r)} >>> 0))`;
        case "u>=":
          return js`((${this.int(e.l)} >>> 0) >= (${this.int(e.r)} >>> 0))`;
        case "&&":
          return js`(${this.cond(e.l)} && ${this.cond(e.r)})`;
        case "||":
          return js`(${this.cond(e.l)} || ${this.cond(e.r)})`;
        default:
          break;
      }
    }
    if (e.k === "un" && e.op === "!") return js`!${this.cond(e.e)}`;
    if (e.k === "bool") return this.cond(e.e);
    if (e.k === "const") return e.v !== 0 ? js`true` : js`false`;
    return js`(${this.int(e)} !== 0)`;
  }
}

const NO_SPAN: Span = { file: -1, start: 0, end: 0 };

/** An address inside the running function's own frame (fp plus offsets and checked indices). */
function fpRooted(e: IExpr): boolean {
  return e.k === "fp" || (e.k === "bin" && e.op === "+" && fpRooted(e.l));
}
