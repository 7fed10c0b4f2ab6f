// The IR that KC lowers to: pure expressions over word memory, and instructions in a flat code array.
import type { BinaryOp, Span } from "./ast";
import type { Type } from "./types";

/**
 * A pure expression: no side effects, no calls. Evaluating it may still fail at run time
 * (NULL dereference, index out of range, division by zero), which is a violation.
 * Addresses are plain word-valued expressions.
 */
export type IExpr =
  | { k: "const"; v: number }
  /** The frame pointer of the running function (locals are at fp + offset). */
  | { k: "fp" }
  /** The running process's instance number (`self`). */
  | { k: "self" }
  /** The running task's task_struct address (`current`); 0 in interrupt context. */
  | { k: "current" }
  /** Reads one word. `local` marks a private, never-escaping local (its access commutes with everything). */
  | { k: "load"; addr: IExpr; local: boolean }
  /** Reads a compiler temporary and clears it, so dead temporaries never make states differ. */
  | { k: "take"; off: number }
  /**
   * A pointer that is dereferenced: the object of `size` words it points to must lie in memory;
   * yields it. `nullOnly`: an address taken through the pointer (`&p->f`, `p->arr` decayed),
   * which reads nothing, so only NULL is a fault (NULL plus an offset would otherwise land in
   * whatever the low words hold); the value is yielded unchanged, a stack pointer's tag kept.
   */
  | { k: "ptr"; e: IExpr; size: number; span: Span; nullOnly?: true }
  /** Checks 0 <= e < n (an array index); yields e. `unsigned`: a fault names e as unsigned. */
  | { k: "index"; e: IExpr; n: number; span: Span; unsigned?: true }
  | { k: "un"; op: "-" | "!" | "~"; e: IExpr }
  | { k: "bin"; op: BinOp; l: IExpr; r: IExpr; span: Span }
  | { k: "cond"; c: IExpr; t: IExpr; f: IExpr }
  /** Normalises to 0/1 (conversion to bool). */
  | { k: "bool"; e: IExpr }
  /** Wraps to a signed 8-bit value (conversion to char). */
  | { k: "char"; e: IExpr }
  /**
   * Conversion to a narrow integer type (C11 6.3.1.3): the value modulo 2^bits, as an unsigned
   * value in [0, 2^bits) or, signed, in [-2^(bits-1), 2^(bits-1)) (gcc's wrap, implementation-defined
   * in C). Words of those types always hold values so normalised (model/ctypes.ts).
   */
  | { k: "wrap"; e: IExpr; bits: 8 | 16; unsigned: boolean }
  /**
   * A pointer converted to point at `to` (a cast, or a `void *` made into another pointer): the
   * memory it points into must be laid out as `to` over the words they share (model/objects.ts
   * layoutMismatch); NULL passes. Yields the pointer. KC stores every scalar in one word, so
   * reading an int as a char through such a pointer could not mean what C means.
   */
  | { k: "layout"; e: IExpr; to: Type; span: Span }
  // Pointers as the kernel uses them (model/elab/pointers.ts; checked by checker/pointerChecks.ts):
  /**
   * p + n elements of `scale` words: the result must lie inside the object p points into or one
   * past its end (C's rule, checked when the program runs); a stack pointer keeps its tag.
   */
  | { k: "padd"; p: IExpr; n: IExpr; scale: number; span: Span }
  /** p - q in elements of `scale` words (an int): both must point into one object. */
  | { k: "pdiff"; l: IExpr; r: IExpr; scale: number; span: Span }
  /** A relational comparison of two pointers into one object (C leaves any other undefined). */
  | { k: "pcmp"; op: "<" | "<=" | ">" | ">="; l: IExpr; r: IExpr; span: Span }
  /**
   * A pointer converted to an integer: NULL gives 0, an error pointer its errno value; a pointer
   * to an object or a function has no integer in KC's word memory (a fault).
   */
  | { k: "p2i"; e: IExpr; span: Span }
  /** An integer converted to a pointer: only 0 (NULL) and -MAX_ERRNO..-1 (ERR_PTR) mean something. */
  | { k: "i2p"; e: IExpr; span: Span }
  /**
   * The function a call through a pointer enters: the value must be one of `ok` (function
   * pointer values, fnPointer), else a fault (NULL, an error pointer, another function's type).
   */
  | { k: "callee"; e: IExpr; ok: number[]; type: string; span: Span };

