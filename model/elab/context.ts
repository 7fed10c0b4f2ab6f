// The elaborator's shared state: symbol tables, the code being emitted, diagnostics, and the
// unit being lowered. Each layer of the elaborator (declarations, expressions, calls, statements,
// the program) extends the one before it; a call to a later layer goes through an abstract method.
import type { Decl, Expr, Span, Stmt, TypeExpr } from "../ast";
import { type Code, DiagnosticBag } from "../diagnostics";
import {
  FRAME_HEADER,
  type IExpr,
  type Instr,
  type InstrInfo,
  type Lowered,
  type PoolDecl,
  type ProcessDecl,
  type PropertyDecl,
  type Site,
  type Unit,
  type VarInfo,
} from "../ir";
import { type CLayout, type StructTable, type Type, VOID } from "../types";

/** How the program is cut into steps. */
export interface ElaborateOptions {
  /**
   * Make every statement its own step, even one that touches only private locals. The default
   * merges such statements into their neighbours (they commute with everything); this switch
   * exists so that tests can compare the merged search with the plain one.
   */
  noMerge?: boolean;
  /**
   * A call from a process body starts a step of its own in every model, as it does under the
   * up model (a system call): so that tests can compare the models with the same cut points.
   */
  callBoundaries?: boolean;
  /**
   * SMP race finding: every read or write of shared memory is a step of its own, so `x++` on a
   * shared x is a read step and a write step. Hardware-atomic operations must then be written
   * in `atomic { }`. Await and assume conditions are still evaluated in one step.
   */
  fine?: boolean;
  /**
   * A word of no object after every variable and pool (KASAN's redzone), so that a pointer one
   * past the end of an object never equals a pointer to the next one: set by elaborate() for a
   * program with pointer arithmetic (model/elab/pointers.ts), whose checks tell objects apart.
   */
  redzones?: boolean;
  /**
   * The source file index of the kernel prelude: its struct task_struct is the default that a
   * program's own definition replaces (see Processes.taskStructDecls).
   */
  preludeFile?: number;
  /**
   * Where each process instance lives (model/layout.ts Slot), from a first elaboration of the
   * same program: code and properties that name a process's task block need its address.
   */
  procSlots?: ReadonlyArray<{ base: number; task: number; stackBase: number }>;
  /** The execution model, overriding the program's `model` declaration (the `--model` flag). */
  model?: import("../ir").ExecModel;
  /**
   * The files of the kernel prelude (by SourceSet index): a function they define may be
   * replaced by the spec's own definition of the same signature, which Lowered.replaced lists.
   */
  preludeFiles?: ReadonlySet<number>;
  /**
   * The files of the bundled IPC library (specs/lib/): a function they define may be replaced
   * the same way by a file outside the library (a bug variant, a student's version).
   */
  libraryFiles?: ReadonlySet<number>;
}

/** Values given with `-D NAME=VALUE`. Each must name a `const` of the program. */
export type Overrides = Map<string, { value: number; used: boolean }>;

/** Upper bound on a process's stack when its call graph is recursive. */
export const RECURSIVE_STACK_WORDS = 256;

/**
 * Largest state vector, in words (1 MiB): globals, pools, and every task's block and stack.
 * A bigger state is KC410, before anything is allocated for it: a search copies the state for
 * every successor, so a state this size already costs a MiB per successor.
 */
export const MAX_STATE_WORDS = 1 << 18; // = 2^STACK_TAG_SHIFT: addresses fit below a stack tag (ir.ts)

export type Sym =
  | { k: "global"; addr: number; type: Type }
  | { k: "local"; off: number; type: Type; escapes: boolean; flag?: number }
  /** A constant: the word that holds it, and its type (int unless declared or unsigned). */
  | { k: "const"; value: number; type: Type };

export interface FnSig {
  index: number;
  name: string;
  params: Type[];
  paramNames: string[];
  returns: Type;
  decl: Extract<Decl, { kind: "function" }> | null;
  unit: number;
}

/** What an lvalue lowers to: a word address, whether it is a private local, and its type. */
export interface LValue {
  addr: IExpr;
  type: Type;
  local: boolean;
}

