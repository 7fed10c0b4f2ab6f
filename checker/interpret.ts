// A reference interpreter of the IR: one process step by walking the code, for differential tests
// against the compiled step function and for replaying a step by hand while debugging.

import type { Span } from "../model/ast";
import { takes } from "../model/elab/util";
import {
  ADDRESS_MASK,
  type BinOp,
  FRAME_HEADER,
  type IExpr,
  type Instr,
  type Lowered,
  STACK_TAG_SHIFT,
} from "../model/ir";
import {
  blockHeader,
  bodyExit,
  handlerMayLockUp,
  IRQ_CLI,
  IRQ_LOCAL,
  layoutMachine,
  restoredIrqOff,
  SIGKILL_BIT,
  savedFlags,
  schedulePcs,
  T_ATOMIC,
  T_FP,
  T_IRQOFF,
  T_PC,
  TASK_INTERRUPTIBLE,
  TASK_REGS,
  TASK_RUNNING,
  TASK_WAKEKILL,
  TASK_ZOMBIE,
} from "../model/layout";
import { memoized } from "../model/memo";
import { notDataMessage } from "../model/objectBounds";
import {
  badCastMessage,
  describeStatic,
  kindMap,
  layoutMismatch,
  objectMap,
  unpublished,
  wordKinds,
} from "../model/objects";
import { sizeOf } from "../model/types";
import {
  ATOMIC_EXIT,
  BLOCKED,
  badShiftMessage,
  CUT,
  DIV_OVERFLOW,
  ENDLESS_STEP,
  FAULT,
  type FaultKind,
  finished,
  HANDLER_BLOCKS,
  MOVED,
  NEED_CHOICE,
  NO_TASK,
  PRUNED,
  STEP_BUDGET,
  type StepContext,
} from "./compile";
import { PointerChecker, PointerFault } from "./interpretPointers";

/** A program's layout and its schedule() sites, computed once per program interpreted. */
const layoutOf = memoized(layoutMachine);
const schedulePcsOf = memoized(schedulePcs);

/** Where a site has no span, the compiled code reports this one; so do we. */
const NO_SPAN: Span = { file: -1, start: 0, end: 0 };

/** A run-time violation raised while evaluating; caught once, at the step's end. */
class Trap {
  constructor(
    readonly kind: FaultKind,
    readonly message: string,
    readonly span: Span | null,
  ) {}
}

/** How a step ended: a return code for the caller. */
class Done {
  constructor(readonly code: number) {}
}

/**
 * Runs one step of the task whose block is at `tb`, exactly as the compiled step function of
 * `checker/compile.ts` does, but by walking the IR. Same arguments (`cur` is the task_struct
 * address, 0 for a handler; `lim` one past the task's last stack word), same return code
 * (BLOCKED, MOVED, FAULT, NEED_CHOICE, PRUNED, CUT; `ctx.short` is honoured), the same words
 * written to `m` — including the partial writes of a step that blocks, faults, needs a choice,
 * is pruned or is cut — and the same
 * fields set in `ctx`: `cpos` consumed from `cv`, `lo`/`hi` on NEED_CHOICE, and on FAULT the
 * kind, message, pc and span (spans compare equal by value, not by identity; a fault on a
 * corrupt pc carries no span). Pushes passed boundaries to `ctx.trail` when it is set, as the
 * tracing step does. Slow by design: it is a reference, never used to explore.
 */
export function interpretStep(
  p: Lowered,
  m: Int32Array,
  tb: number,
  cur: number,
  self: number,
  lim: number,
  ctx: StepContext,
): number {
  const pc = m[tb + T_PC]!;
  if (pc === 0) return BLOCKED;
  const run = new Run(p, m, tb, cur, self, lim, ctx, pc, m[tb + T_FP]!);
  try {
    return run.loop();
  } catch (e) {
    if (e instanceof Trap) {
      if (run.cut) return CUT;
      ctx.faultKind = e.kind;
      ctx.faultMessage = e.message;
      ctx.faultSpan = e.span;
      ctx.faultPc = run.pc;
      ctx.faultFp = run.fp;
      return FAULT;
    }
    throw e;
  }
}

