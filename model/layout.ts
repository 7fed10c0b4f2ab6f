// The machine's memory layout: where globals, task blocks and stacks live in the state vector,
// and how a word address is named in a trace (`sem.count`, `worker[1].state`, `worker[0]:__down.wait.task`).

import { isUnsigned32 } from "./ctypes";
import { RECURSIVE_STACK_WORDS } from "./elaborate";
import type { Lowered, Unit, VarInfo } from "./ir";
import { callerFrames, FRAME_HEADER } from "./ir";
import { liveFrames } from "./objects";
import { type StructTable, sizeOf, type Type } from "./types";

/**
 * A task block is the machine's registers, then (for a process) the program's struct
 * task_struct, then the stack. The registers come first so that their offsets are fixed while
 * the task_struct is whatever the program declares (`Lowered.task`); `current` points at it.
 * Registers are not addressable from KC.
 */
export const T_PC = 0;
export const T_FP = 1;
/** Depth of nested `atomic` blocks the task is inside. */
export const T_ATOMIC = 2;
/**
 * Whether the task has interrupts disabled: 0 (on), IRQ_CLI, or IRQ_LOCAL (see those).
 */
export const T_IRQOFF = 3;
/**
 * Interrupts off by `cli()`, with the 2.0 meaning: the task runs alone (no other task and no
 * handler steps), so an irq-off region is one step even on SMP.
 */
export const IRQ_CLI = 1;
/**
 * Interrupts off on this CPU only (`arch_local_irq_disable()`, which the modern
 * `local_irq_disable()` and `spin_lock_irq*()` use): under smp the task is not preempted, but
 * tasks on the other CPUs run on, and a handler may fire on another CPU; under up it is cli.
 */
export const IRQ_LOCAL = 2;

/** include/asm-i386/system.h: EFLAGS' interrupt flag, the one bit of EFLAGS the model keeps. */
const EFLAGS_IF = 0x200;
/** The model's own bit in a saved flags word: interrupts were off on this CPU only (IRQ_LOCAL). */
const FLAGS_LOCAL = 1;

/** The flags word save_flags stores: IF when interrupts are on; else 0, or FLAGS_LOCAL for IRQ_LOCAL. */
export function savedFlags(irqOff: number): number {
  return irqOff === 0 ? EFLAGS_IF : irqOff === IRQ_LOCAL ? FLAGS_LOCAL : 0;
}

/** The T_IRQOFF value restore_flags gives back for a saved flags word (the kind that was saved). */
export function restoredIrqOff(flags: number): number {
  return (flags & EFLAGS_IF) !== 0 ? 0 : (flags & FLAGS_LOCAL) !== 0 ? IRQ_LOCAL : IRQ_CLI;
}

/**
 * Whether a task is asleep in schedule(): at a schedule() call, not TASK_RUNNING, and with no
 * signal that ends its sleep (the machine's schedule() rule, checker/compile.ts). Such a task is
 * on no CPU.
 */
export function asleepInSchedule(p: Lowered, isSchedulePc: Uint8Array, m: Int32Array, s: Slot): boolean {
  if (isSchedulePc[m[s.base + T_PC]!] !== 1) return false;
  const t = p.task;
  const st = m[s.task + t.state]!;
  return (
    st !== TASK_RUNNING &&
    !(st === TASK_INTERRUPTIBLE && (m[s.task + t.signal]! & ~m[s.task + t.blocked]!) !== 0) &&
    !((st & TASK_WAKEKILL) !== 0 && (m[s.task + t.signal]! & SIGKILL_BIT) !== 0)
  );
}

/** isSchedulePc[pc] = 1 where instruction pc is a schedule() call. */
export function schedulePcs(p: Lowered): Uint8Array {
  const out = new Uint8Array(p.code.length + 1);
  p.code.forEach((ins, pc) => {
    if (ins.k === "prim" && ins.name === "schedule") out[pc] = 1;
  });
  return out;
}

/**
 * Whether an interrupt handler that cannot go on (it waits for a lock or a condition) may be
 * locked up over the task it interrupted. KC does not say which CPU an interrupt lands on: if
 * some process is on a CPU (live, not asleep in schedule()) with interrupts on, the handler may
 * have interrupted it, and that task may be the one it waits for — a lockup (interrupt_blocks),
 * a false alarm when another task holds what it waits for. If every process on a CPU has
 * interrupts off, the handler can only be on a free CPU, spinning: it does not fire yet.
 */
export function handlerMayLockUp(
  p: Lowered,
  layout: Layout,
  isSchedulePc: Uint8Array,
  m: Int32Array,
): boolean {
  for (const s of layout.procs)
    if (m[s.base + T_PC] !== 0 && m[s.base + T_IRQOFF] === 0 && !asleepInSchedule(p, isSchedulePc, m, s))
      return true;
  return false;
}

/** Words of registers at the start of every task block; a process's task_struct follows. */
export const TASK_REGS = 4;