export interface RValue {
  x: IExpr;
  type: Type;
  /**
   * A struct a call returned: the caller's frame words from this offset hold it, a temporary
   * that a copy reads with `take` so dead results never make states differ.
   */
  result?: number;
}

import { frameOffset, isLocalAddr, NOSPAN } from "./util";

export const ERR: Type = { k: "int", lo: null, hi: null };
export const C0: IExpr = { k: "const", v: 0 };
export const C1: IExpr = { k: "const", v: 1 };

/** State of lowering one function, process body or handler. */
export interface UnitCtx {
  unit: Unit;
  fn: FnSig | null;
  scopes: Array<Map<string, Sym>>;
  /** Next free frame offset. */
  next: number;
  /** Names whose address is taken somewhere in this body (conservatively by name). */
  escaping: Set<string>;
  /** Frame words of the locals and parameters whose address may be taken: stores there are shared. */
  escapingWords: Set<number>;
  /** The body has a goto: a declaration may run again on the same object (see lowerLocalDecl). */
  hasGoto: boolean;
  labels: Map<string, { pc: number; atomic: number; span: Span }>;
  gotos: Array<{ instr: number; label: string; atomic: number; span: Span }>;
  /** Enclosing loops and switches; `scopes` is how many scopes were open where each began. */
  loops: Array<{ breakTo: number[]; continueTo: number[] | null; atomic: number; scopes: number }>;
  atomicDepth: number;
  inSwitch: Array<{ cases: Array<[number, number]>; dflt: number | null; atomic: number }>;
  /**
   * Inside a statement expression: whether a loop, a loop `continue` could reach, or a switch
   * stands outside it, which a `break`, `continue` or `case` in it cannot reach (KC406).
   */
  sealed: { loop: boolean; continues: boolean; switch: boolean } | null;
}

export abstract class ElabContext {
  protected readonly diags = new DiagnosticBag();
  protected readonly reported = new Set<string>();
  /** Depths of checked types (see typeDepth); a struct's is kept by name. */
  protected readonly typeDepths = new WeakMap<Type, number>();
  protected readonly structDepth = new Map<string, number>();
  protected readonly resolved = new WeakMap<TypeExpr, Type>();
  /** While a wait_event's queue and condition are lowered. */
  protected inWait = false;
  /** C layouts of complete structs, for sizeof. */
  protected readonly cLayouts = new Map<string, CLayout>();
  protected readonly structs: StructTable = new Map();
  protected readonly typedefs = new Map<string, Type>();
  protected readonly globalsScope = new Map<string, Sym>();
  protected readonly constants = new Map<string, number>();
  /** Prelude functions the spec replaced (see Declarations.replaceable). */
  protected readonly replaced: { name: string; prelude: Span; spec: Span }[] = [];
  protected readonly fns = new Map<string, FnSig>();
  protected readonly fnList: FnSig[] = [];
  protected readonly code: Instr[] = [];
  protected readonly info: InstrInfo[] = [];
  protected readonly sites: Site[] = [];
  protected readonly units: Unit[] = [];
  protected readonly globals: VarInfo[] = [];
  protected globalInit: number[] = [0];
  protected readonly processes: ProcessDecl[] = [];
  protected readonly interrupts: ProcessDecl[] = [];
  protected readonly properties: PropertyDecl[] = [];
  protected readonly pools: PoolDecl[] = [];
  /** Units whose locals' addresses are taken, by tag index (ir.ts stackTag). */
  protected readonly stackTagUnits: number[] = [];
  protected expect: Lowered["expect"] = null;
  protected cur: UnitCtx | null = null;
  /** > 0 while lowering an expression that must stay one step (await/assume conditions, properties). */
  protected noHoist = 0;
  /**
   * The calls and statement expressions of the full expression being lowered that are still
   * ahead (sequencing.ts callsIn; each is removed when its lowering starts). While one is, a
   * shared read is made at once, into a temporary, rather than where its value is used: C lets
   * the callee's writes come before or after the reads beside the call, and KC takes the reads
   * first, in both modes (the fine mode reads every shared word at once anyway).
   */
  protected callsAhead = new Set<Expr>();
  /** Some `&a[N]` forms an address one past an array (expressions.ts onePastAllowed): redzones. */
  protected formsOnePast = false;
  protected pendingBoundary = true;
  /** The frame words of the local whose initializer is being lowered (see emit: its stores are not shared). */
  protected initializing: [number, number] | null = null;
  protected currentSite = 0;
  /** Callees of each unit, for stack bounds. */
  protected readonly callees: Array<Set<number>> = [];

