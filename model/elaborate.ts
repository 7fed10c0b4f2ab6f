// Name resolution, type checking and lowering of KC declarations to the IR, in one pass per body.
//
// Checking and lowering share a walk: every expression is typed as it is lowered, and an ill-typed
// expression reports a diagnostic and lowers to a placeholder so that checking goes on and the
// user sees all errors of a file at once.
import type { Decl, Expr, Init, Span, Stmt, TypeExpr, VarDecl } from "./ast";
import { type Code, DiagnosticBag } from "./diagnostics";
import {
  FRAME_HEADER,
  type IExpr,
  type Instr,
  type InstrInfo,
  type Lowered,
  MAX_TAGGED_UNITS,
  type PoolDecl,
  type ProcessDecl,
  type PropertyDecl,
  type Site,
  stackTag,
  type Unit,
  type VarInfo,
} from "./ir";
import { TASK_HEADER } from "./layout";
import { MAX_NESTING, nestingMessage } from "./nesting";
import {
  BOOL,
  CHAR,
  type CLayout,
  cLayout,
  INT,
  isIntegral,
  isScalar,
  NULLT,
  pointeesAgree,
  type StructInfo,
  type StructTable,
  showType,
  sizeOf,
  type Type,
  typeEquals,
  VOID,
} from "./types";

/** How the program is cut into steps. */
export interface ElaborateOptions {
  /**
   * Make every statement its own step, even one that touches only private locals. The default
   * merges such statements into their neighbours (they commute with everything); this switch
   * exists so that tests can compare the merged search with the plain one.
   */
  noMerge?: boolean;
  /**
   * SMP race finding: every read or write of shared memory is a step of its own, so `x++` on a
   * shared x is a read step and a write step. Hardware-atomic operations must then be written
   * in `atomic { }`. Await and assume conditions are still evaluated in one step.
   */
  fine?: boolean;
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

type Sym =
  | { k: "global"; addr: number; type: Type }
  | { k: "local"; off: number; type: Type; escapes: boolean; flag?: number }
  | { k: "const"; value: number };

interface FnSig {
  index: number;
  name: string;
  params: Type[];
  paramNames: string[];
  returns: Type;
  decl: Extract<Decl, { kind: "function" }> | null;
  unit: number;
}

/** What an lvalue lowers to: a word address, whether it is a private local, and its type. */
interface LValue {
  addr: IExpr;
  type: Type;
  local: boolean;
}

interface RValue {
  x: IExpr;
  type: Type;
}

const ERR: Type = { k: "int", lo: null, hi: null };
const C0: IExpr = { k: "const", v: 0 };
/**
 * The type of `sizeof`: C's size_t, unsigned. KC has no unsigned arithmetic yet, so it is an int
 * known by identity, and the operations whose result depends on signedness are refused when a
 * value of this type meets one that may be negative (see unsignedMix).
 */
const SIZE_T: Type = { k: "int", lo: null, hi: null };
/** Operators whose result differs between signed and unsigned operands. */
const SIGN_SENSITIVE = new Set(["<", "<=", ">", ">=", "/", "%", ">>"]);
const C1: IExpr = { k: "const", v: 1 };

/** Integer arithmetic with C's 32-bit wrap, for constant folding. */
function foldBin(op: string, a: number, b: number): number | null {
  switch (op) {
    case "+":
      return (a + b) | 0;
    case "-":
      return (a - b) | 0;
    case "*":
      return Math.imul(a, b);
    // Not folded where the machine traps (a divide error): left to run, or not a constant.
    case "/":
      return b === 0 || (b === -1 && a === -(2 ** 31)) ? null : (a / b) | 0;
    case "%":
      return b === 0 || (b === -1 && a === -(2 ** 31)) ? null : (a % b) | 0;
    case "<<":
      return a << b;
    case ">>":
      return a >> b;
    case "&":
      return a & b;
    case "|":
      return a | b;
    case "^":
      return a ^ b;
    case "<":
      return +(a < b);
    case "<=":
      return +(a <= b);
    case ">":
      return +(a > b);
    case ">=":
      return +(a >= b);
    case "==":
      return +(a === b);
    case "!=":
      return +(a !== b);
    case "&&":
      return +(a !== 0 && b !== 0);
    case "||":
      return +(a !== 0 || b !== 0);
    default:
      return null;
  }
}

/** State of lowering one function, process body or handler. */
interface UnitCtx {
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
}

/** Lowers a whole program. Throws CompileError with every diagnostic found. */
export function elaborate(decls: Decl[], overrides: Overrides, options: ElaborateOptions = {}): Lowered {
  return new Elaborator(overrides, options).run(decls);
}

class Elaborator {
  private readonly diags = new DiagnosticBag();
  private readonly reported = new Set<string>();
  /** Depths of checked types (see typeDepth); a struct's is kept by name. */
  private readonly typeDepths = new WeakMap<Type, number>();
  private readonly structDepth = new Map<string, number>();
  private readonly resolved = new WeakMap<TypeExpr, Type>();
  /** While a wait_event's queue and condition are lowered. */
  private inWait = false;
  /** C layouts of complete structs, for sizeof. */
  private readonly cLayouts = new Map<string, CLayout>();
  private readonly structs: StructTable = new Map();
  private readonly typedefs = new Map<string, Type>();
  private readonly globalsScope = new Map<string, Sym>();
  private readonly constants = new Map<string, number>();
  private readonly fns = new Map<string, FnSig>();
  private readonly fnList: FnSig[] = [];
  private readonly code: Instr[] = [];
  private readonly info: InstrInfo[] = [];
  private readonly sites: Site[] = [];
  private readonly units: Unit[] = [];
  private readonly globals: VarInfo[] = [];
  private globalInit: number[] = [0];
  private readonly processes: ProcessDecl[] = [];
  private readonly interrupts: ProcessDecl[] = [];
  private readonly properties: PropertyDecl[] = [];
  private readonly pools: PoolDecl[] = [];
  /** Units whose locals' addresses are taken, by tag index (ir.ts stackTag). */
  private readonly stackTagUnits: number[] = [];
  private expect: Lowered["expect"] = null;
  private cur: UnitCtx | null = null;
  /** > 0 while lowering an expression that must stay one step (await/assume conditions, properties). */
  private noHoist = 0;
  private pendingBoundary = true;
  /** The frame words of the local whose initializer is being lowered (see emit: its stores are not shared). */
  private initializing: [number, number] | null = null;
  private currentSite = 0;
  /** Callees of each unit, for stack bounds. */
  private readonly callees: Array<Set<number>> = [];

  constructor(
    private readonly overrides: Overrides,
    private readonly options: ElaborateOptions,
  ) {}