/**
 * The binary operators of the IR: KC's (`&&`/`||` stay lazy inside pure expressions), on words
 * read as signed 32-bit ints, and the unsigned variants of those whose result depends on the
 * sign: their operands are read as unsigned 32-bit values (`u>>` shifts in zeros). `+ - * & | ^
 * <<` and `== !=` mean the same on both, modulo 2^32. A shift count outside 0..31 is a fault
 * (`bad_shift`; undefined in C).
 */
export type BinOp = BinaryOp | UnsignedOp;

/** The unsigned variants of the sign-dependent operators (see BinOp). */
export type UnsignedOp = "u<" | "u<=" | "u>" | "u>=" | "u/" | "u%" | "u>>";

/** One instruction. `at` indexes the program's source map (`Lowered.sites`). */
export type Instr =
  /** m[addr] = value; with a declared range, a value outside it is a violation. */
  | {
      k: "store";
      addr: IExpr;
      value: IExpr;
      range: [number, number] | null;
      at: number;
      /** The address is in the running frame but in a local whose address is taken: others may read it. */
      escapes?: true;
    }
  | { k: "branch"; cond: IExpr; t: number; f: number; at: number }
  | { k: "jump"; to: number; at: number }
  | { k: "switch"; value: IExpr; cases: Array<[number, number]>; dflt: number; at: number }
  /**
   * Calls function `fn` (see `Lowered.functionUnits`); its result, if any, goes to the
   * caller's frame words from `destOff` (`destWords` of them: a struct result has one per word,
   * 1 if absent). `args` holds one value per parameter word, stored at the callee's
   * `Unit.paramWords`: a struct argument is a copy, word by word, as C passes it. The callee's
   * frame starts right after the caller's.
   */
  | { k: "call"; fn: number; args: IExpr[]; destOff: number | null; destWords?: number; at: number }
  /** Returns `values`, one per word of the result (none for void), all read before the frame is freed. */
  | { k: "ret"; values: IExpr[]; at: number }
  | { k: "assert"; cond: IExpr; message: string; at: number; shown?: Operand[] }
  | { k: "assume"; cond: IExpr; at: number }
  | { k: "await"; cond: IExpr; at: number }
  /** m[dest] = a value in [lo, hi] picked by the explorer. */
  | { k: "choose"; dest: IExpr; lo: IExpr; hi: IExpr; at: number }
  | { k: "atomic"; delta: 1 | -1; at: number }
  /** A kernel primitive implemented by the machine (schedule, cli, sti, save_flags, restore_flags, ...). */
  | { k: "prim"; name: PrimName; args: IExpr[]; at: number }
  /** m[fp + destOff] = a free object of pool `pool`, marked allocated; NULL when the pool is empty. */
  | { k: "kmalloc"; pool: number; destOff: number; at: number }
  /** Returns the object `ptr` points to to its pool, zeroed; faults on a bad or double free. */
  | { k: "kfree"; ptr: IExpr; at: number }
  /**
   * The end of a process body, interrupt handler or init. `keep`: words of a process body's frame
   * (offset, length) that properties read (`worker[1].x`), kept when the process exits, as a
   * zombie keeps its task_struct; the rest of the stack is cleared.
   */
  | { k: "exit"; at: number; keep?: Array<[number, number]> };

export type PrimName =
  | "schedule"
  | "cli"
  | "sti"
  | "save_flags"
  | "restore_flags"
  | "arch_local_irq_disable"
  | "arch_local_irq_enable"
  | "arch_local_irq_restore"
  /** kernel/sched/core.c do_task_dead: the process ends here, from any depth (its body's exit). */
  | "do_task_dead";

/**
 * The pc of a task block that runs no code: the task has exited, or an interrupt handler is
 * idle. `Lowered.code[0]` is a sentinel that is never run (its unit is -1), so that no
 * instruction of any unit is ever at this pc.
 */
export const PC_NONE = 0;

/**
 * Pointer values into a stack carry a tag above the address bits: 1 + the index in
 * `Lowered.stackTagUnits` of the unit whose frame they point into (`&local`, a local array). A state has at most 2^STACK_TAG_SHIFT words
 * (MAX_STATE_WORDS), so addresses fit below the tag. A dereference checks that the frame now
 * holding the address is of that unit: a pointer into a frame that returned cannot pass for one
 * into another function's frame that took its place (model/objects.ts).
 */