/**
 * Evaluates property `index` of `p` on state `m` as the compiled predicate does (no frame, no
 * task: `fp`, `current` and `self` read as 0): 1 or 0, or throws an Error whose message is the
 * fault's message when the expression faults.
 */
export function interpretProperty(p: Lowered, index: number, m: Int32Array): number {
  const prop = p.properties[index];
  if (!prop) throw new RangeError(`no property ${index}`);
  const run = new Run(p, m, 0, 0, 0, 0, null, 0, 0);
  try {
    return run.truth(prop.expr) ? 1 : 0;
  } catch (e) {
    if (e instanceof Trap) throw new Error(e.message);
    throw e;
  }
}

/**
 * The value of a pure expression that reads no temporary (an assert's or property's operand) in
 * the frame at `fp` of the task whose task_struct is `cur`; null when evaluating it faults.
 */
export function interpretValue(
  p: Lowered,
  m: Int32Array,
  e: IExpr,
  regs: { fp: number; cur: number; self: number },
): number | null {
  const run = new Run(p, m, 0, regs.cur, regs.self, 0, null, 0, regs.fp);
  try {
    return run.int(e);
  } catch (err) {
    if (err instanceof Trap) return null;
    throw err;
  }
}

/** The registers of one step in progress, and the evaluator over them. */
class Run {
  /** 1 once the step has entered a statement group that touches shared memory (`vis`). */
  private vis = 0;
  /** `vis` as it was when the current visible group began: 0 means nothing visible done yet. */
  private prev = 0;
  /** True once the step passed the end of a visible group outside atomic (see CUT). */
  cut = false;
  private budget = STEP_BUDGET;

  constructor(
    private readonly p: Lowered,
    private readonly m: Int32Array,
    private readonly tb: number,
    private readonly cur: number,
    private readonly self: number,
    private readonly lim: number,
    private readonly ctx: StepContext | null,
    public pc: number,
    /** Read at a fault (ctx.faultFp). */
    public fp: number,
  ) {}

  private siteSpan(at: number): Span {
    return this.p.sites[at]?.span ?? NO_SPAN;
  }

  /** Leaves the step with pc at `at`, registers saved: the step moved. */
  private yieldAt(at: number): never {
    this.m[this.tb + T_PC] = at;
    this.m[this.tb + T_FP] = this.fp;
    this.noteCpu(at);
    throw new Done(MOVED);
  }

  /**
   * The up model's CPU word as a task's step ends at `at`: the task holds the CPU when it stops
   * inside a function (in the kernel) anywhere but at schedule(), and not in its process body.
   * A handler leaves the word alone.
   */
  private noteCpu(at: number): void {
    const { p } = this;
    if (p.model !== "up" || this.cur === 0) return;
    const unit = p.units[p.info[at]?.unit ?? -1];
    const ins = p.code[at];
    let sleeps = ins?.k === "prim" && ins.name === "schedule";
    // Before an await outside atomic and cli, the task sleeps when the condition is false.
    if (
      ins?.k === "await" &&
      !takes(ins.cond) &&
      (this.m[this.tb + T_ATOMIC]! | (this.m[this.tb + T_IRQOFF]! & IRQ_CLI)) === 0
    ) {
      try {
        sleeps = !this.truth(ins.cond);
      } catch (e) {
        if (!(e instanceof Trap)) throw e;
      }
    }
    this.m[p.cpuWord] = unit?.kind === "function" && !sleeps ? this.tb : 0;
  }

  /** Blocks at `at`: with nothing visible done yet there is no step at all, else the step ends here. */
  private blockAt(at: number): never {
    if (this.prev === 0) throw new Done(BLOCKED);
    this.yieldAt(at);
  }