  /**
   * Reports an error once: an expression may be walked more than once (for its type under
   * `sizeof` or `[ ]`, to check a constant, or again when an arm of `?:`, `&&`, `||` turns out
   * to need control flow), and each walk reports what it finds.
   */
  private error(code: Code, span: Span | null, message: string): void {
    const key = `${code} ${span ? `${span.file}:${span.start}:${span.end}` : "-"} ${message}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.diags.error(code, span, message);
  }

  run(decls: Decl[]): Lowered {
    // Instruction 0 is never run: pc 0 in a task block means "no code here" (the task exited,
    // or a handler is idle), so no unit may start at 0 (see PC_NONE in ir.ts).
    this.code.push({ k: "exit", at: this.site(NOSPAN) });
    this.info.push({ boundary: false, visible: false, unit: -1 });
    // Pass 1: types, constants, globals and function signatures, in order.
    for (const d of decls) this.declare(d);
    for (const [name, o] of this.overrides) {
      if (!o.used)
        this.error("KC402", null, `-D ${name}=${o.value}: the program has no constant named '${name}'`);
    }
    // Pass 2: bodies.
    for (const d of decls) {
      if (d.kind === "function" && d.body) this.lowerFunction(d);
      else if (d.kind === "process" || d.kind === "interrupt") this.lowerProcess(d);
    }
    for (const d of decls) if (d.kind === "property") this.lowerProperty(d);
    for (const d of decls) if (d.kind === "expect") this.checkExpect(d);
    if (this.processes.length === 0) this.error("KC405", null, "the program declares no process to run");
    this.diags.check();
    this.computeStacks();
    this.checkStateSize();
    this.diags.check();
    this.computeGroups();
    return {
      code: this.code,
      info: this.info,
      sites: this.sites,
      units: this.units,
      globals: this.globals,
      globalWords: this.globalInit.length,
      globalInit: Int32Array.from(this.globalInit),
      processes: this.processes,
      interrupts: this.interrupts,
      properties: this.properties,
      expect: this.expect,
      constants: this.constants,
      functionUnits: this.fnList.map((f) => f.unit),
      stackTagUnits: this.stackTagUnits,
      pools: this.pools,
      structs: this.structs,
    };
  }

  // ------------------------------------------------------------ declarations

  private declare(d: Decl): void {
    switch (d.kind) {
      case "const": {
        const o = this.overrides.get(d.name);
        let value = this.constExpr(d.value);
        if (o) {
          o.used = true;
          value = o.value;
        }
        if (d.type) {
          const t = this.resolveType(d.type);
          if (t.k === "int" && t.lo !== null && (value < t.lo || value > (t.hi as number)))
            this.error("KC408", d.value.span, `constant ${d.name} = ${value} is outside ${showType(t)}`);
        }
        this.defineGlobal(d.name, { k: "const", value }, d.nameSpan);
        this.constants.set(d.name, value);
        return;
      }
      case "struct":
        this.declareStruct(d.name, d.fields, d.span);
        return;
      case "enum":
        this.declareEnum(d.members);
        return;
      case "typedef":
        if (this.typedefs.has(d.name)) this.error("KC202", d.span, `typedef '${d.name}' is already defined`);
        this.typedefs.set(d.name, this.resolveType(d.type));
        return;
      case "var":
        this.declareGlobalVar(d.decl);
        return;
      case "function":
        this.declareFunction(d);
        return;
      case "pool":
        this.declarePool(d);
        return;
      case "process":
      case "interrupt":
      case "property":
      case "expect":
      case "include":
        return;
    }
  }

  /** `pool T[COUNT];`: COUNT slots of [allocated flag, object words] in global memory. */
  private declarePool(d: Extract<Decl, { kind: "pool" }>): void {
    const t = this.resolveType(d.type);
    const size = sizeOf(t, this.structs);
    if (size < 1) {
      this.error("KC312", d.span, `a pool needs a complete type, not ${showType(t)}`);
      return;
    }
    const count = this.constExpr(d.count);
    if (count < 1) {
      this.error("KC403", d.count.span, `a pool needs at least one object, not ${count}`);
      return;
    }
    if (this.pools.some((q) => typeEquals(q.type, t))) {
      this.error("KC202", d.span, `there is already a pool of ${showType(t)}`);
      return;
    }
    if (!this.roomFor(count * (size + 1), d.span, `pool ${showType(t)}[${count}]`)) return;
    const base = this.globalInit.length;
    const label = t.k === "struct" ? t.name : showType(t);
    for (let i = 0; i < count; i++) {
      const slot = base + i * (size + 1);
      this.globals.push({ name: `pool<${label}>[${i}].allocated`, type: BOOL, offset: slot });
      this.globals.push({ name: `pool<${label}>[${i}]`, type: t, offset: slot + 1 });
    }
    for (let i = 0; i < count * (size + 1); i++) this.globalInit.push(0);
    this.pools.push({ typeName: showType(t), type: t, size, count, base });
  }

  private defineGlobal(name: string, sym: Sym, span: Span): void {
    if (this.globalsScope.has(name) || this.fns.has(name)) {
      this.error("KC202", span, `'${name}' is already defined`);
      return;
    }
    this.globalsScope.set(name, sym);
  }

  private declareStruct(name: string, fields: import("./ast").FieldDecl[] | null, span: Span): void {
    let info = this.structs.get(name);
    if (!info) {
      info = { name, fields: [], size: -1 };
      this.structs.set(name, info);
    }
    if (!fields) return;
    if (info.size >= 0) {
      this.error("KC202", span, `struct ${name} is already defined`);
      return;
    }
    const out: StructInfo["fields"] = [];
    let offset = 0;
    for (const f of fields) {
      const t = this.resolveType(f.type);
      if (out.some((g) => g.name === f.name))
        this.error("KC202", f.span, `struct ${name} has two fields named '${f.name}'`);
      const size = sizeOf(t, this.structs);
      if (size < 0) {
        this.error("KC312", f.span, `field '${f.name}' has incomplete type ${showType(t)}`);
        continue;
      }
      if (t.k === "void") this.error("KC312", f.span, `field '${f.name}' cannot be void`);
      out.push({ name: f.name, type: t, offset });
      offset += size;
    }
    info.fields = out;
    info.size = offset;
    const depth = 1 + Math.max(0, ...out.map((f) => this.typeDepth(f.type)));
    if (depth > MAX_NESTING)
      this.error("KC114", span, `${nestingMessage()} of structs, arrays and pointers in struct ${name}`);
    this.structDepth.set(name, Math.min(depth, MAX_NESTING));
  }

  private declareEnum(members: import("./ast").EnumMember[]): void {
    let next = 0;
    let after: string | null = null;
    for (const m of members) {
      // C: an enumerator without a value is the previous one plus one, which must fit in int.
      if (!m.value && after !== null && next === -(2 ** 31))
        this.error(
          "KC408",
          m.span,
          `enumerator '${m.name}' would be ${after} + 1, which does not fit in int`,
        );
      const v = m.value ? this.constExpr(m.value) : next;
      this.defineGlobal(m.name, { k: "const", value: v }, m.span);
      this.constants.set(m.name, v);
      next = (v + 1) | 0;
      after = m.name;
    }
  }

  /**
   * The type a type expression names. Each is resolved once: a type may be met again (a cast
   * is typed, then folded), and an array size inside it holding another such type made the
   * work double at every level.
   */
  private resolveType(t: TypeExpr): Type {
    let r = this.resolved.get(t);
    if (!r) {
      r = this.resolveTypeOnce(t);
      this.resolved.set(t, r);
    }
    return r;
  }

  private resolveTypeOnce(t: TypeExpr): Type {
    switch (t.kind) {
      case "named":
        return t.name === "int" ? INT : t.name === "bool" ? BOOL : t.name === "char" ? CHAR : VOID;
      case "range": {
        const lo = this.constExpr(t.lo);
        const hi = this.constExpr(t.hi);
        if (lo > hi) this.error("KC403", t.span, `empty range int<${lo}..${hi}>`);
        return { k: "int", lo, hi };
      }
      case "struct":
        if (t.fields) this.declareStruct(t.name, t.fields, t.span);
        else if (!this.structs.has(t.name)) this.structs.set(t.name, { name: t.name, fields: [], size: -1 });
        return { k: "struct", name: t.name };
      case "enum":
        if (t.members) this.declareEnum(t.members);
        return INT;
      case "typedef": {
        const r = this.typedefs.get(t.name);
        if (!r) {
          this.error("KC112", t.span, `unknown type name '${t.name}'`);
          return ERR;
        }
        return r;
      }
      case "pointer":
        return this.bounded({ k: "ptr", to: this.resolveType(t.to) }, t.span);
      case "array": {
        const n = this.constExpr(t.size);
        if (n <= 0) this.error("KC403", t.size.span, `array size must be positive, not ${n}`);
        return this.bounded({ k: "array", of: this.resolveType(t.of), n: Math.max(1, n) }, t.span);
      }
    }
  }

  /**
   * A type no deeper than MAX_NESTING, or KC114. Typedefs (`typedef T1 *T2;` ...) and structs
   * holding structs build deep types from shallow declarations, and printing, comparing and
   * laying out types recurse once per level.
   */
  private bounded(t: Type, span: Span): Type {
    if (this.typeDepth(t) <= MAX_NESTING) return t;
    this.error("KC114", span, `${nestingMessage()} of pointers, arrays and structs in one type`);
    return ERR;
  }

  /** Levels of a type: one per pointer and array, and a struct's deepest field below it. */
  private typeDepth(t: Type): number {
    if (t.k === "struct") return this.structDepth.get(t.name) ?? 1;
    if (t.k !== "ptr" && t.k !== "array") return 1;
    let d = this.typeDepths.get(t);
    if (d === undefined) {
      // A pointer does not hold its struct: walks over a pointer's type print only its name.
      d = 1 + (t.k === "array" ? this.typeDepth(t.of) : t.to.k === "struct" ? 1 : this.typeDepth(t.to));
      this.typeDepths.set(t, d);
    }
    return d;
  }

  /**
   * Evaluates a constant expression (consts, enum members, literals, sizeof, operators). The
   * expression is first checked as any other, so that an unknown name in it (also in an arm
   * that folding skips) is reported as such, not as a mere "not a constant".
   */
  private constExpr(e: Expr): number {
    const before = this.diags.items.length;
    this.speculate(() => this.rvalue(e));
    const v = this.tryConst(e);
    if (v === null) {
      if (this.diags.items.length === before) this.error("KC401", e.span, "not a constant expression");
      return 0;
    }
    return v;
  }

  /** A constant's exact value, or KC408 when it does not fit in int (then wrapped, to go on). */
  private exact(v: number, span: Span): number {
    if (v >= -(2 ** 31) && v < 2 ** 31) return v;
    this.error(
      "KC408",
      span,
      `this constant expression overflows int (${v} does not fit); C makes that undefined`,
    );
    return v | 0;
  }

  private tryConst(e: Expr): number | null {
    switch (e.kind) {
      case "int":
        return e.value | 0;
      case "bool":
        return e.value ? 1 : 0;
      case "null":
        return 0;
      case "name": {
        const s = this.lookup(e.name);
        return s && s.k === "const" ? s.value : null;
      }
      case "unary": {
        const v = this.tryConst(e.operand);
        if (v === null) return null;
        if (e.op === "-") return this.exact(-v, e.span);
        if (e.op === "+") return v;
        if (e.op === "!") return +(v === 0);
        if (e.op === "~") return ~v;
        return null;
      }
      case "binary": {
        const a = this.tryConst(e.left);
        const b = this.tryConst(e.right);
        if (a === null || b === null) return null;
        // Signed overflow in a constant expression is undefined in C (gcc: "overflow in
        // constant expression"): an error rather than a silently wrapped size or value.
        if (e.op === "+") return this.exact(a + b, e.span);
        if (e.op === "-") return this.exact(a - b, e.span);
        if (e.op === "*") return this.exact(a * b, e.span);
        return foldBin(e.op, a, b);
      }
      case "cond": {
        const c = this.tryConst(e.test);
        if (c === null) return null;
        return this.tryConst(c ? e.then : e.else);
      }
      case "sizeof":
        return this.sizeofOf(e);
      case "cast": {
        const v = this.tryConst(e.operand);
        const to = this.resolveType(e.to);
        if (v === null) return null;
        // The same conversions as at run time: (char)200 is -56, (bool)7 is 1.
        if (to.k === "char") return (v << 24) >> 24;
        if (to.k === "bool") return +(v !== 0);
        return v;
      }
      default:
        return null;
    }
  }

  /** The type `sizeof` (or kmalloc's size) names: a type as written, or an expression's type. */
  private sizeofType(of: TypeExpr | Expr): Type {
    return isTypeExpr(of) ? this.resolveType(of) : this.typeOfExpr(of);
  }

  /** Words a dereferenced pointer's object spans (at least the word it points at). */
  private pointeeSize(t: Type): number {
    return Math.max(1, sizeOf(t, this.structs));
  }

  /** C's `sizeof`, in bytes on i386 (see cLayout); KC312 for an incomplete type or void. */
  private sizeofOf(e: Extract<Expr, { kind: "sizeof" }>): number {
    const t = this.sizeofType(e.of);
    const l = cLayout(t, this.structs, this.cLayouts);
    if (l && l.size > 0x7fffffff) {
      this.error("KC408", e.span, `sizeof ${showType(t)} is ${l.size} bytes, more than an int holds`);
      return 0;
    }
    if (l) return l.size;
    this.error("KC312", e.span, `sizeof needs a complete type, not ${showType(t)}`);
    return 0;
  }

  /** The type of an expression without running it (for sizeof); its errors are reported. */
  private typeOfExpr(e: Expr): Type {
    return this.speculate(() => this.rvalueNoDecay(e)).type;
  }

  /**
   * Checks and lowers with `f` for its type and its diagnostics only: the code it emits is
   * dropped. Outside a body (a global's size or initializer), `f` runs in a scratch unit.
   */
  private speculate<T>(f: () => T): T {
    const outer = this.cur;
    const code = this.code.length;
    const boundary = this.pendingBoundary;
    const units = this.units.length;
    const callees = outer ? new Set(this.callees[units - 1]) : null;
    if (!outer) this.beginUnit("function", "<constant>", NOSPAN, null);
    // Names it declares (wait_event's hidden locals) vanish with its code.
    (this.cur as UnitCtx).scopes.push(new Map());
    try {
      return f();
    } finally {
      (this.cur as UnitCtx).scopes.pop();
      this.code.length = code;
      this.info.length = code;
      this.pendingBoundary = boundary;
      this.units.length = units;
      this.callees.length = units;
      if (callees) this.callees[units - 1] = callees;
      this.cur = outer;
    }
  }

  private declareGlobalVar(d: VarDecl): void {
    const t = this.resolveType(d.type);
    const size = sizeOf(t, this.structs);
    if (size < 0 || t.k === "void") {
      this.error("KC312", d.span, `variable '${d.name}' has incomplete type ${showType(t)}`);
      return;
    }
    if (!this.roomFor(size, d.span, `variable '${d.name}'`)) {
      // Known by name all the same, so that its uses raise no errors of their own.
      this.defineGlobal(d.name, { k: "global", addr: 0, type: t }, d.span);
      return;
    }
    const addr = this.globalInit.length;
    for (let i = 0; i < size; i++) this.globalInit.push(0);
    this.defineGlobal(d.name, { k: "global", addr, type: t }, d.span);
    this.globals.push({ name: d.name, type: t, offset: addr });
    if (d.init) this.constInit(addr, t, d.init, d.name);
    this.checkZeroInRange(addr, t, d.name, d.span);
  }

  /** A ranged int that is not explicitly initialised starts at 0, which must be in its range. */
  private checkZeroInRange(addr: number, t: Type, name: string, span: Span): void {
    if (t.k === "int" && t.lo !== null && (t.lo > 0 || (t.hi as number) < 0)) {
      const v = this.globalInit[addr] as number;
      if (v < t.lo || v > (t.hi as number))
        this.error("KC408", span, `initial value ${v} of '${name}' is outside ${showType(t)}`);
    }
  }

  /** Writes a global initializer into the initial memory image. */
  private constInit(addr: number, t: Type, init: Init, what: string): void {
    if (init.kind === "expr") {
      const e = init.expr;
      if (e.kind === "string" && t.k === "array" && t.of.k === "char") {
        if (e.value.length > t.n)
          this.error("KC311", e.span, `string of ${e.value.length} bytes does not fit ${showType(t)}`);
        const chars = this.charsOf(e);
        for (let i = 0; i < Math.min(t.n, chars.length); i++) this.globalInit[addr + i] = chars[i] as number;
        return;
      }
      if (!isScalar(t)) {
        this.error("KC311", e.span, `${what} of type ${showType(t)} needs a brace-enclosed initializer`);
        return;
      }
      // Checked as a local's initializer is: an int is no pointer, an int * no char *.
      const before = this.diags.items.length;
      this.speculate(() => this.convert(this.rvalue(e), t, e.span, "assignment"));
      if (this.diags.items.length > before) return;
      if (e.kind === "unary" && e.op === "&") {
        const a = this.constAddress(e.operand);
        if (a !== null) {
          this.globalInit[addr] = t.k === "bool" ? 1 : a;
          return;
        }
      }
      const v = this.constExpr(e);
      if (t.k === "ptr" && v !== 0)
        this.error("KC311", e.span, "a pointer can only be initialised with NULL or &global");
      if (t.k === "int" && t.lo !== null && (v < t.lo || v > (t.hi as number)))
        this.error("KC408", e.span, `initial value ${v} is outside ${showType(t)}`);
      // C's conversion to the variable's type, as a store does it: bool is 0 or 1, char wraps.
      this.globalInit[addr] = t.k === "bool" ? +(v !== 0) : t.k === "char" ? (v << 24) >> 24 : v;
      return;
    }
    this.walkInitList(t, init, what, (off, ft, item) => this.constInit(addr + off, ft, item, what));
  }

  /** A string's characters as C stores them in a char array: signed bytes ("\xff" is -1). */
  private charsOf(e: Extract<Expr, { kind: "string" }>): number[] {
    if (e.multibyte) {
      this.error(
        "KC311",
        e.span,
        'a char array cannot be initialised from non-ASCII text yet (C stores it as UTF-8 bytes): write the bytes as escapes, as in "\\xc3\\xa9"',
      );
      return [];
    }
    return Array.from(e.value, (c) => (c.charCodeAt(0) << 24) >> 24);
  }

  /** The address of a global lvalue expression (`&g`, `&g.f`, `&g[2]`), or null. */
  private constAddress(e: Expr): number | null {
    if (e.kind === "name") {
      const s = this.lookup(e.name);
      return s && s.k === "global" ? s.addr : null;
    }
    if (e.kind === "member" && !e.arrow) {
      const base = this.constAddress(e.base);
      const t = this.typeOfExpr(e.base);
      if (base === null || t.k !== "struct") return null;
      const f = this.structs.get(t.name)?.fields.find((x) => x.name === e.field);
      return f ? base + f.offset : null;
    }
    if (e.kind === "index") {
      const base = this.constAddress(e.base);
      const t = this.typeOfExpr(e.base);
      const i = this.tryConst(e.index);
      if (base === null || t.k !== "array" || i === null || i < 0 || i >= t.n) return null;
      return base + i * sizeOf(t.of, this.structs);
    }
    return null;
  }

  /**
   * Walks a brace initializer for an aggregate, calling `each` with the word offset, type and
   * initializer of every element it sets (designators and positional items as in C99).
   */
  private walkInitList(
    t: Type,
    init: Init,
    what: string,
    each: (off: number, t: Type, init: Init) => void,
  ): void {
    if (init.kind !== "list") {
      this.error("KC311", init.span, `${what} of type ${showType(t)} needs a brace-enclosed initializer`);
      return;
    }
    if (t.k === "struct") {
      const info = this.structs.get(t.name);
      if (!info || info.size < 0) {
        this.error("KC312", init.span, `struct ${t.name} is incomplete`);
        return;
      }
      let pos = 0;
      for (const item of init.items) {
        let field = info.fields[pos];
        const d = item.designators[0];
        if (d) {
          if (d.kind !== "field") {
            this.error("KC311", d.span, `an index designator cannot initialise struct ${t.name}`);
            continue;
          }
          const i = info.fields.findIndex((f) => f.name === d.name);
          if (i < 0) {
            this.error("KC204", d.span, `struct ${t.name} has no field '${d.name}'`);
            continue;
          }
          field = info.fields[i];
          pos = i;
        }
        if (!field) {
          this.error("KC311", item.span, `too many initializers for struct ${t.name}`);
          break;
        }
        if (item.designators.length > 1) {
          const f = field;
          this.walkInitList(
            f.type,
            { kind: "list", items: [{ ...item, designators: item.designators.slice(1) }], span: item.span },
            what,
            (o, ft, v) => each(f.offset + o, ft, v),
          );
        } else each(field.offset, field.type, item.value);
        pos++;
      }
      return;
    }
    if (t.k === "array") {
      const es = sizeOf(t.of, this.structs);
      let pos = 0;
      for (const item of init.items) {
        const d = item.designators[0];
        if (d) {
          if (d.kind !== "index") {
            this.error("KC311", d.span, `a field designator cannot initialise ${showType(t)}`);
            continue;
          }
          pos = this.constExpr(d.index);
        }
        if (pos < 0 || pos >= t.n) {
          this.error("KC311", item.span, `initializer index ${pos} is outside ${showType(t)}`);
          break;
        }
        each(pos * es, t.of, item.value);
        pos++;
      }
      return;
    }
    // A scalar in braces: `int x = { 3 };`
    const first = init.items[0];
    if (init.items.length === 1 && first && first.designators.length === 0) each(0, t, first.value);
    else this.error("KC311", init.span, `${what} of type ${showType(t)} takes a single value`);
  }

  private declareFunction(d: Extract<Decl, { kind: "function" }>): void {
    const returns = this.resolveType(d.returns);
    const params = d.params.map((p) => this.paramType(this.resolveType(p.type)));
    this.checkDecayedSizes(d, params);
    const existing = this.fns.get(d.name);
    if (existing) {
      const same =
        typeEquals(existing.returns, returns) &&
        existing.params.length === params.length &&
        existing.params.every((p, i) => typeEquals(p, params[i] as Type));
      if (!same) this.error("KC202", d.nameSpan, `'${d.name}' is declared again with a different signature`);
      else if (d.body && existing.decl?.body)
        this.error("KC202", d.nameSpan, `function '${d.name}' is already defined`);
      else if (d.body) existing.decl = d;
      return;
    }
    if (this.globalsScope.has(d.name)) {
      this.error("KC202", d.nameSpan, `'${d.name}' is already defined`);
      return;
    }
    const sig: FnSig = {
      index: this.fnList.length,
      name: d.name,
      params,
      paramNames: d.params.map((p) => p.name),
      returns,
      decl: d,
      unit: -1,
    };
    this.fns.set(d.name, sig);
    this.fnList.push(sig);
  }

  /** The dropped first size of array parameters (`int a[n]`) is checked with the parameters in scope. */
  private checkDecayedSizes(d: Extract<Decl, { kind: "function" }>, params: Type[]): void {
    if (d.params.every((p) => p.decayedSize === null)) return;
    this.speculate(() => {
      const scopes = (this.cur as UnitCtx).scopes;
      const scope = scopes[scopes.length - 1] as Map<string, Sym>;
      d.params.forEach((p, i) => {
        if (p.decayedSize) this.rvalue(p.decayedSize);
        scope.set(p.name, { k: "local", off: 0, type: params[i] as Type, escapes: false });
      });
    });
  }

  /** Array parameters decay to pointers, as in C. */
  private paramType(t: Type): Type {
    return t.k === "array" ? { k: "ptr", to: t.of } : t;
  }

  private lookup(name: string): Sym | undefined {
    if (this.cur) {
      for (let i = this.cur.scopes.length - 1; i >= 0; i--) {
        const s = this.cur.scopes[i]?.get(name);
        if (s) return s;
      }
    }
    return this.globalsScope.get(name);
  }

  // ------------------------------------------------------------ units and emission

  private beginUnit(kind: Unit["kind"], name: string, span: Span, fn: FnSig | null): UnitCtx {
    const unit: Unit = {
      kind,
      name,
      entry: this.code.length,
      frameSize: kind === "function" ? FRAME_HEADER : 0,
      maxStack: 0,
      params: [],
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
    };
    this.cur = ctx;
    this.pendingBoundary = true;
    return ctx;
  }

  private endUnit(ctx: UnitCtx): void {
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
    this.cur = null;
  }

  private site(span: Span): number {
    this.sites.push({ span });
    return this.sites.length - 1;
  }

  /** Appends an instruction; the first one after a statement start is a step boundary. */
  private emit(ins: Instr): number {
    const unit = this.units.length - 1;
    // A store into a local whose address may be taken is seen by whoever holds the pointer: it is
    // not local-only, so it must not merge into its neighbours' step (see computeGroups).
    if (ins.k === "store" && this.cur !== null && isLocalAddr(ins.addr)) {
      const off = frameOffset(ins.addr);
      const init = this.initializing;
      const own = off !== null && init !== null && off >= init[0] && off < init[1];
      if (!own && (off === null || this.cur.escapingWords.has(off))) ins.escapes = true;
    }
    this.code.push(ins);
    this.info.push({ boundary: this.pendingBoundary, visible: false, unit });
    this.pendingBoundary = false;
    return this.code.length - 1;
  }

  private here(): number {
    return this.code.length;
  }

  private allocLocal(size: number): number {
    const c = this.cur as UnitCtx;
    const off = c.next;
    c.next += size;
    return off;
  }

  private temp(): number {
    return this.allocLocal(1);
  }

  // ------------------------------------------------------------ bodies

  private lowerFunction(d: Extract<Decl, { kind: "function" }>): void {
    const sig = this.fns.get(d.name) as FnSig;
    if (sig.decl !== d) return; // a prototype met after the definition
    const ctx = this.beginUnit("function", d.name, d.span, sig);
    sig.unit = this.units.length - 1;
    ({ names: ctx.escaping, goto: ctx.hasGoto } = collectEscaping(d.body as Stmt));
    for (let i = 0; i < d.params.length; i++) {
      const p = d.params[i] as (typeof d.params)[number];
      const t = sig.params[i] as Type;
      const off = this.allocLocal(1);
      if (ctx.scopes[0]?.has(p.name)) this.error("KC202", p.span, `parameter '${p.name}' appears twice`);
      ctx.scopes[0]?.set(p.name, { k: "local", off, type: t, escapes: ctx.escaping.has(p.name) });
      if (ctx.escaping.has(p.name)) ctx.escapingWords.add(off);
      ctx.unit.params.push({ name: p.name, type: t, offset: off });
      if (sizeOf(t, this.structs) !== 1)
        this.error("KC312", p.span, `parameter '${p.name}' must be a scalar or pointer, not ${showType(t)}`);
    }
    this.currentSite = this.site(d.span);
    this.lowerStmt(d.body as Stmt);
    // Falling off the end returns (no value: a non-void function's caller then reads 0).
    this.pendingBoundary = true;
    this.currentSite = this.site({ file: d.span.file, start: d.span.end - 1, end: d.span.end });
    this.emit({ k: "ret", value: null, at: this.currentSite });
    this.endUnit(ctx);
  }

  private lowerProcess(d: Extract<Decl, { kind: "process" | "interrupt" }>): void {
    const count = d.kind === "process" && d.count ? this.constExpr(d.count) : 1;
    if (count < 1)
      this.error(
        "KC403",
        d.kind === "process" && d.count ? d.count.span : d.span,
        `process ${d.name} needs at least one instance, not ${count}`,
      );
    if ([...this.processes, ...this.interrupts].some((p) => p.name === d.name))
      this.error("KC202", d.nameSpan, `'${d.name}' is already declared as a process or interrupt`);
    const ctx = this.beginUnit(d.kind, d.name, d.span, null);
    ({ names: ctx.escaping, goto: ctx.hasGoto } = collectEscaping(d.body));
    const rec = { name: d.name, count: Math.max(1, count), unit: this.units.length - 1 };
    if (d.kind === "process") this.processes.push(rec);
    else this.interrupts.push(rec);
    this.currentSite = this.site(d.span);
    this.lowerStmt(d.body);
    this.pendingBoundary = true;
    this.currentSite = this.site({ file: d.span.file, start: d.span.end - 1, end: d.span.end });
    this.emit({ k: "exit", at: this.currentSite });
    this.endUnit(ctx);
  }

  private lowerProperty(d: Extract<Decl, { kind: "property" }>): void {
    if (this.properties.some((p) => p.name === d.name) || BUILTIN_PROPERTIES.includes(d.name))
      this.error("KC202", d.nameSpan, `property '${d.name}' is already defined`);
    // A property is a pure expression over global memory: lower it in a scratch unit and
    // reject anything that would need instructions (calls, assignments).
    this.beginUnit("function", `<property ${d.name}>`, d.span, null);
    const start = this.code.length;
    this.noHoist++;
    const r = this.rvalue(d.expr);
    this.noHoist--;
    if (this.code.length !== start)
      this.error(
        "KC406",
        d.expr.span,
        "a property must be a side-effect-free expression (no calls, assignments or choose)",
      );
    this.code.length = start;
    this.info.length = start;
    this.units.pop();
    this.callees.pop();
    this.cur = null;
    this.condition(r, d.expr.span);
    this.properties.push({ kind: d.property, name: d.name, expr: r.x, span: d.span });
  }

  private checkExpect(d: Extract<Decl, { kind: "expect" }>): void {
    if (this.expect) {
      this.error("KC407", d.span, "a program has at most one expect declaration");
      return;
    }
    if (d.verdict === "violation" && d.property) {
      const known =
        this.properties.some((p) => p.name === d.property) || BUILTIN_PROPERTIES.includes(d.property);
      if (!known)
        this.error(
          "KC209",
          d.span,
          `expect names no property '${d.property}' (declared: ${[...this.properties.map((p) => p.name), ...BUILTIN_PROPERTIES].join(", ")})`,
        );
    }
    this.expect = { verdict: d.verdict, property: d.property, span: d.span };
  }

  private pushScope(): void {
    this.cur?.scopes.push(new Map());
  }

  private popScope(): void {
    const c = this.cur;
    if (!c) return;
    this.leaveScopes(c.scopes.length - 1);
    c.scopes.pop();
  }

  private startStmt(span: Span): void {
    this.pendingBoundary = true;
    this.currentSite = this.site(span);
  }

  private lowerStmt(s: Stmt): void {
    const c = this.cur as UnitCtx;
    switch (s.kind) {
      case "block":
        this.pushScope();
        for (const b of s.body) this.lowerStmt(b);
        this.popScope();
        return;
      case "empty":
        return;
      case "decl":
        for (const d of s.decls) this.lowerLocalDecl(d);
        return;
      case "expr":
        this.startStmt(s.span);
        this.effect(s.expr);
        return;
      case "if": {
        // An else-if chain is read in a loop: it may be far longer than statements may nest.
        const ends: number[] = [];
        let rest: Stmt | null = s;
        while (rest?.kind === "if") {
          this.startStmt(rest.test.span);
          const br = this.branch(rest.test);
          this.patchTrue(br, this.here());
          this.lowerStmt(rest.then);
          if (rest.else) ends.push(this.emit({ k: "jump", to: -1, at: this.currentSite }));
          this.patchFalse(br, this.here());
          rest = rest.else;
        }
        if (rest) this.lowerStmt(rest);
        for (const j of ends) this.patchJump(j, this.here());
        return;
      }
      case "while": {
        const head = this.here();
        this.startStmt(s.test.span);
        const br = this.branch(s.test);
        this.patchTrue(br, this.here());
        const loop = {
          breakTo: [] as number[],
          continueTo: [] as number[],
          atomic: c.atomicDepth,
          scopes: c.scopes.length,
        };
        c.loops.push(loop);
        this.lowerStmt(s.body);
        c.loops.pop();
        this.emit({ k: "jump", to: head, at: this.currentSite });
        const end = this.here();
        this.patchFalse(br, end);
        for (const b of loop.breakTo) this.patchJump(b, end);
        for (const b of loop.continueTo) this.patchJump(b, head);
        return;
      }
      case "doWhile": {
        const head = this.here();
        const loop = {
          breakTo: [] as number[],
          continueTo: [] as number[],
          atomic: c.atomicDepth,
          scopes: c.scopes.length,
        };
        c.loops.push(loop);
        this.pendingBoundary = true;
        this.lowerStmt(s.body);
        c.loops.pop();
        const testPc = this.here();
        this.startStmt(s.test.span);
        const br = this.branch(s.test);
        this.patchTrue(br, head);
        const end = this.here();
        this.patchFalse(br, end);
        for (const b of loop.breakTo) this.patchJump(b, end);
        for (const b of loop.continueTo) this.patchJump(b, testPc);
        return;
      }
      case "for": {
        this.pushScope();
        if (s.init) this.lowerStmt(s.init);
        const head = this.here();
        let br: number[] | null = null;
        if (s.test) {
          this.startStmt(s.test.span);
          br = this.branch(s.test);
          this.patchTrue(br, this.here());
        }
        const loop = {
          breakTo: [] as number[],
          continueTo: [] as number[],
          atomic: c.atomicDepth,
          scopes: c.scopes.length,
        };
        c.loops.push(loop);
        this.lowerStmt(s.body);
        c.loops.pop();
        const updatePc = this.here();
        if (s.update) {
          this.startStmt(s.update.span);
          this.effect(s.update);
        }
        // An empty `for (;;) {}` still needs a boundary so that a step can end in it.
        if (!s.test && updatePc === head) this.pendingBoundary = true;
        this.emit({ k: "jump", to: head, at: this.currentSite });
        const end = this.here();
        if (br) this.patchFalse(br, end);
        for (const b of loop.breakTo) this.patchJump(b, end);
        for (const b of loop.continueTo) this.patchJump(b, updatePc);
        this.popScope();
        return;
      }
      case "break":
      case "continue": {
        this.startStmt(s.span);
        const target =
          s.kind === "break"
            ? c.loops[c.loops.length - 1]
            : [...c.loops].reverse().find((l) => l.continueTo !== null);
        if (!target) {
          this.error("KC208", s.span, `'${s.kind}' outside a loop${s.kind === "break" ? " or switch" : ""}`);
          return;
        }
        this.leaveAtomic(c.atomicDepth - target.atomic);
        this.leaveScopes(target.scopes);
        const j = this.emit({ k: "jump", to: -1, at: this.currentSite });
        (s.kind === "break" ? target.breakTo : (target.continueTo as number[])).push(j);
        return;
      }
      case "return": {
        this.startStmt(s.span);
        const fn = c.fn;
        if (!fn) {
          this.error("KC406", s.span, "'return' outside a function (a process ends when its body ends)");
          return;
        }
        let value: IExpr | null = null;
        if (s.value) {
          const r = this.rvalue(s.value);
          if (fn.returns.k === "void")
            this.error("KC308", s.value.span, `function '${fn.name}' returns void but a value is returned`);
          else value = this.convert(r, fn.returns, s.value.span, "return value");
        } else if (fn.returns.k !== "void")
          this.error(
            "KC308",
            s.span,
            `function '${fn.name}' must return a value of type ${showType(fn.returns)}`,
          );
        this.leaveAtomic(c.atomicDepth);
        this.emit({ k: "ret", value, at: this.currentSite });
        return;
      }
      case "goto": {
        this.startStmt(s.span);
        const j = this.emit({ k: "jump", to: -1, at: this.currentSite });
        c.gotos.push({ instr: j, label: s.label, atomic: c.atomicDepth, span: s.span });
        return;
      }
      case "labeled":
      case "case": {
        // A run of labels (`case 1: case 2: ...`) is read in a loop, as the parser reads it.
        let body: Stmt = s;
        while (body.kind === "labeled" || body.kind === "case") {
          this.placeLabel(body);
          body = body.body;
        }
        this.lowerStmt(body);
        return;
      }
      case "switch": {
        this.startStmt(s.test.span);
        const r = this.rvalue(s.test);
        if (!isIntegral(r.type))
          this.error("KC301", s.test.span, `switch needs an integer, not ${showType(r.type)}`);
        const sw = this.emit({ k: "switch", value: r.x, cases: [], dflt: -1, at: this.currentSite });
        const ctxSw = {
          cases: [] as Array<[number, number]>,
          dflt: null as number | null,
          atomic: c.atomicDepth,
        };
        c.inSwitch.push(ctxSw);
        const loop = {
          breakTo: [] as number[],
          continueTo: null,
          atomic: c.atomicDepth,
          scopes: c.scopes.length,
        };
        c.loops.push(loop);
        this.lowerStmt(s.body);
        c.loops.pop();
        c.inSwitch.pop();
        const end = this.here();
        const ins = this.code[sw] as Extract<Instr, { k: "switch" }>;
        ins.cases = ctxSw.cases;
        ins.dflt = ctxSw.dflt ?? end;
        for (const b of loop.breakTo) this.patchJump(b, end);
        return;
      }
      case "atomic": {
        this.startStmt(s.span);
        this.emit({ k: "atomic", delta: 1, at: this.currentSite });
        c.atomicDepth++;
        this.lowerStmt(s.body);
        c.atomicDepth--;
        this.startStmt({ file: s.span.file, start: s.span.end - 1, end: s.span.end });
        this.emit({ k: "atomic", delta: -1, at: this.currentSite });
        return;
      }
      case "assert": {
        this.startStmt(s.span);
        const r = this.rvalue(s.test);
        this.condition(r, s.test.span);
        this.emit({ k: "assert", cond: r.x, message: s.message ?? "assertion failed", at: this.currentSite });
        return;
      }
      case "assume":
      case "await": {
        this.startStmt(s.span);
        // A guard is checked in one step, also in the fine mode (await would block on a stale read).
        this.noHoist++;
        const r = this.rvalue(s.test);
        this.noHoist--;
        this.condition(r, s.test.span);
        this.emit({ k: s.kind, cond: r.x, at: this.currentSite });
        return;
      }
    }
  }

  /** Makes the next instruction the target of a goto label or a case of the enclosing switch. */
  private placeLabel(s: Extract<Stmt, { kind: "labeled" | "case" }>): void {
    const c = this.cur as UnitCtx;
    if (s.kind === "labeled") {
      if (c.labels.has(s.label)) this.error("KC202", s.span, `label '${s.label}' is already defined`);
      this.pendingBoundary = true;
      c.labels.set(s.label, { pc: this.here(), atomic: c.atomicDepth, span: s.span });
      this.markInScope();
      return;
    }
    const sw = c.inSwitch[c.inSwitch.length - 1];
    if (!sw) {
      this.error("KC210", s.span, `'${s.value ? "case" : "default"}' outside a switch`);
      return;
    }
    // The case label is lexically inside its switch, so it can only be deeper: the jump would enter
    // the atomic block without its entry, and leave the task atomic for good.
    if (c.atomicDepth !== sw.atomic)
      this.error(
        "KC406",
        s.span,
        `'${s.value ? "case" : "default"}' inside an atomic block that its switch is outside of: the jump from the switch crosses the edge of the atomic block`,
      );
    this.pendingBoundary = true;
    const pc = this.here();
    if (s.value) {
      const v = this.constExpr(s.value);
      if (sw.cases.some(([x]) => x === v)) this.error("KC202", s.value.span, `duplicate case ${v}`);
      sw.cases.push([v, pc]);
    } else {
      if (sw.dflt !== null) this.error("KC202", s.span, "two default labels in one switch");
      sw.dflt = pc;
    }
    this.markInScope();
  }

  /**
   * A jump to a label inside a block skips the declarations before it, but their variables are
   * in scope there (C): mark every inner-block local in scope, so none is taken for ended.
   */
  private markInScope(): void {
    this.setScopeFlags(2, C1);
  }

  /** Ends the inner-block locals of the scopes a jump leaves (those opened after `depth`): see popScope. */
  private leaveScopes(depth: number): void {
    this.setScopeFlags(depth, C0);
  }

  /** Sets the in-scope flags (Unit.scoped) of the inner-block locals of the scopes from `depth` on. */
  private setScopeFlags(depth: number, value: IExpr): void {
    for (const scope of this.cur?.scopes.slice(depth) ?? [])
      for (const s of scope.values())
        if (s.k === "local" && s.flag !== undefined)
          this.emit({ k: "store", addr: this.frameAddr(s.flag), value, range: null, at: this.currentSite });
  }

  private leaveAtomic(n: number): void {
    for (let i = 0; i < n; i++) this.emit({ k: "atomic", delta: -1, at: this.currentSite });
  }

  private lowerLocalDecl(d: VarDecl): void {
    const c = this.cur as UnitCtx;
    const t = this.resolveType(d.type);
    const size = sizeOf(t, this.structs);
    if (size < 0 || t.k === "void") {
      this.error("KC312", d.span, `variable '${d.name}' has incomplete type ${showType(t)}`);
      return;
    }
    const scope = c.scopes[c.scopes.length - 1] as Map<string, Sym>;
    if (scope.has(d.name)) this.error("KC202", d.span, `'${d.name}' is already declared in this block`);
    if (d.isStatic) {
      // A static local is a global with a local name.
      if (!this.roomFor(size, d.span, `variable '${d.name}'`)) {
        scope.set(d.name, { k: "global", addr: 0, type: t });
        return;
      }
      const addr = this.globalInit.length;
      for (let i = 0; i < size; i++) this.globalInit.push(0);
      this.globals.push({ name: `${c.unit.name}.${d.name}`, type: t, offset: addr });
      if (d.init) this.constInit(addr, t, d.init, d.name);
      scope.set(d.name, { k: "global", addr, type: t });
      return;
    }
    const off = this.allocLocal(size);
    c.unit.locals.push({ name: d.name, type: t, offset: off });
    // A struct with an array member escapes like an array: `pub = b.a` takes b's address without '&'.
    const sym: Sym = { k: "local", off, type: t, escapes: c.escaping.has(d.name) || this.holdsArray(t) };
    if (sym.escapes) for (let w = off; w < off + size; w++) c.escapingWords.add(w);
    // A local of an inner block (scopes: parameters, the body, then blocks) whose address may be
    // taken: a flag word marks it in scope, set here and cleared where the block ends (popScope).
    if (sym.escapes && c.scopes.length > 2) {
      sym.flag = this.allocLocal(1);
      c.unit.scoped.push({ offset: off, flag: sym.flag });
      this.emit({ k: "store", addr: this.frameAddr(sym.flag), value: C1, range: null, at: this.currentSite });
    }
    if (d.init) {
      this.startStmt(d.span);
      const base: LValue = { addr: this.frameAddr(off), type: t, local: !sym.escapes };
      // The name is in scope in its own initializer only after it, as in C; declare first.
      scope.set(d.name, sym);
      // Its initializer's stores stay local-only: no valid pointer to the variable can exist before
      // its declaration has run (an older one is a use after scope or return, checked as such).
      // Not after a goto: jumping back before the declaration runs it again on the same object,
      // whose address may already be out.
      this.initializing = c.hasGoto ? null : [off, off + size];
      this.initLocal(base, d.init, d.name, size);
      this.initializing = null;
    } else scope.set(d.name, sym);
  }

  /** Whether a type is an array or holds one (a member array decays to a pointer without '&'). */
  private holdsArray(t: Type): boolean {
    if (t.k === "array") return true;
    if (t.k !== "struct") return false;
    return (this.structs.get(t.name)?.fields ?? []).some((f) => this.holdsArray(f.type));
  }

  private frameAddr(off: number): IExpr {
    return off === 0
      ? { k: "fp" }
      : { k: "bin", op: "+", l: { k: "fp" }, r: { k: "const", v: off }, span: NOSPAN };
  }

  private initLocal(lv: LValue, init: Init, what: string, size: number): void {
    if (init.kind === "expr" && !(init.expr.kind === "string")) {
      this.assignTo(lv, this.rvalue(init.expr), init.expr.span);
      return;
    }
    // Aggregate: zero every word first (a block inside a loop reuses its slots), then set items.
    const written = new Set<number>();
    const items: Array<[number, Type, Init]> = [];
    if (init.kind === "expr" && init.expr.kind === "string") {
      const e = init.expr;
      if (lv.type.k !== "array" || lv.type.of.k !== "char") {
        this.error("KC311", e.span, `a string cannot initialise ${showType(lv.type)}`);
        return;
      }
      const chars = this.charsOf(e);
      for (let i = 0; i < Math.min(lv.type.n, chars.length); i++)
        items.push([
          i,
          CHAR,
          { kind: "expr", expr: { kind: "int", value: chars[i] as number, span: e.span }, span: e.span },
        ]);
    } else this.walkInitList(lv.type, init, what, (off, t, item) => items.push([off, t, item]));
    for (const [off, t, item] of items) {
      const addr = this.offsetAddr(lv.addr, off);
      if (item.kind === "list" || !isScalar(t)) {
        this.initLocal({ addr, type: t, local: lv.local }, item, what, sizeOf(t, this.structs));
        for (let i = 0; i < sizeOf(t, this.structs); i++) written.add(off + i);
      } else {
        this.assignTo({ addr, type: t, local: lv.local }, this.rvalue(item.expr), item.span);
        written.add(off);
      }
    }
    for (let i = 0; i < size; i++)
      if (!written.has(i))
        this.emit({
          k: "store",
          addr: this.offsetAddr(lv.addr, i),
          value: C0,
          range: null,
          at: this.currentSite,
        });
  }

  private offsetAddr(a: IExpr, off: number): IExpr {
    if (off === 0) return a;
    if (a.k === "const") return { k: "const", v: a.v + off };
    if (a.k === "bin" && a.op === "+" && a.r.k === "const")
      return { ...a, r: { k: "const", v: a.r.v + off } };
    return { k: "bin", op: "+", l: a, r: { k: "const", v: off }, span: NOSPAN };
  }

  // ------------------------------------------------------------ control-flow helpers

  /** Emits a branch on a condition; returns its instruction index (targets patched later). */
  private branch(e: Expr): number[] {
    const r = this.rvalue(e);
    this.condition(r, e.span);
    return [this.emit({ k: "branch", cond: r.x, t: -1, f: -1, at: this.currentSite })];
  }

  private patchTrue(br: number[], to: number): void {
    for (const b of br) (this.code[b] as Extract<Instr, { k: "branch" }>).t = to;
  }

  private patchFalse(br: number[], to: number): void {
    for (const b of br) (this.code[b] as Extract<Instr, { k: "branch" }>).f = to;
  }

  private patchJump(j: number, to: number): void {
    (this.code[j] as Extract<Instr, { k: "jump" }>).to = to;
  }

  private condition(r: RValue, span: Span): void {
    if (!isScalar(r.type))
      this.error("KC310", span, `a condition must be a number, bool or pointer, not ${showType(r.type)}`);
  }

  // ------------------------------------------------------------ expressions

  /** Lowers an expression evaluated only for its effects. */
  private effect(e: Expr): void {
    if (e.kind === "call") {
      this.call(e, false);
      return;
    }
    if (e.kind === "comma") {
      this.effect(e.left);
      this.effect(e.right);
      return;
    }
    if (e.kind === "stmtExpr") {
      this.statementExpression(e, false);
      return;
    }
    if (e.kind === "incdec") {
      const lv = this.lvalue(e.operand);
      this.storeIncDec(lv, e.op, e.span);
      return;
    }
    if (e.kind === "assign") {
      this.assign(e);
      return;
    }
    // A pure expression statement (e.g. `x;`) still evaluates, so a fault in it shows.
    const r = this.rvalue(e);
    if (r.x.k !== "const")
      this.emit({
        k: "assume",
        cond: { k: "bin", op: "||", l: r.x, r: { k: "const", v: 1 }, span: e.span },
        at: this.currentSite,
      });
  }

  /** Whether shared reads are split off into steps of their own (the fine mode). */
  private fineActive(): boolean {
    return this.options.fine === true && this.cur !== null && this.noHoist === 0;
  }

  /** The value of an lvalue; in the fine mode a shared scalar is read in a step of its own. */
  private valueLoad(lv: LValue): IExpr {
    const load: IExpr = { k: "load", addr: lv.addr, local: lv.local };
    if (!this.fineActive() || lv.local || !isScalar(lv.type)) return load;
    const t = this.temp();
    this.pendingBoundary = true;
    this.emit({ k: "store", addr: this.frameAddr(t), value: load, range: null, at: this.currentSite });
    this.pendingBoundary = true;
    return { k: "take", off: t };
  }

  /**
   * A read-modify-write of a shared lvalue in the fine mode: the address is computed once into
   * a temporary, then the read and the write are separate steps. Yields the old value, the
   * new value, or nothing; every temporary is cleared by its last use.
   */
  private rmwFine(
    lv: LValue,
    op: import("./ir").BinOp,
    rhs: IExpr,
    span: Span,
    want: "none" | "old" | "new",
  ): IExpr {
    const tA = this.temp();
    this.emit({ k: "store", addr: this.frameAddr(tA), value: lv.addr, range: null, at: this.currentSite });
    const addrKeep: IExpr = { k: "load", addr: this.frameAddr(tA), local: true };
    const tV = this.temp();
    this.pendingBoundary = true;
    this.emit({
      k: "store",
      addr: this.frameAddr(tV),
      value: { k: "load", addr: addrKeep, local: false },
      range: null,
      at: this.currentSite,
    });
    this.pendingBoundary = true;
    const target: LValue = { addr: { k: "take", off: tA }, type: lv.type, local: false };
    if (want === "old") {
      const v = this.narrow(
        { k: "bin", op, l: { k: "load", addr: this.frameAddr(tV), local: true }, r: rhs, span },
        lv.type,
      );
      this.emitStore(target, v, span);
      return { k: "take", off: tV };
    }
    const v = this.narrow({ k: "bin", op, l: { k: "take", off: tV }, r: rhs, span }, lv.type);
    if (want === "none") {
      this.emitStore(target, v, span);
      return C0;
    }
    const tN = this.temp();
    this.emit({ k: "store", addr: this.frameAddr(tN), value: v, range: null, at: this.currentSite });
    this.emitStore(target, { k: "load", addr: this.frameAddr(tN), local: true }, span);
    return { k: "take", off: tN };
  }

  /** `++`/`--` need an integer lvalue: reports KC301 otherwise. */
  private checkIncDec(lv: LValue, op: "++" | "--", span: Span): void {
    if (isIntegral(lv.type) && lv.type.k !== "bool") return;
    if (lv.type.k === "ptr") this.error("KC301", span, "pointer arithmetic is not supported in KC");
    else this.error("KC301", span, `'${op}' needs an integer, not ${showType(lv.type)}`);
  }

  /** x++ or x-- whose value is not used. */
  private storeIncDec(lv: LValue, op: "++" | "--", span: Span): void {
    this.checkIncDec(lv, op, span);
    if (this.fineActive() && !lv.local) {
      this.rmwFine(lv, op === "++" ? "+" : "-", { k: "const", v: 1 }, span, "none");
      return;
    }
    const old: IExpr = { k: "load", addr: lv.addr, local: lv.local };
    const value: IExpr = { k: "bin", op: op === "++" ? "+" : "-", l: old, r: { k: "const", v: 1 }, span };
    this.emitStore(lv, this.narrow(value, lv.type), span);
  }

  private emitStore(lv: LValue, value: IExpr, _span: Span): void {
    const t = lv.type;
    const range: [number, number] | null = t.k === "int" && t.lo !== null ? [t.lo, t.hi as number] : null;
    this.emit({ k: "store", addr: lv.addr, value, range, at: this.currentSite });
  }

  /**
   * Whether `l op r` involves a size_t (so is unsigned in C). When `op` depends on signedness and
   * an operand may be negative as an int, C's answer differs from KC's: KC313, with the way out.
   */
  private unsignedMix(op: string, l: RValue, r: RValue, span: Span): boolean {
    if (l.type !== SIZE_T && r.type !== SIZE_T) return false;
    const nonNegative = (v: RValue): boolean =>
      (v.x.k === "const" && v.x.v >= 0) ||
      v.type.k === "bool" ||
      (v.type.k === "int" && v.type !== SIZE_T && v.type.lo !== null && v.type.lo >= 0);
    if (SIGN_SENSITIVE.has(op) && !(nonNegative(l) && nonNegative(r)))
      this.error(
        "KC313",
        span,
        `'${op}' with sizeof's value is unsigned in C (size_t), and KC has no unsigned arithmetic yet: a negative int would compare or divide differently; cast it, as in (int)sizeof(x), or use a non-negative int<0..N>`,
      );
    return true;
  }