export const STACK_TAG_SHIFT = 18;
/** The address bits of a pointer value. */
export const ADDRESS_MASK = (1 << STACK_TAG_SHIFT) - 1;
/** Units that may take the address of a local, so that every tag fits a positive int32. */
export const MAX_TAGGED_UNITS = (1 << (31 - STACK_TAG_SHIFT)) - 2;

/** The tag of a pointer into a frame of the unit at `index` in `Lowered.stackTagUnits`. */
export function stackTag(index: number): number {
  return (index + 1) << STACK_TAG_SHIFT;
}

/** The address a pointer value points at, without its tag (for naming words in traces). */
export function untag(v: number): number {
  return v > ADDRESS_MASK ? v & ADDRESS_MASK : v;
}

/** include/linux/err.h: the largest errno an error pointer carries. */
export const MAX_ERRNO = 4095;
/**
 * Function pointer values lie far below the error pointers (-MAX_ERRNO..-1) and every data
 * address (>= 0): the value of a pointer to function `index` (Lowered.functionUnits) is
 * FN_POINTER_BASE + index, so neither kind can pass for the other.
 */
export const FN_POINTER_BASE = -(1 << 30);
/** Functions a program may take the address of (their pointer values stay below the error pointers). */
export const MAX_FUNCTIONS = 1 << 20;

/** The value of a pointer to function `index`. */
export function fnPointer(index: number): number {
  return FN_POINTER_BASE + index;
}

/** The function index a function pointer value names, or -1 when it is no function pointer value. */
export function fnIndexOf(v: number): number {
  return v >= FN_POINTER_BASE && v < FN_POINTER_BASE + MAX_FUNCTIONS ? v - FN_POINTER_BASE : -1;
}

/** Whether `v` is an error pointer (ERR_PTR(-MAX_ERRNO) .. ERR_PTR(-1)). */
export function isErrorPointer(v: number): boolean {
  return v < 0 && v >= -MAX_ERRNO;
}

/** Per-instruction flags computed by lowering. */
export interface InstrInfo {
  /** A step may end before this instruction (it starts a statement, or resumes after a call). */
  boundary: boolean;
  /** The statement group starting here touches shared memory (only meaningful on boundaries). */
  visible: boolean;
  /**
   * For a visible group that may, when it runs, touch only objects no other task can reach yet:
   * the addresses it touches, evaluable before it runs (model/elab/privacy.ts). When every one
   * is private at that moment, the group merges into the step like a group of private locals.
   */
  privateAddrs?: IExpr[];
  /**
   * A place a property observes a task at (`at` labels, `in` functions): a step ends here
   * unless it began here, and the group is always visible, so the task rests here with merging
   * as without.
   */
  rest?: true;
  /** Index of the function or process body this instruction belongs to (into `Lowered.units`); -1 for the sentinel at PC_NONE. */
  unit: number;
}

/** A source location of an instruction, with the statement's text for traces. */
export interface Site {
  span: Span;
}

/** A named variable in memory, for naming changed words in traces. */
export interface VarInfo {
  name: string;
  type: Type;
  /** Word address for globals; frame offset for locals and parameters. */
  offset: number;
}

/** A function, a process body or an interrupt handler: a range of code plus its frame. */
export interface Unit {
  /** `init`: every init block of the program in one unit, run once before any process starts. */
  kind: "function" | "process" | "interrupt" | "init";
  name: string;
  entry: number;
  /** Words in this unit's frame: header (3 words for functions), parameters, locals, temporaries. */
  frameSize: number;
  /** Largest number of stack words this unit can need, callees included; -1 if recursive. */
  maxStack: number;
  params: VarInfo[];
  /** The frame offset of each parameter word, in order: where a call stores its `args`. */
  paramWords: number[];
  locals: VarInfo[];
  /**
   * Locals of an inner block whose address may be taken, each with a frame word that is 1 while
   * the block runs and 0 once it has ended, so that a pointer kept past the block is a fault
   * (stack-use-after-scope). A jump out of the block (break, goto) leaves it 1: missed, never false.
   */
  scoped: Array<{ offset: number; flag: number }>;
  returns: Type;
  span: Span;
}

/**
 * Frame header of a called function: just the return pc. The caller's frame pointer and
 * where the result goes follow from the return pc (`callerFrame`), so frames stay small.
 */
export const FRAME_HEADER = 1;