  constructor(
    protected readonly overrides: Overrides,
    protected readonly options: ElaborateOptions,
  ) {}

  /**
   * Reports an error once: an expression may be walked more than once (for its type under
   * `sizeof` or `[ ]`, to check a constant, or again when an arm of `?:`, `&&`, `||` turns out
   * to need control flow), and each walk reports what it finds.
   */
  protected error(code: Code, span: Span | null, message: string): void {
    const key = `${code} ${span ? `${span.file}:${span.start}:${span.end}` : "-"} ${message}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.diags.error(code, span, message);
  }

  // ------------------------------------------------------------ units and emission

  protected beginUnit(kind: Unit["kind"], name: string, span: Span, fn: FnSig | null): UnitCtx {
    const unit: Unit = {
      kind,
      name,
      entry: this.code.length,
      frameSize: kind === "function" ? FRAME_HEADER : 0,
      maxStack: 0,
      params: [],
      paramWords: [],
      locals: [],
      scoped: [],
      returns: fn ? fn.returns : VOID,
      span,
    };
    this.units.push(unit);
    this.callees.push(new Set());
    const ctx: UnitCtx = {
      unit,
      fn,
      scopes: [new Map()],
      next: unit.frameSize,
      escaping: new Set(),
      escapingWords: new Set(),
      hasGoto: false,
      labels: new Map(),
      gotos: [],
      loops: [],
      atomicDepth: 0,
      inSwitch: [],
      sealed: null,
    };
    this.cur = ctx;
    this.pendingBoundary = true;
    return ctx;
  }

  protected endUnit(ctx: UnitCtx): void {
    for (const g of ctx.gotos) {
      const l = ctx.labels.get(g.label);
      if (!l) {
        this.error("KC207", g.span, `goto names no label '${g.label}' in this function`);
        continue;
      }
      if (l.atomic !== g.atomic)
        this.error("KC406", g.span, `goto '${g.label}' crosses the edge of an atomic block`);
      const ins = this.code[g.instr];
      if (ins && ins.k === "jump") ins.to = l.pc;
    }
    ctx.unit.frameSize = ctx.next;
    this.unitLabels[this.units.indexOf(ctx.unit)] = ctx.labels;
    this.cur = null;
  }

  protected site(span: Span): number {
    this.sites.push({ span });
    return this.sites.length - 1;
  }

  /** Appends an instruction; the first one after a statement start is a step boundary. */
  protected emit(ins: Instr): number {
    const unit = this.units.length - 1;
    // A store into a local whose address may be taken is seen by whoever holds the pointer: it is
    // not local-only, so it must not merge into its neighbours' step (see computeGroups).
    if (ins.k === "store" && this.cur !== null && isLocalAddr(ins.addr)) {
      const off = frameOffset(ins.addr);
      const init = this.initializing;
      const own = off !== null && init !== null && off >= init[0] && off < init[1];
      if (!own && (off === null || this.cur.escapingWords.has(off))) ins.escapes = true;
    }
    if (this.cur?.unit.kind === "init") this.checkInInit(ins);
    this.code.push(ins);
    this.info.push({ boundary: this.pendingBoundary, visible: false, unit });
    this.pendingBoundary = false;
    return this.code.length - 1;
  }

  protected here(): number {
    return this.code.length;
  }

  protected allocLocal(size: number): number {
    const c = this.cur as UnitCtx;
    const off = c.next;
    c.next += size;
    return off;
  }

  /** Words left free after a variable (see ElaborateOptions.redzones). */
  protected redzone(): number {
    return this.options.redzones === true ? 1 : 0;
  }

  protected temp(): number {
    return this.allocLocal(1);
  }

  protected frameAddr(off: number): IExpr {
    return off === 0
      ? { k: "fp" }
      : { k: "bin", op: "+", l: { k: "fp" }, r: { k: "const", v: off }, span: NOSPAN };
  }

  protected offsetAddr(a: IExpr, off: number): IExpr {
    if (off === 0) return a;
    if (a.k === "const") return { k: "const", v: a.v + off };
    if (a.k === "bin" && a.op === "+" && a.r.k === "const")
      return { ...a, r: { k: "const", v: a.r.v + off } };
    return { k: "bin", op: "+", l: a, r: { k: "const", v: off }, span: NOSPAN };
  }

  protected patchTrue(br: number[], to: number): void {
    for (const b of br) (this.code[b] as Extract<Instr, { k: "branch" }>).t = to;
  }

  protected patchFalse(br: number[], to: number): void {
    for (const b of br) (this.code[b] as Extract<Instr, { k: "branch" }>).f = to;
  }

  protected patchJump(j: number, to: number): void {
    (this.code[j] as Extract<Instr, { k: "jump" }>).to = to;
  }

  /** Whether `words` more words of global memory fit in a state (KC410 if not). */
  protected roomFor(words: number, span: Span, what: string): boolean {
    if (this.globalInit.length + words <= MAX_STATE_WORDS) return true;
    this.error(
      "KC410",
      span,
      `${what} needs ${words} words of memory, and a state holds at most ${MAX_STATE_WORDS} words (1 MiB) in all`,
    );
    return false;
  }

  /**
   * init runs once, to completion and deterministically, before any process starts: what
   * would choose, wait or prune there is KC406 (a callee that sleeps faults when init runs).
   */
  private checkInInit(ins: Instr): void {
    const what =
      ins.k === "choose" || ins.k === "await" || ins.k === "assume"
        ? ins.k
        : ins.k === "prim" && ins.name === "schedule"
          ? "schedule"
          : null;
    if (what === null) return;
    this.error(
      "KC406",
      this.sites[ins.at]?.span ?? null,
      `'${what}' in init: init runs once, to completion and deterministically, before any process starts`,
    );
  }

  /** Labels of each unit once it has ended, by unit index (for `worker[1] at LABEL`). */
  protected readonly unitLabels: Array<Map<string, { pc: number }>> = [];

  // Later layers, called from earlier ones.
  protected abstract rvalue(e: Expr): RValue;
  protected abstract rvalueNoDecay(e: Expr): RValue;
  protected abstract convert(r: RValue, t: Type, span: Span, what: string): IExpr;
  protected abstract call(e: Extract<Expr, { kind: "call" }>, wantValue: boolean): RValue;
  /** The words of a struct value copied whole (model/elab/calls.ts). */
  /** Whether `n` more words of struct copies fit in the code (KC410 if not). */
  protected abstract roomForCopy(n: number, span: Span): boolean;
  protected abstract structWords(
    r: RValue,
    t: Extract<Type, { k: "struct" }>,
    span: Span,
    what: string,
  ): IExpr[];
  protected abstract condition(r: RValue, span: Span): void;
  protected abstract lowerStmt(s: Stmt): void;
  /** `&worker[i]`: the task_struct of a process instance; null when `e` names no process. */
  protected abstract processTask(e: Expr): RValue | null;
  /** `worker[1].x` in a property: a local of a process body; null when the base names no process. */
  protected abstract processLocal(e: Extract<Expr, { kind: "member" }>): LValue | null;
  /** `worker[1] at L`, `in f`, `exited`, and `forall`/`exists` (properties only). */
  protected abstract processPredicate(e: Extract<Expr, { kind: "where" | "quantifier" }>): RValue;
  /** The variables `e` reads, for showing their values when an assert or property fails. */
  protected abstract operands(e: Expr): import("../ir").Operand[];
  /** `find_task_by_vpid(pid)`. */
  protected abstract findTaskByVpid(e: Extract<Expr, { kind: "call" }>): RValue;
  protected abstract statementExpression(e: Extract<Expr, { kind: "stmtExpr" }>, wantValue: boolean): RValue;
}