  /** Converts an int-valued expression to the storage form of type t (bool 0/1, char wrap). */
  private narrow(x: IExpr, t: Type): IExpr {
    if (t.k === "bool") return { k: "bool", e: x };
    if (t.k === "char") return { k: "char", e: x };
    return x;
  }

  private assign(e: Extract<Expr, { kind: "assign" }>): RValue {
    const lv = this.lvalue(e.target);
    if (e.op === "=") {
      const r = this.rvalue(e.value);
      return this.assignTo(lv, r, e.span);
    }
    const op = e.op.slice(0, -1) as import("./ir").BinOp;
    const r = this.rvalue(e.value);
    this.unsignedMix(op, { x: { k: "load", addr: lv.addr, local: lv.local }, type: lv.type }, r, e.span);
    if (!isIntegral(lv.type) || !isIntegral(r.type)) {
      this.error(
        "KC301",
        e.span,
        `'${e.op}' needs integers, not ${showType(lv.type)} and ${showType(r.type)}`,
      );
      return { x: C0, type: ERR };
    }
    if (this.fineActive() && !lv.local) {
      this.rmwFine(lv, op, r.x, e.span, "none");
      return { x: C0, type: lv.type };
    }
    const value: IExpr = {
      k: "bin",
      op,
      l: { k: "load", addr: lv.addr, local: lv.local },
      r: r.x,
      span: e.span,
    };
    this.emitStore(lv, this.narrow(value, lv.type), e.span);
    return { x: value, type: lv.type };
  }