/**
 * For each return pc (the instruction after a call): the caller's frame size, so that the
 * caller's fp = callee fp - size, and the caller frame offset that receives the result (-1: none).
 */
export function callerFrames(p: Lowered): { frameSize: Int32Array; destOff: Int32Array } {
  const frameSize = new Int32Array(p.code.length + 1);
  const destOff = new Int32Array(p.code.length + 1).fill(-1);
  p.code.forEach((ins, i) => {
    if (ins.k !== "call") return;
    const unit = p.units[p.info[i]?.unit ?? -1];
    frameSize[i + 1] = unit ? unit.frameSize : 0;
    destOff[i + 1] = ins.destOff ?? -1;
  });
  return { frameSize, destOff };
}

export interface ProcessDecl {
  name: string;
  count: number;
  unit: number;
}

export interface PropertyDecl {
  kind: "invariant" | "final" | "reachable";
  name: string;
  expr: IExpr;
  span: Span;
  /** What a violation shows the values of. */
  shown?: Operand[];
}

/**
 * A variable an assert or property reads (`a`, `s->count`, `worker[1].x`), shown with its value
 * when the check fails: its source span and a pure expression that reads no temporary.
 */
export interface Operand {
  span: Span;
  e: IExpr;
  pointer: boolean;
}

export interface Expectation {
  verdict: "holds" | "violation";
  property: string | null;
  span: Span;
}

/**
 * A pool of objects for kmalloc (mm/slab.c's caches, bounded): `count` slots of one header
 * word (1 while allocated) followed by the object's `size` words, from address `base` on.
 */
export interface PoolDecl {
  typeName: string;
  type: Type;
  size: number;
  count: number;
  base: number;
}

/**
 * Where the machine finds the task_struct fields it reads and writes (word offsets into the
 * struct), and the struct's size: the layout comes from the program's `struct task_struct`.
 */
export interface TaskLayout {
  size: number;
  pid: number;
  state: number;
  signal: number;
  blocked: number;
}

/**
 * The execution model. "smp": any runnable task may take the next step. "up": one CPU, a
 * non-preemptive kernel (Linux 2.0): a task that entered the kernel (a call from its process
 * body) keeps the CPU until it sleeps or returns to its body; only interrupt handlers run
 * meanwhile (checker/schedule.ts).
 */
export type ExecModel = "smp" | "up";

/** A checked and lowered KC program: everything the checker needs, no syntax left. */
export interface Lowered {
  code: Instr[];
  info: InstrInfo[];
  sites: Site[];
  units: Unit[];
  globals: VarInfo[];
  /** Words of global memory, address 0 (NULL) included. */
  globalWords: number;
  /** Initial values of global memory, length globalWords. */
  globalInit: Int32Array;
  processes: ProcessDecl[];
  interrupts: ProcessDecl[];
  properties: PropertyDecl[];
  expect: Expectation | null;
  constants: Map<string, number>;
  pools: PoolDecl[];
  /** The units whose frames stack pointers may point into, by tag index (see stackTag). */
  stackTagUnits: number[];
  /**
   * The program moves pointers (arithmetic, subtraction, ordering): a word of no object follows
   * every variable, pool object and task_struct (KASAN's redzone), so that one past the end of
   * an object is never another object (model/elab/pointers.ts, layout.ts blockHeader).
   */
  redzones?: boolean;
  /** Unit index of each function, by the function index that `call` instructions carry (-1: no body). */
  functionUnits: number[];
  /** Name of each function, by function index: traces and faults name a function pointer by it. */
  functionNames: string[];
  structs: import("./types").StructTable;
  /** The unit of the program's init blocks, or -1 when it has none. */
  init: number;
  /** The program's struct task_struct, as the machine uses it. */
  task: TaskLayout;
  /**
   * Stack words that properties read (`worker[1].x`, on every instance it names): another
   * observer, so never an unpublished object (model/objects.ts unpublished).
   */
  observed: number[];
  model: ExecModel;
  /**
   * In the up model, the global word that holds the task block address of the task holding the
   * CPU (0: none, any runnable task may run); -1 in the smp model, whose states have no such word.
   */
  cpuWord: number;
  /**
   * Prelude functions the spec defines again (an era's `__sleep_on`, a buggy `__down_common`):
   * every call, the prelude's own included, runs the spec's definition. Reports list them.
   */
  replaced: { name: string; prelude: import("./ast").Span; spec: import("./ast").Span }[];
}