/** Words of a task block before its stack: registers, and a process's task_struct. */
export function blockHeader(p: Lowered, kind: Slot["kind"]): number {
  return kind === "process" ? TASK_REGS + p.task.size + (p.redzones === true ? 1 : 0) : TASK_REGS;
}

/** include/linux/sched.h: the state bit a fatal signal wakes (TASK_KILLABLE = TASK_WAKEKILL | TASK_UNINTERRUPTIBLE). */
export const TASK_WAKEKILL = 256;
/** The pending-signal bit of SIGKILL (signal 9): 1 << (9 - 1); it cannot be blocked. */
export const SIGKILL_BIT = 1 << 8;

export const TASK_RUNNING = 0;
export const TASK_INTERRUPTIBLE = 1;
export const TASK_UNINTERRUPTIBLE = 2;
/** include/linux/sched.h (2.0): TASK_ZOMBIE, the state of a task that has exited. */
export const TASK_ZOMBIE = 3;

/** The name of the up model's CPU word in traces; not a KC name, so no variable shadows it. */
export const CPU_NAME = "<cpu>";

/** One running instance: a process instance or an interrupt handler. */
export interface Slot {
  /** `worker[1]`, or `worker` for a single instance, or the handler's name. */
  label: string;
  /** `init` is the block the init blocks run on before the search (checker/init.ts); all zero after. */
  kind: "process" | "interrupt" | "init";
  /** Index into Lowered.processes or Lowered.interrupts (-1 for init). */
  decl: number;
  self: number;
  unit: number;
  /** Address of the task block (its registers). */
  base: number;
  /** Address of the task's struct task_struct (`current`); 0 for an interrupt handler. */
  task: number;
  stackBase: number;
  /** One past the last stack word. */
  stackEnd: number;
}

export interface Layout {
  words: number;
  slots: Slot[];
  /** The process instances (a prefix of slots). */
  procs: Slot[];
  handlers: Slot[];
  /** The init blocks' task block, last of the slots; null without init blocks. */
  init: Slot | null;
}

/** Lays out globals, then every process instance's task block and stack, then handler blocks. */
export function layoutMachine(p: Lowered): Layout {
  const slots: Slot[] = [];
  let addr = p.globalWords;
  const add = (kind: Slot["kind"], decl: number, name: string, count: number, unitIdx: number): void => {
    const unit = p.units[unitIdx] as Unit;
    const stack = unit.maxStack < 0 ? RECURSIVE_STACK_WORDS : Math.max(1, unit.maxStack);
    for (let i = 0; i < count; i++) {
      const base = addr;
      const header = blockHeader(p, kind);
      slots.push({
        label: count > 1 || kind === "process" ? `${name}[${i}]` : name,
        kind,
        decl,
        self: i,
        unit: unitIdx,
        base,
        task: kind === "process" ? base + TASK_REGS : 0,
        stackBase: base + header,
        stackEnd: base + header + stack,
      });
      addr = base + header + stack;
    }
  };
  p.processes.forEach((d, i) => {
    add("process", i, d.name, d.count, d.unit);
  });
  p.interrupts.forEach((d, i) => {
    add("interrupt", i, d.name, 1, d.unit);
  });
  // init's block stays in every state, all zero once init has run: one more component that
  // never changes, rather than a second layout (and compiled program) for init alone.
  if (p.init >= 0) add("init", -1, "init", 1, p.init);
  // Single-instance processes read better without "[0]".
  for (const s of slots)
    if (s.kind === "process" && (p.processes[s.decl]?.count ?? 0) === 1)
      s.label = p.processes[s.decl]?.name ?? s.label;
  return {
    words: addr,
    slots,
    procs: slots.filter((s) => s.kind === "process"),
    handlers: slots.filter((s) => s.kind === "interrupt"),
    init: slots.find((s) => s.kind === "init") ?? null,
  };
}

/** The initial state: globals as initialised, every task RUNNING at the start of its body. */
export function initialState(p: Lowered, layout: Layout): Int32Array {
  const m = new Int32Array(layout.words);
  m.set(p.globalInit, 0);
  layout.procs.forEach((s, i) => {
    // Pids are 1, 2, ... in slot order: the processes in declaration order, each one's
    // instances by index (find_task_by_vpid relies on it).
    m[s.task + p.task.pid] = i + 1;
    m[s.task + p.task.state] = TASK_RUNNING;
    startTask(p, m, s);
  });
  return m;
}

/** Sets a task's registers to the start of its body: a process at the beginning, a handler as it fires. */
export function startTask(p: Lowered, m: Int32Array, s: Slot): void {
  const unit = p.units[s.unit] as Unit;
  m[s.base + T_PC] = unit.entry;
  m[s.base + T_FP] = s.stackBase;
  // A handler fires, and init runs, as one indivisible step from its first statement; a hard
  // interrupt handler runs with interrupts off (irqs_disabled() is true in it).
  if (s.kind !== "process") m[s.base + T_ATOMIC] = 1;
  if (s.kind === "interrupt") m[s.base + T_IRQOFF] = IRQ_CLI;
}