  private assignTo(lv: LValue, r: RValue, span: Span): RValue {
    if (lv.type.k === "struct" && typeEquals(lv.type, r.type)) {
      // Struct copy, word by word, in one statement.
      if (r.x.k !== "load") {
        this.error("KC302", span, "a struct value must come from memory");
        return r;
      }
      const n = sizeOf(lv.type, this.structs);
      for (let i = 0; i < n; i++)
        this.emit({
          k: "store",
          addr: this.offsetAddr(lv.addr, i),
          value: { k: "load", addr: this.offsetAddr(r.x.addr, i), local: r.x.local },
          range: null,
          at: this.currentSite,
        });
      return r;
    }
    if (lv.type.k === "array") {
      this.error("KC302", span, `an array (${showType(lv.type)}) cannot be assigned`);
      return r;
    }
    const x = this.convert(r, lv.type, span, "assignment");
    this.emitStore(lv, x, span);
    return { x, type: lv.type };
  }

  /** Checks that r can be stored in a t, and returns the converted value. */
  private convert(r: RValue, t: Type, span: Span, what: string): IExpr {
    if (r.type.k === "void") {
      this.error("KC309", span, `a void value is used in ${what}`);
      return C0;
    }
    if (isIntegral(t) && isIntegral(r.type)) return this.narrow(r.x, t);
    if (t.k === "bool" && isScalar(r.type)) return { k: "bool", e: r.x };
    if (t.k === "ptr" && r.type.k === "null") return C0;
    if (t.k === "ptr" && r.type.k === "ptr") {
      if (typeEquals(t, r.type) || t.to.k === "void" || r.type.to.k === "void")
        return this.checkLayout(r.x, r.type, t, span);
    }
    if (typeEquals(t, r.type)) return r.x;
    if (r.type !== ERR && t !== ERR)
      this.error(
        what === "assignment" || what === "return value" ? "KC301" : "KC304",
        span,
        `${what}: cannot use ${showType(r.type)} as ${showType(t)}`,
      );
    return r.x;
  }

