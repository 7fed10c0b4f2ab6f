// Pure helpers of the elaborator: IR predicates and folding that need no elaboration state.
import type { Expr, Init, Span, Stmt, TypeExpr } from "../ast";
import type { IExpr, Instr } from "../ir";

export const NOSPAN: Span = { file: -1, start: 0, end: 0 };

/** Type expressions and expressions share no `kind`: tells which a `sizeof` operand is. */
export function isTypeExpr(x: TypeExpr | Expr): x is TypeExpr {
  return TYPE_KINDS.has(x.kind);
}

export const TYPE_KINDS = new Set<string>([
  "named",
  "range",
  "struct",
  "enum",
  "typedef",
  "pointer",
  "array",
  "function",
  "typeof",
]);

/** Properties every program has, besides its own invariant/final/reachable declarations. */
export const BUILTIN_PROPERTIES = ["assertion", "deadlock", "stuck_waiter", "runtime_error", "memory_leak"];

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
export function instrVisible(ins: Instr): boolean {
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
      return ins.values.some(exprVisible);
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
 * pointer itself plus the offsets, checked only for NULL (taking an address reads nothing, but
 * C's `->` needs an object: NULL plus an offset would be some low word of memory), so that a
 * stack pointer's tag (ir.ts) stays on it and equal places give equal pointers.
 */
export function pointerValue(addr: IExpr): IExpr {
  if (addr.k === "ptr")
    return addr.nullOnly ? addr : { k: "ptr", e: addr.e, size: 0, span: addr.span, nullOnly: true };
  if (addr.k === "bin" && addr.op === "+") {
    const l = pointerValue(addr.l);
    return l === addr.l ? addr : { ...addr, l };
  }
  return addr;
}

/** An address in the running function's frame: fp plus offsets (and checked indices). */
export function fpRooted(a: IExpr): boolean {
  return a.k === "fp" || (a.k === "bin" && a.op === "+" && fpRooted(a.l));
}

/** The frame offset an fp-rooted address starts from (its constant part, before any index); null if not plain. */
export function frameOffset(a: IExpr): number | null {
  if (a.k === "fp") return 0;
  if (a.k === "bin" && a.op === "+") {
    const l = frameOffset(a.l);
    if (l === null) return null;
    return a.r.k === "const" ? l + a.r.v : l;
  }
  return null;
}

export function isLocalAddr(a: IExpr): boolean {
  // Addresses of private locals are fp + constant (see frameAddr), or fp + checked index.
  if (a.k === "fp") return true;
  if (a.k === "bin" && a.op === "+") return isLocalAddr(a.l) && !exprVisible(a.r);
  return false;
}

export function exprVisible(e: IExpr): boolean {
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
    case "wrap":
      return exprVisible(e.e);
    case "bin":
      return exprVisible(e.l) || exprVisible(e.r);
    case "cond":
      return exprVisible(e.c) || exprVisible(e.t) || exprVisible(e.f);
    case "layout":
    case "padd":
    case "pdiff":
    case "pcmp":
      // It reads the object the pointer points into (another task's frames, say): shared.
      return true;
    case "p2i":
    case "i2p":
    case "callee":
      return exprVisible(e.e);
  }
}

/** Folds operators over constants. */
export function fold(x: IExpr): IExpr {
  if (x.k === "bin" && x.l.k === "const" && x.r.k === "const") {
    const v = foldBin(x.op, x.l.v, x.r.v);
    if (v !== null) return { k: "const", v };
  }
  if (x.k === "un" && x.e.k === "const") {
    const v = x.op === "-" ? -x.e.v | 0 : x.op === "~" ? ~x.e.v : +(x.e.v === 0);
    return { k: "const", v };
  }
  if (x.k === "cond" && x.c.k === "const") return x.c.v ? x.t : x.f;
  if (x.k === "wrap" && x.e.k === "const") {
    const shift = 32 - x.bits;
    return { k: "const", v: x.unsigned ? (x.e.v << shift) >>> shift : (x.e.v << shift) >> shift };
  }
  if (x.k === "char" && x.e.k === "const") return { k: "const", v: (x.e.v << 24) >> 24 };
  return x;
}

/**
 * The operands an expression evaluates when it runs, in source order: not the operand of
 * sizeof (never run), nor a statement expression's body (statements, walked as such), nor the
 * parts of property-only forms.
 */
export function exprChildren(e: Expr): Expr[] {
  switch (e.kind) {
    case "unary":
    case "incdec":
    case "cast":
      return [e.operand];
    case "binary":
    case "comma":
      return [e.left, e.right];
    case "assign":
      return [e.target, e.value];
    case "cond":
      return [e.test, e.then, e.else];
    case "index":
      return [e.base, e.index];
    case "member":
      return [e.base];
    case "call":
      return e.fn ? [e.fn, ...e.args] : e.args;
    default:
      return [];
  }
}

/**
 * Names whose address is taken in a body (`&x`, `&x.f`, `&x[i]`): such locals may be seen by
 * other processes (a wait-queue entry on the stack), so accesses to them are visible.
 */
export function collectEscaping(body: Stmt): { names: Set<string>; goto: boolean } {
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
    if (e.kind === "unary" && e.op === "&") {
      const r = root(e.operand);
      if (r) out.add(r);
    }
    if (e.kind === "stmtExpr") for (const s of e.body) stack.push(s);
    for (const c of exprChildren(e)) visitExpr(c);
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

/**
 * Integer arithmetic with C's 32-bit wrap, for constant folding, on words (ir.ts BinOp): the
 * `u` operators read them as unsigned. Null where the machine faults (a divide error, a shift
 * count outside 0..31): such an operation is left to run, or is not a constant.
 */
export function foldBin(op: string, a: number, b: number): number | null {
  if ((op === "<<" || op === ">>" || op === "u>>") && (b < 0 || b > 31)) return null;
  const ua = a >>> 0;
  const ub = b >>> 0;
  switch (op) {
    case "u/":
      return ub === 0 ? null : Math.floor(ua / ub) | 0;
    case "u%":
      return ub === 0 ? null : (ua % ub) | 0;
    case "u>>":
      return (a >>> b) | 0;
    case "u<":
      return +(ua < ub);
    case "u<=":
      return +(ua <= ub);
    case "u>":
      return +(ua > ub);
    case "u>=":
      return +(ua >= ub);
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

/** Whether evaluating x reads (and so clears) a temporary: such a value cannot be read twice. */
export function takes(x: IExpr): boolean {
  switch (x.k) {
    case "take":
      return true;
    case "const":
    case "fp":
    case "self":
    case "current":
      return false;
    case "load":
      return takes(x.addr);
    case "ptr":
    case "index":
    case "un":
    case "bool":
    case "char":
    case "wrap":
    case "layout":
    case "p2i":
    case "i2p":
    case "callee":
      return takes(x.e);
    case "bin":
    case "pdiff":
    case "pcmp":
      return takes(x.l) || takes(x.r);
    case "padd":
      return takes(x.p) || takes(x.n);
    case "cond":
      return takes(x.c) || takes(x.t) || takes(x.f);
  }
}