/**
 * Where a process ends from any depth (do_task_dead): the `exit` instruction of the body of the
 * process whose task block is at `tb`, and the body's frame pointer (its stack base).
 */
export function bodyExit(p: Lowered, layout: Layout, tb: number): { pc: number; fp: number } {
  const s = layout.procs.find((x) => x.base === tb);
  if (!s) throw new Error(`internal error: no process has its task block at ${tb}`);
  const pc = p.code.findIndex((ins, i) => ins.k === "exit" && p.info[i]?.unit === s.unit);
  if (pc < 0) throw new Error(`internal error: the body of ${s.label} has no exit`);
  return { pc, fp: s.stackBase };
}

/** Which unit's code an instruction belongs to. */
export function unitOfPc(p: Lowered, pc: number): Unit | undefined {
  const info = p.info[pc];
  return info ? p.units[info.unit] : undefined;
}

/**
 * Names every word of a state: globals by variable and field path, task fields and registers
 * by slot, and stack words by walking each task's frames (so a name is valid for that state).
 */
/** Names of every word, which words hold pointers, and the outermost object starting at an address. */
export interface MemoryNames {
  names: string[];
  pointer: Uint8Array;
  /** 1 where the word is an unsigned int, shown as 0 .. 4294967295 (it holds the bit pattern). */
  unsigned: Uint8Array;
  objects: Map<number, string>;
}

/**
 * Names every word of a state (globals by variable and field path, task fields and registers
 * by slot, stack words by walking each task's frames, so a name is valid for that state), with
 * pointer flags and object names for printing pointer values as `&sem.wait`.
 */
export function nameMemory(p: Lowered, layout: Layout, m: Int32Array): MemoryNames {
  const names: string[] = new Array(layout.words).fill("");
  const pointer = new Uint8Array(layout.words);
  const unsigned = new Uint8Array(layout.words);
  const objects = new Map<number, string>();
  const out: MemoryNames = { names, pointer, unsigned, objects };
  names[0] = "NULL";
  for (const g of p.globals) nameVar(out, g.name, g.type, g.offset, p.structs);
  // The up model's CPU word (checker/schedule.ts): a trace shows who holds the CPU.
  if (p.cpuWord > 0) names[p.cpuWord] = CPU_NAME;
  const frames = callerFrames(p);
  for (const s of layout.slots) {
    objects.set(s.kind === "process" ? s.task : s.base, s.label);
    if (s.kind === "process") nameVar(out, s.label, { k: "struct", name: "task_struct" }, s.task, p.structs);
    names[s.base + T_PC] = `${s.label}.pc`;
    names[s.base + T_FP] = `${s.label}.fp`;
    names[s.base + T_ATOMIC] = `${s.label}.atomic`;
    names[s.base + T_IRQOFF] = `${s.label}.irqs_off`;
    for (let a = s.stackBase; a < s.stackEnd; a++) names[a] = `${s.label}.stack[${a - s.stackBase}]`;
    // The live frames, innermost first, each known by its unit from the pc.
    for (const f of liveFrames(
      p,
      m,
      m[s.base + T_PC] as number,
      m[s.base + T_FP] as number,
      frames.frameSize,
    )) {
      const unit = p.units[f.unit] as Unit;
      const vars: VarInfo[] = [...unit.params, ...unit.locals];
      for (const v of vars)
        nameVar(out, `${s.label}:${unit.name}.${v.name}`, v.type, f.fp + v.offset, p.structs);
      if (unit.kind === "function")
        for (let i = 0; i < FRAME_HEADER; i++) names[f.fp + i] = `${s.label}:${unit.name}.<frame ${i}>`;
    }
  }
  return out;
}

function nameVar(
  out: MemoryNames,
  name: string,
  t: Type,
  addr: number,
  structs: StructTable,
  how: { anonymous?: boolean; second?: boolean } = {},
): void {
  if (addr < 0 || addr >= out.names.length) return;
  // An anonymous member is no object of its own: a pointer to its first field is named by the
  // field (`&b[0].list`), not by the struct holding it.
  if (!how.anonymous && !out.objects.has(addr)) out.objects.set(addr, name);
  if (t.k === "struct") {
    const info = structs.get(t.name);
    // A union's words take the names of the first member that reaches them; an anonymous
    // member's fields are named as the parent's.
    for (const [i, f] of (info?.fields ?? []).entries())
      nameVar(out, f.name === "" ? name : `${name}.${f.name}`, f.type, addr + f.offset, structs, {
        anonymous: f.name === "",
        second: how.second === true || (info?.union === true && i > 0),
      });
    return;
  }
  if (t.k === "array") {
    const es = sizeOf(t.of, structs);
    for (let i = 0; i < t.n; i++) nameVar(out, `${name}[${i}]`, t.of, addr + i * es, structs, how);
    return;
  }
  if (how.second && out.names[addr] !== "") return;
  out.names[addr] = name;
  if (t.k === "ptr") out.pointer[addr] = 1;
  if (isUnsigned32(t)) out.unsigned[addr] = 1;
}