  /**
   * A pointer converted from `from` to `to`: when the pointees differ (a `void *` given a type, a
   * struct pointer cast to another struct), memory must be laid out as `to` where it points, a
   * check made when the program runs (the IR's "layout").
   */
  private checkLayout(x: IExpr, from: Type, to: Type, span: Span): IExpr {
    if (to.k !== "ptr" || from.k !== "ptr" || to.to.k === "void" || typeEquals(from.to, to.to)) return x;
    return { k: "layout", e: x, to: to.to, span };
  }

  private lvalue(e: Expr): LValue {
    switch (e.kind) {
      case "name": {
        const s = this.lookup(e.name);
        if (!s) {
          if (e.name === "current" || e.name === "self")
            this.error("KC302", e.span, `'${e.name}' cannot be assigned`);
          else this.error("KC201", e.span, `unknown name '${e.name}'`);
          return { addr: C0, type: ERR, local: true };
        }
        if (s.k === "const") {
          this.error("KC302", e.span, `constant '${e.name}' cannot be assigned`);
          return { addr: C0, type: ERR, local: true };
        }
        if (s.k === "global") return { addr: { k: "const", v: s.addr }, type: s.type, local: false };
        return { addr: this.frameAddr(s.off), type: s.type, local: !s.escapes };
      }
      case "unary":
        if (e.op === "*") {
          const r = this.rvalue(e.operand);
          if (r.type.k !== "ptr") {
            this.error("KC305", e.span, `'*' needs a pointer, not ${showType(r.type)}`);
            return { addr: C0, type: ERR, local: true };
          }
          if (r.type.to.k === "void") this.error("KC305", e.span, "cannot dereference a void pointer");
          return {
            addr: { k: "ptr", e: r.x, size: this.pointeeSize(r.type.to), span: e.span },
            type: r.type.to,
            local: false,
          };
        }
        break;
      case "member": {
        let base: LValue;
        let arrow: IExpr | null = null;
        if (e.arrow) {
          const r = this.rvalue(e.base);
          if (r.type.k !== "ptr" || r.type.to.k !== "struct") {
            if (r.type !== ERR)
              this.error("KC305", e.span, `'->' needs a pointer to a struct, not ${showType(r.type)}`);
            return { addr: C0, type: ERR, local: true };
          }
          arrow = r.x;
          base = {
            addr: { k: "ptr", e: r.x, size: this.pointeeSize(r.type.to), span: e.base.span },
            type: r.type.to,
            local: false,
          };
        } else base = this.lvalue(e.base);
        if (base.type.k !== "struct") {
          if (base.type !== ERR)
            this.error("KC306", e.span, `'.${e.field}' needs a struct, not ${showType(base.type)}`);
          return { addr: C0, type: ERR, local: true };
        }
        const info = this.structs.get(base.type.name);
        if (!info || info.size < 0) {
          this.error("KC312", e.span, `struct ${base.type.name} is incomplete`);
          return { addr: C0, type: ERR, local: true };
        }
        const f = info.fields.find((x) => x.name === e.field);
        if (!f) {
          this.error("KC204", e.span, `struct ${info.name} has no field '${e.field}'`);
          return { addr: C0, type: ERR, local: true };
        }
        if (arrow !== null) {
          // p->f reaches the words of the struct up to the end of f, not beyond (as KASAN sees
          // an access): a pointer cast from a smaller object may still read the fields it has.
          const reach = f.offset + sizeOf(f.type, this.structs);
          const ptr: IExpr = { k: "ptr", e: arrow, size: reach, span: e.base.span };
          return { addr: this.offsetAddr(ptr, f.offset), type: f.type, local: false };
        }
        return { addr: this.offsetAddr(base.addr, f.offset), type: f.type, local: base.local };
      }
      case "index": {
        // An array operand lowers to a load of its first word; its address is the array's.
        const b = this.rvalueNoDecay(e.base);
        const i = this.rvalue(e.index);
        const bt = b.type;
        if (bt.k === "array" && b.x.k === "load") {
          if (!isIntegral(i.type))
            this.error("KC301", e.index.span, `an index must be an integer, not ${showType(i.type)}`);
          const stride = sizeOf(bt.of, this.structs);
          const idx: IExpr = { k: "index", e: i.x, n: bt.n, span: e.index.span };
          const scaled: IExpr =
            stride === 1 ? idx : { k: "bin", op: "*", l: idx, r: { k: "const", v: stride }, span: NOSPAN };
          return {
            addr: { k: "bin", op: "+", l: b.x.addr, r: scaled, span: NOSPAN },
            type: bt.of,
            local: b.x.local,
          };
        }
        if (bt.k === "ptr")
          this.error(
            "KC307",
            e.span,
            "indexing a pointer is pointer arithmetic, which KC does not support; index an array",
          );
        else if (bt !== ERR) this.error("KC307", e.span, `${showType(bt)} cannot be indexed`);
        return { addr: C0, type: ERR, local: true };
      }
      default:
        break;
    }
    // Not an lvalue; its own errors (an unknown name inside) come first, and say more.
    if (this.speculate(() => this.rvalue(e)).type !== ERR)
      this.error("KC302", e.span, "this expression cannot be assigned or have its address taken");
    return { addr: C0, type: ERR, local: true };
  }