  loop(): number {
    try {
      for (;;) this.exec();
    } catch (e) {
      if (e instanceof Done) return e.code;
      throw e;
    }
  }

  /** Executes the instruction at pc (after its boundary bookkeeping) and moves pc on. */
  private exec(): void {
    const { p, m, tb } = this;
    const i = this.pc;
    const ins = p.code[i];
    const info = p.info[i];
    if (!ins || !info) throw new Trap("bad_pointer", `corrupt program counter ${i}`, null);
    if (info.boundary) {
      if (--this.budget < 0) throw new Trap("infinite_loop", ENDLESS_STEP, this.siteSpan(ins.at));
      const alone = (m[tb + T_ATOMIC]! | (m[tb + T_IRQOFF]! & IRQ_CLI)) !== 0;
      if (info.visible && (alone || !this.unreachedByOthers(info.privateAddrs))) {
        // A second visible group ends the step here, unless the task holds atomic or cli; so
        // does any place a property observes that the step did not begin at.
        const began = this.budget === STEP_BUDGET - 1;
        if ((this.vis !== 0 || (info.rest === true && !began)) && !alone) this.yieldAt(i);
        this.prev = this.vis;
        this.vis = 1;
      } else if (this.vis !== 0 && !alone) {
        // The end of a visible group outside atomic: a short run ends here, any other notes
        // that a later fault must cut the step here instead (CUT).
        if (this.ctx?.short) this.yieldAt(i);
        this.cut = true;
      }
      // Only statements this step really runs go on the trail (not the one it stops before).
      this.ctx?.trail?.push(i);
    }
    this.pc = this.instr(ins, i);
  }

  /**
   * Whether a group that may be private is (model/elab/privacy.ts): every address it touches,
   * computed before it runs, lies in an object no other task can reach now (objects.ts).
   */
  private unreachedByOthers(addrs: IExpr[] | undefined): boolean {
    if (addrs === undefined) return false;
    const layout = layoutOf(this.p);
    const slot = layout.slots.findIndex((s) => s.base === this.tb);
    return addrs.every((a) => unpublished(this.p, layout, this.m, slot, this.before(a)));
  }

  /** An address's value before its group runs: no checks, and a temporary is read, not taken. */
  private before(e: IExpr): number {
    switch (e.k) {
      case "load":
        return this.m[this.before(e.addr)]!;
      case "take":
        return this.m[this.fp + e.off]!;
      case "current":
        return this.cur;
      case "ptr":
      case "index":
      case "layout":
        return this.before(e.e);
      case "un":
        return -this.before(e.e) | 0;
      case "bin": {
        const l = this.before(e.l);
        const r = this.before(e.r);
        return e.op === "+" ? (l + r) | 0 : e.op === "-" ? (l - r) | 0 : Math.imul(l, r);
      }
      default:
        return this.int(e);
    }
  }