  /** An rvalue with arrays decayed to pointers. */
  private rvalue(e: Expr): RValue {
    const r = this.rvalueNoDecay(e);
    if (r.type.k === "array" && r.x.k === "load")
      return { x: this.tagStack(r.x.addr), type: { k: "ptr", to: r.type.of } };
    return r;
  }

  /**
   * A pointer value to a word of the running frame carries the frame's unit above its address
   * bits (STACK_TAG_SHIFT in ir.ts): a pointer into a frame that has returned then cannot pass
   * for one into the frame of another function that took its place on the stack.
   */
  private tagStack(addr: IExpr): IExpr {
    addr = pointerValue(addr);
    if (!fpRooted(addr) || this.cur === null) return addr;
    const unit = this.units.length - 1;
    let index = this.stackTagUnits.indexOf(unit);
    if (index < 0) index = this.stackTagUnits.push(unit) - 1;
    const tag = stackTag(index);
    return { k: "bin", op: "+", l: addr, r: { k: "const", v: tag }, span: NOSPAN };
  }

  private rvalueNoDecay(e: Expr): RValue {
    switch (e.kind) {
      case "int":
        return { x: { k: "const", v: e.value | 0 }, type: INT };
      case "bool":
        return { x: { k: "const", v: e.value ? 1 : 0 }, type: BOOL };
      case "null":
        return { x: C0, type: NULLT };
      case "string":
        this.error("KC301", e.span, "a string can only be an assert message or a char array initializer");
        return { x: C0, type: ERR };
      case "name": {
        const s = this.lookup(e.name);
        if (!s) {
          if (e.name === "current") {
            // Linux's current in a handler is whichever task was interrupted; KC does not model
            // that, so a handler may not name it (a function it calls reads NULL and faults).
            if (this.cur?.unit.kind === "interrupt")
              this.error(
                "KC404",
                e.span,
                "'current' is not defined in an interrupt handler: KC does not model which task an interrupt interrupts",
              );
            return { x: { k: "current" }, type: { k: "ptr", to: { k: "struct", name: "task_struct" } } };
          }
          if (e.name === "self") {
            if (this.cur?.unit.kind !== "process")
              this.error("KC404", e.span, "'self' is only defined in a process body");
            return { x: { k: "self" }, type: INT };
          }
          if (this.fns.has(e.name))
            this.error("KC301", e.span, `function '${e.name}' used as a value (KC has no function pointers)`);
          else this.error("KC201", e.span, `unknown name '${e.name}'`);
          return { x: C0, type: ERR };
        }
        if (s.k === "const") return { x: { k: "const", v: s.value }, type: INT };
        const lv = this.lvalue(e);
        return { x: this.valueLoad(lv), type: lv.type };
      }
      case "unary": {
        if (e.op === "&") {
          const lv = this.lvalue(e.operand);
          return { x: this.tagStack(lv.addr), type: lv.type === ERR ? ERR : { k: "ptr", to: lv.type } };
        }
        if (e.op === "*") {
          const lv = this.lvalue(e);
          return { x: this.valueLoad(lv), type: lv.type };
        }
        const r = this.rvalue(e.operand);
        if (e.op === "!") {
          this.condition(r, e.operand.span);
          return { x: fold({ k: "un", op: "!", e: r.x }), type: INT };
        }
        if (!isIntegral(r.type)) {
          if (r.type !== ERR)
            this.error("KC301", e.span, `'${e.op}' needs an integer, not ${showType(r.type)}`);
          return { x: C0, type: ERR };
        }
        // -sizeof(x) and ~sizeof(x) stay unsigned in C.
        const t = r.type === SIZE_T ? SIZE_T : INT;
        if (e.op === "+") return { x: r.x, type: t };
        return { x: fold({ k: "un", op: e.op as "-" | "~", e: r.x }), type: t };
      }
      case "incdec": {
        const lv = this.lvalue(e.operand);
        if (this.fineActive() && !lv.local && isIntegral(lv.type) && lv.type.k !== "bool") {
          const x = this.rmwFine(
            lv,
            e.op === "++" ? "+" : "-",
            { k: "const", v: 1 },
            e.span,
            e.prefix ? "new" : "old",
          );
          return { x, type: INT };
        }
        if (e.prefix) {
          // t = x + 1; x = t; the value is t (read once, so the statement is one access).
          this.checkIncDec(lv, e.op, e.span);
          const t = this.temp();
          const old: IExpr = { k: "load", addr: lv.addr, local: lv.local };
          const v: IExpr = {
            k: "bin",
            op: e.op === "++" ? "+" : "-",
            l: old,
            r: { k: "const", v: 1 },
            span: e.span,
          };
          this.emit({
            k: "store",
            addr: this.frameAddr(t),
            value: this.narrow(v, lv.type),
            range: null,
            at: this.currentSite,
          });
          this.emitStore(lv, { k: "load", addr: this.frameAddr(t), local: true }, e.span);
          return { x: { k: "take", off: t }, type: INT };
        }
        const t = this.temp();
        this.emit({
          k: "store",
          addr: this.frameAddr(t),
          value: { k: "load", addr: lv.addr, local: lv.local },
          range: null,
          at: this.currentSite,
        });
        this.storeIncDec(lv, e.op, e.span);
        return { x: { k: "take", off: t }, type: INT };
      }
      case "binary":
        return this.binary(e);
      case "assign": {
        // In an expression the new value is computed once into a temp, stored, and yielded.
        const lv = this.lvalue(e.target);
        const r = this.rvalue(e.value);
        let v: IExpr;
        if (e.op !== "=") this.unsignedMix(e.op.slice(0, -1), { x: C0, type: lv.type }, r, e.span);
        if (e.op !== "=" && this.fineActive() && !lv.local && isIntegral(lv.type) && isIntegral(r.type)) {
          const op = e.op.slice(0, -1) as import("./ir").BinOp;
          return { x: this.rmwFine(lv, op, r.x, e.span, "new"), type: lv.type };
        }
        if (e.op === "=") v = this.convert(r, lv.type, e.span, "assignment");
        else {
          if (!isIntegral(lv.type) || !isIntegral(r.type))
            this.error("KC301", e.span, `'${e.op}' needs integers`);
          const op = e.op.slice(0, -1) as import("./ir").BinOp;
          v = this.narrow(
            { k: "bin", op, l: { k: "load", addr: lv.addr, local: lv.local }, r: r.x, span: e.span },
            lv.type,
          );
        }
        if (!isScalar(lv.type)) {
          this.error("KC302", e.span, "only a scalar assignment can be used as a value");
          return { x: C0, type: ERR };
        }
        const t = this.temp();
        this.emit({ k: "store", addr: this.frameAddr(t), value: v, range: null, at: this.currentSite });
        this.emitStore(lv, { k: "load", addr: this.frameAddr(t), local: true }, e.span);
        return { x: { k: "take", off: t }, type: lv.type };
      }
      case "cond": {
        const c = this.rvalue(e.test);
        this.condition(c, e.test.span);
        const { a, b, flow } = this.choice(
          c.x,
          () => this.rvalue(e.then),
          () => this.rvalue(e.else),
        );
        const t = this.joinTypes(a.type, b.type, e.span);
        return { x: flow ?? fold({ k: "cond", c: c.x, t: a.x, f: b.x }), type: t };
      }
      case "call":
        return this.call(e, true);
      case "index": {
        const lv = this.lvalue(e);
        return { x: this.valueLoad(lv), type: lv.type };
      }
      case "member": {
        const lv = this.lvalue(e);
        return { x: this.valueLoad(lv), type: lv.type };
      }
      case "sizeof":
        return { x: { k: "const", v: this.sizeofOf(e) }, type: SIZE_T };
      case "cast": {
        const to = this.resolveType(e.to);
        const r = this.rvalue(e.operand);
        if (to.k === "void") return { x: r.x, type: VOID };
        if (isIntegral(to) && isIntegral(r.type)) return { x: this.narrow(r.x, to), type: to };
        if (to.k === "ptr" && r.type.k === "ptr" && !pointeesAgree(r.type.to, to.to))
          this.error(
            "KC313",
            e.span,
            `cannot cast ${showType(r.type)} to ${showType(to)} yet: KC stores every scalar in a word of its own, so a cast between pointers to different scalar types cannot have C's meaning`,
          );
        if (to.k === "ptr" && r.type.k === "ptr")
          return { x: this.checkLayout(r.x, r.type, to, e.span), type: to };
        if (to.k === "ptr" && r.type.k === "null") return { x: r.x, type: to };
        if (to.k === "bool" && isScalar(r.type)) return { x: { k: "bool", e: r.x }, type: BOOL };
        this.error("KC301", e.span, `cannot cast ${showType(r.type)} to ${showType(to)}`);
        return { x: r.x, type: to };
      }
      case "comma":
        this.effect(e.left);
        return this.rvalue(e.right);
      case "stmtExpr":
        return this.statementExpression(e, true);
    }
  }

  /**
   * GNU `({ ... })`: the statements in a scope of their own, then the last one's value (void when
   * it is not an expression statement), copied to a temp before the scope ends. Leaving it by a
   * jump (return, goto, a label, break or continue to a loop outside) is an error: the enclosing
   * expression would be left half evaluated.
   */
  private statementExpression(e: Extract<Expr, { kind: "stmtExpr" }>, wantValue: boolean): RValue {
    const c = this.cur as UnitCtx;
    const jumps: Stmt[] = [...e.body];
    for (let s = jumps.pop(); s; s = jumps.pop()) {
      if (s.kind === "return" || s.kind === "goto" || s.kind === "labeled") {
        const what = s.kind === "labeled" ? "a label" : `'${s.kind}'`;
        this.error(
          "KC406",
          s.span,
          `${what} inside a statement expression ({ ... }): it cannot be jumped out of or into`,
        );
      } else if (s.kind === "block") for (const b of s.body) jumps.push(b);
      else if (s.kind === "if") {
        jumps.push(s.then);
        if (s.else) jumps.push(s.else);
      } else if ("body" in s && !Array.isArray(s.body)) jumps.push(s.body);
    }
    this.pushScope();
    // A break, continue or case inside belongs to a loop or switch inside, or is KC208/KC210.
    const { loops, inSwitch } = c;
    c.loops = [];
    c.inSwitch = [];
    try {
      const last = e.body[e.body.length - 1];
      const valued = last?.kind === "expr" ? last : null;
      for (const s of valued ? e.body.slice(0, -1) : e.body) this.lowerStmt(s);
      if (!valued) return { x: C0, type: VOID };
      this.startStmt(valued.span);
      if (!wantValue) {
        this.effect(valued.expr);
        return { x: C0, type: VOID };
      }
      const r = this.rvalue(valued.expr);
      if (r.type.k === "void" || r.type === ERR || r.x.k === "const") return r;
      if (!isScalar(r.type)) {
        this.error(
          "KC313",
          valued.span,
          `a statement expression whose value is ${showType(r.type)} is not supported yet`,
        );
        return { x: C0, type: ERR };
      }
      const t = this.temp();
      this.emit({ k: "store", addr: this.frameAddr(t), value: r.x, range: null, at: this.currentSite });
      return { x: { k: "take", off: t }, type: r.type };
    } finally {
      c.loops = loops;
      c.inSwitch = inSwitch;
      this.popScope();
    }
  }

  /**
   * `c ? A : B` where each arm runs only on its side: a branch, then each arm's code and a store
   * of its value to a temporary, which `flow` reads. When neither arm emitted code, all that is
   * dropped again and `flow` is null: the caller folds the arms' values into one expression.
   * Each arm is lowered once; lowering it again once it turned out to have effects took time
   * exponential in the nesting of `?:`, `&&` and `||`.
   */
  private choice(
    c: IExpr,
    thenArm: () => RValue,
    elseArm: () => RValue,
  ): { a: RValue; b: RValue; flow: IExpr | null } {
    const ctx = this.cur as UnitCtx;
    const mark = this.code.length;
    const boundary = this.pendingBoundary;
    const frame = ctx.next;
    const tmp = this.temp();
    const br = this.emit({ k: "branch", cond: c, t: -1, f: -1, at: this.currentSite });
    this.patchTrue([br], this.here());
    const a = thenArm();
    const thenPure = this.here() === br + 1;
    this.emit({ k: "store", addr: this.frameAddr(tmp), value: a.x, range: null, at: this.currentSite });
    const j = this.emit({ k: "jump", to: -1, at: this.currentSite });
    this.patchFalse([br], this.here());
    const elseStart = this.here();
    const b = elseArm();
    if (thenPure && this.here() === elseStart) {
      this.code.length = mark;
      this.info.length = mark;
      this.pendingBoundary = boundary;
      ctx.next = frame;
      return { a, b, flow: null };
    }
    this.emit({ k: "store", addr: this.frameAddr(tmp), value: b.x, range: null, at: this.currentSite });
    this.patchJump(j, this.here());
    return { a, b, flow: { k: "take", off: tmp } };
  }

  private joinTypes(a: Type, b: Type, span: Span): Type {
    if (isIntegral(a) && isIntegral(b)) return INT;
    if (a.k === "ptr" && b.k === "null") return a;
    if (b.k === "ptr" && a.k === "null") return b;
    if (typeEquals(a, b)) return a;
    if (a !== ERR && b !== ERR)
      this.error("KC301", span, `the arms of ?: have different types: ${showType(a)} and ${showType(b)}`);
    return ERR;
  }

  private binary(e: Extract<Expr, { kind: "binary" }>): RValue {
    const op = e.op;
    if (op === "&&" || op === "||") {
      const l = this.rvalue(e.left);
      this.condition(l, e.left.span);
      let r: RValue = { x: C0, type: INT };
      // The right operand runs only when needed; where it has effects, its value is `!!right`
      // (0 or 1; a pointer is tested against NULL, as in C).
      const right = (): RValue => {
        r = this.rvalue(e.right);
        this.condition(r, e.right.span);
        return { x: fold({ k: "un", op: "!", e: fold({ k: "un", op: "!", e: r.x }) }), type: INT };
      };
      const short = (): RValue => ({ x: { k: "const", v: op === "&&" ? 0 : 1 }, type: INT });
      const { flow } = op === "&&" ? this.choice(l.x, right, short) : this.choice(l.x, short, right);
      return { x: flow ?? fold({ k: "bin", op, l: l.x, r: r.x, span: e.span }), type: INT };
    }
    const l = this.rvalue(e.left);
    const r = this.rvalue(e.right);
    if (l.type === ERR || r.type === ERR) return { x: C0, type: ERR };
    const cmp = op === "==" || op === "!=" || op === "<" || op === "<=" || op === ">" || op === ">=";
    if (isIntegral(l.type) && isIntegral(r.type)) {
      // Arithmetic on a size_t stays size_t (unsigned in C); a comparison yields int.
      const unsigned = this.unsignedMix(op, l, r, e.span);
      return {
        x: fold({ k: "bin", op, l: l.x, r: r.x, span: e.span }),
        type: unsigned && !cmp ? SIZE_T : INT,
      };
    }
    const ptrish = (t: Type) => t.k === "ptr" || t.k === "null";
    if ((op === "==" || op === "!=") && ptrish(l.type) && ptrish(r.type)) {
      const ok =
        l.type.k === "null" ||
        r.type.k === "null" ||
        typeEquals(l.type, r.type) ||
        (l.type.k === "ptr" && l.type.to.k === "void") ||
        (r.type.k === "ptr" && r.type.to.k === "void");
      if (!ok) this.error("KC301", e.span, `comparing ${showType(l.type)} with ${showType(r.type)}`);
      return { x: { k: "bin", op, l: l.x, r: r.x, span: e.span }, type: INT };
    }
    if ((op === "+" || op === "-") && (l.type.k === "ptr" || r.type.k === "ptr"))
      this.error("KC301", e.span, "pointer arithmetic is not supported in KC");
    else
      this.error(
        "KC301",
        e.span,
        `'${op}' cannot combine ${showType(l.type)} and ${showType(r.type)}${cmp ? "" : " (it needs integers)"}`,
      );
    return { x: C0, type: ERR };
  }

  // ------------------------------------------------------------ calls

  private call(e: Extract<Expr, { kind: "call" }>, wantValue: boolean): RValue {
    const prim = this.builtinCall(e, wantValue);
    if (prim) return prim;
    const sig = this.fns.get(e.callee);
    if (!sig) {
      this.error("KC205", e.calleeSpan, `unknown function '${e.callee}'`);
      for (const a of e.args) this.rvalue(a);
      return { x: C0, type: ERR };
    }
    if (!sig.decl?.body) {
      this.error("KC205", e.calleeSpan, `function '${e.callee}' is declared but never defined`);
    }
    if (e.args.length !== sig.params.length) {
      this.error(
        "KC303",
        e.span,
        `'${e.callee}' takes ${sig.params.length} argument${sig.params.length === 1 ? "" : "s"}, not ${e.args.length}`,
      );
    }
    const args: IExpr[] = [];
    e.args.forEach((a, i) => {
      const r = this.rvalue(a);
      const pt = sig.params[i];
      args.push(pt ? this.convert(r, pt, a.span, `argument ${i + 1} of '${e.callee}'`) : r.x);
    });
    // Arguments are evaluated before the call; a temp per argument keeps each evaluation in
    // the statement that contains it (not needed: the call instruction evaluates them).
    if (wantValue && sig.returns.k === "void") {
      this.error("KC309", e.span, `'${e.callee}' returns void; its value cannot be used`);
    }
    const dest = wantValue && sig.returns.k !== "void" ? this.temp() : -1;
    this.callees[this.units.length - 1]?.add(sig.index);
    this.emit({
      k: "call",
      fn: sig.index,
      args,
      destOff: dest >= 0 ? dest : null,
      at: this.currentSite,
    });
    // The instruction after a call is where the callee returns to: a step may end there.
    this.pendingBoundary = true;
    if (dest < 0) return { x: C0, type: sig.returns.k === "void" ? VOID : sig.returns };
    return { x: { k: "take", off: dest }, type: sig.returns };
  }

  private builtinCall(e: Extract<Expr, { kind: "call" }>, wantValue: boolean): RValue | null {
    const arity = (n: number): boolean => {
      if (e.args.length === n) return true;
      this.error(
        "KC303",
        e.span,
        `'${e.callee}' takes ${n} argument${n === 1 ? "" : "s"}, not ${e.args.length}`,
      );
      for (const a of e.args) this.speculate(() => this.rvalue(a));
      return false;
    };
    const noValue = (): RValue => {
      if (wantValue) this.error("KC309", e.span, `'${e.callee}' returns void; its value cannot be used`);
      return { x: C0, type: VOID };
    };
    if (this.fns.has(e.callee)) return null;
    switch (e.callee) {
      case "choose": {
        if (!arity(2)) return { x: C0, type: ERR };
        const lo = this.rvalue(e.args[0] as Expr);
        const hi = this.rvalue(e.args[1] as Expr);
        if (!isIntegral(lo.type) || !isIntegral(hi.type))
          this.error("KC304", e.span, "choose(lo, hi) takes two integers");
        const t = this.temp();
        this.emit({ k: "choose", dest: this.frameAddr(t), lo: lo.x, hi: hi.x, at: this.currentSite });
        return { x: { k: "take", off: t }, type: INT };
      }
      case "schedule":
      case "cli":
      case "sti":
        if (arity(0)) this.emit({ k: "prim", name: e.callee, args: [], at: this.currentSite });
        if (e.callee === "schedule") this.pendingBoundary = true;
        return noValue();
      case "save_flags": {
        // include/asm-i386/system.h: save_flags(x) is a macro that stores EFLAGS in x.
        if (!arity(1)) return noValue();
        const lv = this.lvalue(e.args[0] as Expr);
        if (!isIntegral(lv.type)) this.error("KC304", e.span, "save_flags needs an integer variable");
        this.emit({ k: "prim", name: "save_flags", args: [lv.addr], at: this.currentSite });
        return noValue();
      }
      case "restore_flags": {
        if (!arity(1)) return noValue();
        const r = this.rvalue(e.args[0] as Expr);
        if (!isIntegral(r.type)) this.error("KC304", e.span, "restore_flags needs an integer");
        this.emit({ k: "prim", name: "restore_flags", args: [r.x], at: this.currentSite });
        return noValue();
      }
      case "kmalloc": {
        // mm/slab.c kmalloc(size, flags): KC takes the object type from `sizeof(T)` or
        // `sizeof(*p)` and hands out a slot of that type's pool; NULL when the pool is empty.
        if (e.args.length !== 1 && e.args.length !== 2) {
          this.error("KC303", e.span, `'kmalloc' takes 1 or 2 arguments (size, flags), not ${e.args.length}`);
          for (const a of e.args) this.speculate(() => this.rvalue(a));
          return { x: C0, type: ERR };
        }
        const size = e.args[0] as Expr;
        if (e.args[1]) this.rvalue(e.args[1]);
        if (size.kind !== "sizeof") {
          this.speculate(() => this.rvalue(size));
          this.error(
            "KC409",
            size.span,
            "kmalloc's size must be sizeof(TYPE) or sizeof(*ptr), so that KC knows which pool to use",
          );
          return { x: C0, type: ERR };
        }
        const t = this.sizeofType(size.of);
        const pool = this.pools.findIndex((q) => typeEquals(q.type, t));
        if (pool < 0) {
          this.error(
            "KC409",
            size.span,
            `no pool of ${showType(t)} to allocate from: declare one, e.g. 'pool ${showType(t)}[4];'`,
          );
          return { x: C0, type: ERR };
        }
        const tmp = this.temp();
        this.emit({ k: "kmalloc", pool, destOff: tmp, at: this.currentSite });
        return { x: { k: "take", off: tmp }, type: { k: "ptr", to: t } };
      }
      case "kfree": {
        if (!arity(1)) return noValue();
        const r = this.rvalue(e.args[0] as Expr);
        if (r.type.k !== "ptr" && r.type.k !== "null")
          this.error("KC305", e.span, `kfree needs a pointer, not ${showType(r.type)}`);
        this.emit({ k: "kfree", ptr: r.x, at: this.currentSite });
        return noValue();
      }
      case "wait_event":
      case "wait_event_interruptible":
        if (!arity(2)) return { x: C0, type: ERR };
        return this.waitEvent(e, e.callee === "wait_event_interruptible");
      case "panic": {
        for (const a of e.args) if (a.kind !== "string") this.rvalue(a);
        const msg = e.args[0]?.kind === "string" ? e.args[0].value : "panic";
        this.emit({ k: "assert", cond: C0, message: `panic: ${msg}`, at: this.currentSite });
        return noValue();
      }
      default:
        return null;
    }
  }

  /**
   * include/linux/wait.h wait_event(wq, cond) and wait_event_interruptible(wq, cond): macros
   * whose condition is re-evaluated after every wake-up, expanded here as the kernel expands
   * them (___wait_event), with a hidden entry and result on the caller's stack:
   *
   *   if (!(cond)) { init_wait(&w); for (;;) { prepare_to_wait(&wq, &w, STATE); if (cond) break;
   *   [if (signal_pending(current)) { ret = -ERESTARTSYS; break; }] schedule(); } finish_wait(&wq, &w); }
   *
   * wait_event_interruptible yields 0, or -ERESTARTSYS when a signal cut the wait short.
   */
  private waitEvent(e: Extract<Expr, { kind: "call" }>, interruptible: boolean): RValue {
    const c = this.cur as UnitCtx;
    const sp = e.span;
    // The condition is lowered twice (before sleeping and after each wake-up): a wait inside
    // it would double the code at every level, and cannot sleep with the task's state set.
    if (this.inWait) {
      this.error("KC406", sp, `${e.callee} cannot be used inside the condition of another wait`);
      return { x: C0, type: ERR };
    }
    const [wq, cond] = e.args as [Expr, Expr];
    const n = this.code.length;
    const entry = `__wait_entry_${n}`;
    const ret = `__wait_ret_${n}`;
    c.escaping.add(entry);
    const name = (x: string): Expr => ({ kind: "name", name: x, span: sp });
    const call = (f: string, args: Expr[]): Stmt => ({
      kind: "expr",
      expr: { kind: "call", callee: f, calleeSpan: sp, args, span: sp },
      span: sp,
    });
    const addr = (x: Expr): Expr => ({ kind: "unary", op: "&", operand: x, span: sp });
    const ifThen = (test: Expr, body: Stmt): Stmt => ({
      kind: "if",
      test,
      // biome-ignore lint/suspicious/noThenProperty: ast.ts names the branch of an `if` node "then".
      then: body,
      else: null,
      span: sp,
    });
    const state = name(interruptible ? "TASK_INTERRUPTIBLE" : "TASK_UNINTERRUPTIBLE");
    const loopBody: Stmt[] = [
      call("prepare_to_wait", [addr(wq), addr(name(entry)), state]),
      ifThen(cond, { kind: "break", span: sp }),
    ];
    if (interruptible)
      loopBody.push(
        ifThen(
          { kind: "call", callee: "signal_pending", calleeSpan: sp, args: [name("current")], span: sp },
          {
            kind: "block",
            body: [
              {
                kind: "expr",
                expr: {
                  kind: "assign",
                  op: "=",
                  target: name(ret),
                  value: { kind: "unary", op: "-", operand: name("ERESTARTSYS"), span: sp },
                  span: sp,
                },
                span: sp,
              },
              { kind: "break", span: sp },
            ],
            span: sp,
          },
        ),
      );
    loopBody.push(call("schedule", []));
    const intType: TypeExpr = { kind: "named", name: "int", span: sp };
    const block: Stmt = {
      kind: "block",
      body: [
        {
          kind: "decl",
          decls: [
            {
              name: ret,
              type: intType,
              init: { kind: "expr", expr: { kind: "int", value: 0, span: sp }, span: sp },
              isStatic: false,
              span: sp,
            },
          ],
          span: sp,
        },
        ifThen(
          { kind: "unary", op: "!", operand: cond, span: sp },
          {
            kind: "block",
            body: [
              {
                kind: "decl",
                decls: [
                  {
                    name: entry,
                    type: { kind: "typedef", name: "wait_queue_entry_t", span: sp },
                    init: null,
                    isStatic: false,
                    span: sp,
                  },
                ],
                span: sp,
              },
              call("init_wait", [addr(name(entry))]),
              {
                kind: "for",
                init: null,
                test: null,
                update: null,
                body: { kind: "block", body: loopBody, span: sp },
                span: sp,
              },
              call("finish_wait", [addr(wq), addr(name(entry))]),
            ],
            span: sp,
          },
        ),
      ],
      span: sp,
    };
    // The result variable must outlive the block: declare it in the enclosing scope.
    const body = (block as Extract<Stmt, { kind: "block" }>).body;
    this.lowerStmt(body[0] as Stmt);
    this.inWait = true;
    try {
      this.lowerStmt(body[1] as Stmt);
    } finally {
      this.inWait = false;
    }
    const r = this.lookup(ret);
    if (r?.k !== "local") return { x: C0, type: ERR };
    return { x: { k: "load", addr: this.frameAddr(r.off), local: !r.escapes }, type: INT };
  }