  /** Executes instruction `i` (pc stays `i` while it runs, so a fault names it); returns the next pc. */
  private instr(ins: Instr, i: number): number {
    const { p, m, tb } = this;
    const next = i + 1;
    switch (ins.k) {
      case "store": {
        const a = this.int(ins.addr);
        const v = this.int(ins.value);
        m[a] = ins.range ? this.inRange(v, ins.range[0], ins.range[1], ins.at) : v;
        return next;
      }
      case "branch":
        return this.truth(ins.cond) ? ins.t : ins.f;
      case "jump":
        return ins.to;
      case "switch": {
        const v = this.int(ins.value);
        const hit = ins.cases.find(([c]) => c === v);
        return hit ? hit[1] : ins.dflt;
      }
      case "call": {
        const callee = p.units[p.functionUnits[ins.fn] ?? -1];
        const caller = p.units[p.info[i]?.unit ?? 0];
        if (!callee || !caller) throw new Error(`call to a function without a body (${ins.fn})`);
        const args = ins.args.map((a) => this.int(a));
        // The callee's frame starts right after the caller's: [return pc, parameters, locals...].
        const nf = this.fp + caller.frameSize;
        if (nf + callee.frameSize > this.lim)
          throw new Trap(
            "stack_overflow",
            "the stack of this task is exhausted (recursion too deep)",
            this.siteSpan(ins.at),
          );
        m[nf] = next;
        args.forEach((v, k) => {
          m[nf + (callee.paramWords[k] ?? FRAME_HEADER + k)] = v;
        });
        this.fp = nf;
        return callee.entry;
      }
      case "ret": {
        const unit = p.units[p.info[i]?.unit ?? 0];
        if (!unit) throw new Error(`ret outside a unit (${i})`);
        // All the result's words are read while the frame still holds them.
        const vs = ins.values.length === 0 ? [0] : ins.values.map((x) => this.int(x));
        const fp = this.fp;
        const back = m[fp]!;
        // The call just before the return pc says where the caller's frame starts and which of
        // its words receives the result.
        const call = p.code[back - 1];
        const callerUnit = call?.k === "call" ? p.units[p.info[back - 1]?.unit ?? -1] : undefined;
        const callerFp = fp - (callerUnit?.frameSize ?? 0);
        const destOff = call?.k === "call" && callerUnit ? call.destOff : null;
        // The popped frame is dead memory: zero it so equal situations hash equal.
        m.fill(0, fp, fp + unit.frameSize);
        if (destOff !== null) for (let w = 0; w < vs.length; w++) m[callerFp + destOff + w] = vs[w] as number;
        this.fp = callerFp;
        return back;
      }
      case "assert":
        if (!this.truth(ins.cond)) throw new Trap("assertion", ins.message, this.siteSpan(ins.at));
        return next;
      case "assume":
        if (!this.truth(ins.cond)) throw new Done(PRUNED);
        return next;
      case "await":
        if (!this.truth(ins.cond)) {
          // A handler that may have interrupted a task it waits for is locked up (layout.ts).
          if (this.cur === 0 && handlerMayLockUp(p, layoutOf(p), schedulePcsOf(p), m))
            throw new Trap("interrupt_blocks", HANDLER_BLOCKS, this.siteSpan(ins.at));
          this.blockAt(i);
        }
        return next;
      case "choose": {
        const lo = this.int(ins.lo);
        const hi = this.int(ins.hi);
        if (hi < lo)
          throw new Trap(
            "empty_choice",
            `choose(${lo}, ${hi}) has no value to choose`,
            this.siteSpan(ins.at),
          );
        const ctx = this.need();
        if (ctx.cpos >= ctx.cv.length) {
          ctx.lo = lo;
          ctx.hi = hi;
          throw new Done(NEED_CHOICE);
        }
        const dest = this.int(ins.dest);
        m[dest] = ctx.cv[ctx.cpos++]!;
        return next;
      }
      case "atomic":
        m[tb + T_ATOMIC] = m[tb + T_ATOMIC]! + ins.delta;
        return next;
      case "prim":
        if (ins.name === "do_task_dead") {
          if (this.cur === 0)
            throw new Trap(
              "no_task",
              "do_task_dead() called where no task runs (an interrupt handler)",
              this.siteSpan(ins.at),
            );
          if ((m[tb + T_ATOMIC]! | m[tb + T_IRQOFF]!) !== 0)
            throw new Trap("atomic_exit", ATOMIC_EXIT, this.siteSpan(ins.at));
          const exit = bodyExit(p, layoutOf(p), tb);
          this.fp = exit.fp;
          return exit.pc;
        }
        this.prim(ins, i);
        return next;
      case "kmalloc": {
        const pool = p.pools[ins.pool]!;
        let a = 0;
        for (let k = 0; k < pool.count; k++) {
          const h = pool.base + k * (pool.size + 1);
          if (m[h] === 0) {
            m[h] = 1;
            a = h + 1;
            break;
          }
        }
        m[this.fp + ins.destOff] = a;
        return next;
      }
      case "kfree": {
        const a = this.int(ins.ptr);
        if (a === 0) return next;
        const pool = p.pools.find(
          (q) => a > q.base && a < q.base + q.count * (q.size + 1) && (a - q.base - 1) % (q.size + 1) === 0,
        );
        if (!pool)
          throw new Trap("bad_free", "kfree of a pointer that kmalloc did not return", this.siteSpan(ins.at));
        if (m[a - 1] === 0)
          throw new Trap("double_free", "double free: the object was already kfree'd", this.siteSpan(ins.at));
        m.fill(0, a - 1, a + pool.size);
        return next;
      }
      case "exit": {
        const unit = p.units[p.info[i]?.unit ?? 0];
        if (unit?.kind !== "process") {
          // A handler's (or init's) block is all registers: it is idle again.
          m.fill(0, tb, this.lim);
          throw new Done(MOVED);
        }
        // The task becomes a zombie: registers and stack cleared, task_struct fields kept.
        m.fill(0, tb + T_PC, tb + TASK_REGS);
        // The stack is cleared but for the body's words that properties read (Instr exit).
        const stack = tb + blockHeader(p, "process");
        let from = stack;
        for (const [off, len] of ins.keep ?? []) {
          m.fill(0, from, stack + off);
          from = stack + off + len;
        }
        m.fill(0, from, this.lim);
        m[tb + TASK_REGS + p.task.state] = TASK_ZOMBIE;
        this.noteCpu(i);
        throw new Done(MOVED);
      }
    }
  }

  private prim(ins: Extract<Instr, { k: "prim" }>, i: number): void {
    const { m, tb, cur } = this;
    switch (ins.name) {
      case "schedule": {
        if (cur === 0)
          throw new Trap(
            "schedule_in_interrupt",
            "schedule() called from an interrupt handler",
            this.siteSpan(ins.at),
          );
        // kernel/sched.c: back only once TASK_RUNNING; an interruptible sleeper with an
        // unblocked pending signal is made running at once.
        const t = this.p.task;
        const st = m[cur + t.state]!;
        if (st === TASK_RUNNING) return;
        if (
          (st === TASK_INTERRUPTIBLE && (m[cur + t.signal]! & ~m[cur + t.blocked]!) !== 0) ||
          ((st & TASK_WAKEKILL) !== 0 && (m[cur + t.signal]! & SIGKILL_BIT) !== 0)
        )
          m[cur + t.state] = TASK_RUNNING;
        else this.blockAt(i);
        return;
      }
      case "cli":
        m[tb + T_IRQOFF] = IRQ_CLI;
        return;
      case "arch_local_irq_disable":
        if (m[tb + T_IRQOFF] !== IRQ_CLI) m[tb + T_IRQOFF] = this.p.model === "up" ? IRQ_CLI : IRQ_LOCAL;
        return;
      case "arch_local_irq_enable":
        m[tb + T_IRQOFF] = 0;
        return;
      case "sti":
        m[tb + T_IRQOFF] = 0;
        return;
      case "save_flags": {
        const a = this.int(ins.args[0] as IExpr);
        m[a] = savedFlags(m[tb + T_IRQOFF]!);
        return;
      }
      case "restore_flags":
      case "arch_local_irq_restore":
        m[tb + T_IRQOFF] = restoredIrqOff(this.int(ins.args[0] as IExpr));
        return;
    }
  }

  private need(): StepContext {
    if (!this.ctx) throw new Error("choose outside a step");
    return this.ctx;
  }

  private inRange(v: number, lo: number, hi: number, at: number): number {
    if (v >= lo && v <= hi) return v;
    throw new Trap("range_overflow", `value ${v} is outside int<${lo}..${hi}>`, this.siteSpan(at));
  }

  /** An expression as a condition: true when its value is not 0 (right operands of && and || only when needed). */
  truth(e: IExpr): boolean {
    return this.int(e) !== 0;
  }