  // ------------------------------------------------------------ post passes

  /** Stack bound of every unit: its frame plus the deepest chain of callees. */
  /** Whether `words` more words of global memory fit in a state (KC410 if not). */
  private roomFor(words: number, span: Span, what: string): boolean {
    if (this.globalInit.length + words <= MAX_STATE_WORDS) return true;
    this.error(
      "KC410",
      span,
      `${what} needs ${words} words of memory, and a state holds at most ${MAX_STATE_WORDS} words (1 MiB) in all`,
    );
    return false;
  }

  /** The whole state (globals, then each task's block and stack; see layoutMachine) fits: KC410 if not. */
  private checkStateSize(): void {
    // Stack pointers carry a unit number above the address bits (ir.ts).
    if (this.stackTagUnits.length > MAX_TAGGED_UNITS)
      this.error(
        "KC410",
        null,
        `${this.stackTagUnits.length} functions, processes and handlers take the address of a local; KC allows at most ${MAX_TAGGED_UNITS}`,
      );
    let total = this.globalInit.length;
    for (const rec of [...this.processes, ...this.interrupts]) {
      const unit = this.units[rec.unit] as Unit;
      const stack = unit.maxStack < 0 ? RECURSIVE_STACK_WORDS : Math.max(1, unit.maxStack);
      const words = rec.count * (TASK_HEADER + stack);
      total += words;
      if (total > MAX_STATE_WORDS) {
        this.error(
          "KC410",
          unit.span,
          `${rec.count} instance${rec.count === 1 ? "" : "s"} of ${rec.name} need ${words} words (task blocks and stacks), which brings the state to ${total} words; a state holds at most ${MAX_STATE_WORDS} words (1 MiB)`,
        );
        return;
      }
    }
  }

  private computeStacks(): void {
    const unitOfFn = this.fnList.map((f) => f.unit);
    const calleeUnits = (u: number): number[] =>
      [...(this.callees[u] ?? [])].map((fi) => unitOfFn[fi] ?? -1).filter((cu) => cu >= 0);
    // Post-order over the call graph with a stack of its own (a chain of calls may be longer
    // than the JS stack); a unit that can reach recursion has no bound: -1.
    const memo = new Map<number, number>();
    const onPath = new Set<number>();
    const path: Array<{ u: number; next: number[]; deepest: number }> = [];
    const enter = (u: number): void => {
      onPath.add(u);
      path.push({ u, next: calleeUnits(u), deepest: 0 });
    };
    for (let root = 0; root < this.units.length; root++) {
      if (!memo.has(root)) enter(root);
      while (path.length > 0) {
        const top = path[path.length - 1] as (typeof path)[number];
        const callee = top.deepest < 0 ? undefined : top.next.pop();
        if (callee === undefined) {
          path.pop();
          onPath.delete(top.u);
          const r = top.deepest < 0 ? -1 : (this.units[top.u] as Unit).frameSize + top.deepest;
          memo.set(top.u, r);
          const caller = path[path.length - 1];
          if (caller) caller.deepest = r < 0 ? -1 : Math.max(caller.deepest, r);
          continue;
        }
        const m = memo.get(callee);
        if (m !== undefined) top.deepest = m < 0 ? -1 : Math.max(top.deepest, m);
        else if (onPath.has(callee)) top.deepest = -1;
        else enter(callee);
      }
    }
    this.units.forEach((u, i) => {
      u.maxStack = memo.get(i) ?? -1;
    });
  }

  /**
   * Marks each statement group (the instructions reachable from a boundary without crossing
   * another) visible when any of its instructions may touch memory other processes can see.
   */
  private computeGroups(): void {
    const n = this.code.length;
    const own = new Uint8Array(n);
    for (let i = 0; i < n; i++) own[i] = instrVisible(this.code[i] as Instr) ? 1 : 0;
    for (let i = 0; i < n; i++) {
      const inf = this.info[i] as InstrInfo;
      if (!inf.boundary) continue;
      const seen = new Set<number>();
      const stack = [i];
      let vis = false;
      while (stack.length > 0 && !vis) {
        const j = stack.pop() as number;
        if (seen.has(j)) continue;
        seen.add(j);
        if (own[j]) vis = true;
        for (const s of successors(this.code[j] as Instr, j)) {
          if (s >= 0 && s < n && !(this.info[s] as InstrInfo).boundary) stack.push(s);
        }
      }
      inf.visible = vis || this.options.noMerge === true;
    }
  }
}

const NOSPAN: Span = { file: -1, start: 0, end: 0 };

/** Type expressions and expressions share no `kind`: tells which a `sizeof` operand is. */
function isTypeExpr(x: TypeExpr | Expr): x is TypeExpr {
  return TYPE_KINDS.has(x.kind);
}

const TYPE_KINDS = new Set<string>(["named", "range", "struct", "enum", "typedef", "pointer", "array"]);

/** Properties every program has, besides its own invariant/final/reachable declarations. */
export const BUILTIN_PROPERTIES = ["assertion", "deadlock", "stuck_waiter", "runtime_error"];

/** Successor instructions of an instruction in the code array (calls continue at i + 1). */
export function successors(ins: Instr, i: number): number[] {
  switch (ins.k) {
    case "branch":
      return [ins.t, ins.f];
    case "jump":
      return [ins.to];
    case "switch":
      return [...ins.cases.map((c) => c[1]), ins.dflt];
    case "ret":
    case "exit":
      return [];
    default:
      return [i + 1];
  }
}

/** Whether an instruction by itself may read or write memory that other processes see. */
function instrVisible(ins: Instr): boolean {
  switch (ins.k) {
    case "store":
      return ins.escapes === true || !isLocalAddr(ins.addr) || exprVisible(ins.value);
    case "branch":
    case "assert":
      return exprVisible(ins.cond);
    case "switch":
      return exprVisible(ins.value);
    case "call":
      return ins.args.some(exprVisible);
    case "ret":
      return ins.value ? exprVisible(ins.value) : false;
    case "choose":
      return exprVisible(ins.lo) || exprVisible(ins.hi);
    case "jump":
    case "exit":
      return false;
    // Blocking, atomicity and kernel primitives always count: they decide who may run.
    case "assume":
    case "await":
    case "atomic":
    case "prim":
    case "kmalloc":
    case "kfree":
      return true;
  }
}

/**
 * The value of an address taken through a pointer (`&q->f`, `&*q`, `&q->a[i]`, `q->a` decayed): the
 * pointer itself plus the offsets, with no dereference check (taking an address reads nothing),
 * so that a stack pointer's tag (ir.ts) stays on it and equal places give equal pointers.
 */
function pointerValue(addr: IExpr): IExpr {
  if (addr.k === "ptr") return addr.e;
  if (addr.k === "bin" && addr.op === "+") {
    const l = pointerValue(addr.l);
    return l === addr.l ? addr : { ...addr, l };
  }
  return addr;
}

/** An address in the running function's frame: fp plus offsets (and checked indices). */
function fpRooted(a: IExpr): boolean {
  return a.k === "fp" || (a.k === "bin" && a.op === "+" && fpRooted(a.l));
}

/** The frame offset an fp-rooted address starts from (its constant part, before any index); null if not plain. */
function frameOffset(a: IExpr): number | null {
  if (a.k === "fp") return 0;
  if (a.k === "bin" && a.op === "+") {
    const l = frameOffset(a.l);
    if (l === null) return null;
    return a.r.k === "const" ? l + a.r.v : l;
  }
  return null;
}

function isLocalAddr(a: IExpr): boolean {
  // Addresses of private locals are fp + constant (see frameAddr), or fp + checked index.
  if (a.k === "fp") return true;
  if (a.k === "bin" && a.op === "+") return isLocalAddr(a.l) && !exprVisible(a.r);
  return false;
}

function exprVisible(e: IExpr): boolean {
  switch (e.k) {
    case "const":
    case "fp":
    case "self":
    case "current":
    case "take":
      return false;
    case "load":
      return !e.local || exprVisible(e.addr);
    case "ptr":
    case "index":
    case "un":
    case "bool":
    case "char":
      return exprVisible(e.e);
    case "bin":
      return exprVisible(e.l) || exprVisible(e.r);
    case "cond":
      return exprVisible(e.c) || exprVisible(e.t) || exprVisible(e.f);
    case "layout":
      // It reads the object the pointer points into (another task's frames, say): shared.
      return true;
  }
}

/** Folds operators over constants. */
function fold(x: IExpr): IExpr {
  if (x.k === "bin" && x.l.k === "const" && x.r.k === "const") {
    const v = foldBin(x.op, x.l.v, x.r.v);
    if (v !== null) return { k: "const", v };
  }
  if (x.k === "un" && x.e.k === "const") {
    const v = x.op === "-" ? -x.e.v | 0 : x.op === "~" ? ~x.e.v : +(x.e.v === 0);
    return { k: "const", v };
  }
  if (x.k === "cond" && x.c.k === "const") return x.c.v ? x.t : x.f;
  return x;
}

/**
 * Names whose address is taken in a body (`&x`, `&x.f`, `&x[i]`): such locals may be seen by
 * other processes (a wait-queue entry on the stack), so accesses to them are visible.
 */
function collectEscaping(body: Stmt): { names: Set<string>; goto: boolean } {
  const out = new Set<string>();
  let goto = false;
  const root = (e: Expr): string | null => {
    if (e.kind === "name") return e.name;
    if (e.kind === "member" && !e.arrow) return root(e.base);
    if (e.kind === "index") return root(e.base);
    return null;
  };
  const visitExpr = (e: Expr | null | undefined): void => {
    if (!e) return;
    switch (e.kind) {
      case "unary":
        if (e.op === "&") {
          const r = root(e.operand);
          if (r) out.add(r);
        }
        visitExpr(e.operand);
        return;
      case "incdec":
        visitExpr(e.operand);
        return;
      case "binary":
        visitExpr(e.left);
        visitExpr(e.right);
        return;
      case "assign":
        visitExpr(e.target);
        visitExpr(e.value);
        return;
      case "cond":
        visitExpr(e.test);
        visitExpr(e.then);
        visitExpr(e.else);
        return;
      case "call":
        for (const a of e.args) visitExpr(a);
        return;
      case "index":
        visitExpr(e.base);
        visitExpr(e.index);
        return;
      case "member":
        visitExpr(e.base);
        return;
      case "cast":
        visitExpr(e.operand);
        return;
      case "comma":
        visitExpr(e.left);
        visitExpr(e.right);
        return;
      case "stmtExpr":
        for (const s of e.body) stack.push(s);
        return;
      default:
        return;
    }
  };
  const visitInit = (i: Init): void => {
    if (i.kind === "expr") visitExpr(i.expr);
    else for (const it of i.items) visitInit(it.value);
  };
  // Statements are walked with a worklist: else-if chains and label runs may be very long.
  const stack: Stmt[] = [body];
  for (let s = stack.pop(); s; s = stack.pop()) {
    switch (s.kind) {
      case "block":
        for (const b of s.body) stack.push(b);
        break;
      case "decl":
        for (const d of s.decls) if (d.init) visitInit(d.init);
        break;
      case "expr":
        visitExpr(s.expr);
        break;
      case "if":
        visitExpr(s.test);
        stack.push(s.then);
        if (s.else) stack.push(s.else);
        break;
      case "while":
      case "doWhile":
      case "switch":
        visitExpr(s.test);
        stack.push(s.body);
        break;
      case "for":
        if (s.init) stack.push(s.init);
        visitExpr(s.test);
        visitExpr(s.update);
        stack.push(s.body);
        break;
      case "return":
        visitExpr(s.value);
        break;
      case "labeled":
      case "atomic":
      case "case":
        stack.push(s.body);
        break;
      case "assert":
      case "assume":
      case "await":
        visitExpr(s.test);
        break;
      case "goto":
        goto = true;
        break;
      default:
        break;
    }
  }
  return { names: out, goto };
}