  /** An expression's int32 value; operands left to right, faults as Traps. */
  int(e: IExpr): number {
    const m = this.m;
    switch (e.k) {
      case "const":
        return e.v;
      case "fp":
        return this.fp;
      case "self":
        return this.self;
      case "current":
        if (this.cur === 0) throw new Trap("no_task", NO_TASK, this.siteSpan(this.p.code[this.pc]?.at ?? 0));
        return this.cur;
      case "load":
        return m[this.int(e.addr)]!;
      case "take": {
        // A temporary is read once: clear it so dead temporaries never make states differ.
        const v = m[this.fp + e.off]!;
        m[this.fp + e.off] = 0;
        return v;
      }
      case "ptr": {
        const v = this.int(e.e);
        if (e.nullOnly === true) {
          if (v === 0) throw new Trap("null_deref", "NULL pointer dereference", e.span);
          return v;
        }
        return this.deref(v, e.size, e.span);
      }
      case "index": {
        const x = this.int(e.e);
        if (x >= 0 && x < e.n) return x;
        const shown = e.unsigned ? unsigned(x) : x;
        throw new Trap("out_of_bounds", `index ${shown} is out of bounds for an array of ${e.n}`, e.span);
      }
      case "un":
        if (e.op === "-") return -this.int(e.e) | 0;
        if (e.op === "~") return ~this.int(e.e);
        return this.truth(e.e) ? 0 : 1;
      case "bool":
        return this.truth(e.e) ? 1 : 0;
      case "char":
        return (this.int(e.e) << 24) >> 24;
      case "wrap": {
        // Modulo 2^bits by arithmetic on numbers, not by the shifts the compiled code uses.
        const size = 2 ** e.bits;
        const v = ((this.int(e.e) % size) + size) % size;
        return !e.unsigned && v >= size / 2 ? v - size : v;
      }
      case "layout": {
        const v = this.int(e.e);
        if (v === 0) return v;
        const layout = layoutOf(this.p);
        const bad = layoutMismatch(
          this.p,
          objectMap(this.p, layout),
          kindMap(this.p, layout),
          layout,
          this.m,
          v,
          wordKinds(e.to, this.p.structs),
        );
        if (bad) throw new Trap("bad_cast", badCastMessage(e.to, bad), e.span);
        return v;
      }
      case "cond":
        return this.truth(e.c) ? this.int(e.t) : this.int(e.f);
      case "bin":
        return this.bin(e.op, e.l, e.r, e.span);
      case "padd":
      case "pdiff":
      case "pcmp":
      case "p2i":
      case "i2p":
      case "callee":
        return this.pointerOp(e);
    }
  }

  /** The IR's pointer operations, checked by interpretPointers.ts; operands left to right. */
  private pointerOp(e: Extract<IExpr, { k: "padd" | "pdiff" | "pcmp" | "p2i" | "i2p" | "callee" }>): number {
    const checker = (): PointerChecker =>
      new PointerChecker(this.p, layoutOf(this.p), this.m, { tb: this.tb, pc: this.pc, fp: this.fp });
    try {
      switch (e.k) {
        case "padd": {
          const v = this.int(e.p);
          return checker().add(v, this.int(e.n), e.scale, e.span);
        }
        case "pdiff": {
          const l = this.int(e.l);
          return checker().diff(l, this.int(e.r), e.scale, e.span);
        }
        case "pcmp": {
          const l = this.int(e.l);
          return checker().compare(e.op, l, this.int(e.r), e.span);
        }
        case "p2i":
          return PointerChecker.toInt(this.int(e.e), e.span);
        case "i2p":
          return PointerChecker.toPointer(this.int(e.e), e.span);
        case "callee":
          return PointerChecker.callee(this.p, this.int(e.e), e.ok, e.type, e.span);
      }
    } catch (x) {
      if (x instanceof PointerFault) throw new Trap(x.kind, x.message, x.span);
      throw x;
    }
  }

  /**
   * A dereference of `size` words at `a`: they must lie inside one live object. Found here by
   * searching the declarations and walking frames by their units, independently of the
   * compiled code's tables (model/objects.ts); the messages are the same.
   */
  private deref(value: number, size: number, span: Span): number {
    const { p, m } = this;
    const layout = layoutOf(p);
    // A pointer into a stack carries the unit of its frame above the address bits (ir.ts).
    const tagged = value > ADDRESS_MASK;
    const a = tagged ? value & ADDRESS_MASK : value;
    const expected = tagged ? (p.stackTagUnits[(value >>> STACK_TAG_SHIFT) - 1] ?? -2) : -1;
    const inStack = layout.slots.some((sl) => a >= sl.stackBase && a < sl.stackEnd);
    if (value === 0) throw new Trap("null_deref", "NULL pointer dereference", span);
    if (value < 0) throw new Trap("bad_pointer", notDataMessage(p, value), span);
    if (value < 0 || a >= m.length || (tagged && (!inStack || expected === -2)))
      throw new Trap("bad_pointer", `pointer ${value} points outside memory`, span);
    const words = (n: number): string => `${n} word${n === 1 ? "" : "s"}`;
    const past = (end: number): Trap =>
      new Trap(
        "out_of_bounds",
        `an access of ${words(size)} at word ${a} runs past the end of ${describeStatic(p, layout, a)} (it ends at word ${end})`,
        span,
      );
    for (const q of p.pools) {
      const stride = q.size + 1;
      if (a < q.base || a >= q.base + q.count * stride) continue;
      if ((a - q.base) % stride === 0)
        throw new Trap(
          "bad_pointer",
          `pointer ${a} points to no object (${describeStatic(p, layout, a)})`,
          span,
        );
      const h = a - ((a - q.base) % stride);
      if (a + size > h + stride) throw past(h + stride);
      // Memory of a freed pool object (its allocated flag is 0) is not there any more.
      if (m[h] === 0)
        throw new Trap(
          "use_after_free",
          "use after free: this access reaches an object that was kfree'd",
          span,
        );
      return a;
    }
    for (const g of p.globals) {
      const end = g.offset + sizeOf(g.type, p.structs);
      if (a >= g.offset && a < end) {
        if (a + size > end) throw past(end);
        return a;
      }
    }
    for (const sl of layout.slots) {
      const fields = sl.kind === "process" ? p.task.size : 0;
      if (a >= sl.task && a < sl.task + fields) {
        if (a + size > sl.task + fields) throw past(sl.task + fields);
        return a;
      }
      if (a < sl.stackBase || a >= sl.stackEnd) continue;
      const where = `${sl.label}'s stack (word ${a - sl.stackBase})`;
      const running = sl.base === this.tb;
      let pc = running ? this.pc : m[sl.base + T_PC]!;
      let fp = running ? this.fp : m[sl.base + T_FP]!;
      let unit = p.units[p.info[pc]?.unit ?? -1];
      const dead = (): Trap =>
        new Trap(
          "use_after_return",
          pc === 0
            ? `use after return: the pointer points into ${where}, and that ${finished(sl.kind)}`
            : `use after return: the pointer points into ${where}, in a frame that has returned`,
          span,
        );
      if (pc === 0 || !unit || a >= fp + unit.frameSize) throw dead();
      // Down the caller chain until the frame that holds a.
      while (a < fp && unit?.kind === "function") {
        const back = m[fp]!;
        unit = p.units[p.info[back]?.unit ?? -1];
        fp -= unit?.frameSize ?? 0;
        pc = back;
      }
      if (expected >= 0 && unit !== p.units[expected]) throw dead();
      // An inner block's local whose block has ended (Unit.scoped).
      const scoped = unit?.scoped.find((x) => {
        const sv = unit.locals.find((l) => l.offset === x.offset);
        return sv !== undefined && a >= fp + x.offset && a < fp + x.offset + sizeOf(sv.type, p.structs);
      });
      if (scoped && m[fp + scoped.flag] === 0)
        throw new Trap(
          "use_after_return",
          `use after scope: the pointer points into ${where}, a variable of a block that has ended`,
          span,
        );
      const v = unit
        ? [...unit.params, ...unit.locals].find(
            (x) => a >= fp + x.offset && a < fp + x.offset + sizeOf(x.type, p.structs),
          )
        : undefined;
      if (!v) throw new Trap("bad_pointer", `the pointer points into ${where}, at no variable`, span);
      if (a + size > fp + v.offset + sizeOf(v.type, p.structs))
        throw new Trap(
          "out_of_bounds",
          `an access of ${words(size)} at ${where} runs past the end of its variable`,
          span,
        );
      return a;
    }
    throw new Trap("bad_pointer", `pointer ${a} points to no object (${describeStatic(p, layout, a)})`, span);
  }

  private bin(op: BinOp, le: IExpr, re: IExpr, span: Span): number {
    if (op === "&&") return this.truth(le) && this.truth(re) ? 1 : 0;
    if (op === "||") return this.truth(le) || this.truth(re) ? 1 : 0;
    const l = this.int(le);
    const r = this.int(re);
    switch (op) {
      case "+":
        return (l + r) | 0;
      case "-":
        return (l - r) | 0;
      case "*":
        return Math.imul(l, r);
      case "/":
        if (r === 0) throw new Trap("div_by_zero", "division by zero", span);
        if (r === -1 && l === -2147483648) throw new Trap("div_overflow", DIV_OVERFLOW, span);
        return (l / r) | 0;
      case "%":
        if (r === 0) throw new Trap("div_by_zero", "remainder by zero", span);
        if (r === -1 && l === -2147483648) throw new Trap("div_overflow", DIV_OVERFLOW, span);
        return (l % r) | 0;
      case "u/":
        if (r === 0) throw new Trap("div_by_zero", "division by zero", span);
        return asInt32(Math.trunc(unsigned(l) / unsigned(r)));
      case "u%":
        if (r === 0) throw new Trap("div_by_zero", "remainder by zero", span);
        return asInt32(unsigned(l) % unsigned(r));
      case "<<":
        return l << shiftCount(r, span);
      case ">>":
        return l >> shiftCount(r, span);
      case "u>>":
        return asInt32(Math.floor(unsigned(l) / 2 ** shiftCount(r, span)));
      case "u<":
        return unsigned(l) < unsigned(r) ? 1 : 0;
      case "u<=":
        return unsigned(l) <= unsigned(r) ? 1 : 0;
      case "u>":
        return unsigned(l) > unsigned(r) ? 1 : 0;
      case "u>=":
        return unsigned(l) >= unsigned(r) ? 1 : 0;
      case "&":
        return l & r;
      case "|":
        return l | r;
      case "^":
        return l ^ r;
      case "<":
        return l < r ? 1 : 0;
      case "<=":
        return l <= r ? 1 : 0;
      case ">":
        return l > r ? 1 : 0;
      case ">=":
        return l >= r ? 1 : 0;
      case "==":
        return l === r ? 1 : 0;
      case "!=":
        return l !== r ? 1 : 0;
    }
  }
}

/** A word read as an unsigned 32-bit value. */
function unsigned(w: number): number {
  return w < 0 ? w + 2 ** 32 : w;
}

/** An unsigned 32-bit value as the word that holds it. */
function asInt32(v: number): number {
  return v >= 2 ** 31 ? v - 2 ** 32 : v;
}

/** A shift count: C defines only 0 to 31 for a (promoted) 32-bit operand. */
function shiftCount(n: number, span: Span): number {
  if (n < 0 || n > 31) throw new Trap("bad_shift", badShiftMessage(n), span);
  return n;
}
