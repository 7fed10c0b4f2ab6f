// Unsequenced accesses in one full expression (C11 6.5p2): a side effect on an object that
// nothing orders against another side effect on it, or against a read of it, is undefined
// behaviour. KC would give such an expression one of its meanings (and the fine mode another),
// so it is refused (KC314) instead.
//
// The rules walked here (C11 6.5, 6.5.2.2, 6.5.13-17):
// - the operands of an operator, and a call's designator and arguments, are unsequenced with
//   each other: an access in one conflicts with an access to the same object in another when
//   either is a write;
// - `&&`, `||`, `,` and `?:` have a sequence point after their first operand: nothing there
//   conflicts with their other operands, and its side effects are complete before the
//   operator's value is;
// - an assignment's store follows the value computations of both operands (`x = x + 1`,
//   `a[i] = i` are defined) but not their side effects (`x = x++`, `x = (x = 1)` are not);
// - a call's arguments, side effects included, are complete before the call (`x = f(x++)` is
//   defined); what the callee's body does is indeterminately sequenced with the caller's
//   expression, which is no undefined behaviour, so a body is not looked into. A statement
//   expression `({ ... })` is taken the same way: its statements are full expressions of
//   their own, checked when they are lowered.
//
// "The same object" is decided by the text: two lvalues are one object when they are spelled
// alike (a name, a member path, an element with the same side-effect-free index), and distinct
// otherwise. Aliasing (`*p` and `x` where p == &x, `a[i]` and `a[j]` where i == j, two members
// of a union) cannot be decided before the program runs, so such an expression is accepted:
// the check only refuses what C surely leaves undefined.
import type { Expr, Span } from "../ast";
import { exprChildren } from "./util";

/** One read or write of an object in a full expression. */
interface Access {
  /** The object, as its lvalue is spelled. */
  key: string;
  write: boolean;
  /** A write not known to be complete when the value of the expression holding it is. */
  pending: boolean;
  /** How the message names the access: "read", "written by 'x++'". */
  what: string;
  span: Span;
}

/** Two accesses to one object that C leaves unordered; the span is the later one's. */
export interface Unsequenced {
  span: Span;
  message: string;
}

/** The unsequenced pairs of accesses in a full expression, at most one per object. */
export function unsequenced(e: Expr): Unsequenced[] {
  const w = new Walker();
  w.value(e);
  return w.found;
}

class Walker {
  readonly found: Unsequenced[] = [];
  private readonly reported = new Set<string>();

  value(e: Expr): Access[] {
    switch (e.kind) {
      case "name":
      case "member":
      case "index":
        return this.read(e);
      case "unary":
        if (e.op === "*") return this.read(e);
        // `&x` designates x without reading it.
        return e.op === "&" ? this.place(e.operand) : this.value(e.operand);
      case "cast":
        return this.value(e.operand);
      case "incdec": {
        const acc = this.place(e.operand);
        const key = keyOf(e.operand);
        // Its read goes with its write: any access that conflicts with the read conflicts with the write.
        if (key === null) return acc;
        return [...acc, { key, write: true, pending: true, what: `written by '${show(e)}'`, span: e.span }];
      }
      case "binary":
        if (e.op === "&&" || e.op === "||") return [...settle(this.value(e.left)), ...this.value(e.right)];
        return this.join([this.value(e.left), this.value(e.right)]);
      case "comma":
        return [...settle(this.value(e.left)), ...this.value(e.right)];
      case "cond":
        // Only one arm runs, after the test's sequence point: the arms never meet each other.
        return [...settle(this.value(e.test)), ...this.value(e.then), ...this.value(e.else)];
      case "assign":
        return this.assign(e);
      case "call":
        return this.call(e);
      // Not evaluated (sizeof), opaque (a statement expression, as a callee's body), or pure
      // predicates of properties.
      default:
        return [];
    }
  }

  private assign(e: Extract<Expr, { kind: "assign" }>): Access[] {
    const key = keyOf(e.target);
    const left = this.place(e.target);
    // A compound assignment reads its target as a value computation of the left operand.
    if (key !== null && e.op !== "=")
      left.push({ key, write: false, pending: false, what: `read by '${e.op}'`, span: e.target.span });
    const both = this.join([left, this.value(e.value)]);
    if (key === null) return both;
    const store: Access = {
      key,
      write: true,
      pending: true,
      what: `written by '${e.op}'`,
      span: e.target.span,
    };
    for (const a of both) if (a.write && a.pending && a.key === key) this.report(a, store);
    return [...both, store];
  }

  private call(e: Extract<Expr, { kind: "call" }>): Access[] {
    // wait_event's condition is run again after every wake-up, each time as a full expression
    // of its own (the macro's statements), and checked there.
    if (e.callee.startsWith("wait_event")) return [];
    const groups: Access[][] = [
      e.fn ? this.value(e.fn) : this.read({ kind: "name", name: e.callee, span: e.calleeSpan }),
    ];
    // offsetof's member designator and container_of's are no values.
    const args = e.callee === "offsetof" ? [] : e.typeArg ? e.args.slice(0, 1) : e.args;
    for (const a of args) groups.push(this.value(a));
    // The arguments' side effects are complete before the call, so before its value.
    return settle(this.join(groups));
  }

  /** The accesses that designate an lvalue, without reading it. */
  private place(e: Expr): Access[] {
    switch (e.kind) {
      case "name":
        return [];
      case "member":
        return e.arrow ? this.value(e.base) : this.place(e.base);
      case "index":
        return this.join([this.value(e.base), this.value(e.index)]);
      case "unary":
        return e.op === "*" ? this.value(e.operand) : this.value(e);
      default:
        return this.value(e);
    }
  }

  /** An lvalue read as a value. */
  private read(e: Expr): Access[] {
    const acc = this.place(e);
    const key = keyOf(e);
    return key === null ? acc : [...acc, { key, write: false, pending: false, what: "read", span: e.span }];
  }

  /**
   * The accesses of operands evaluated unsequenced with each other, checked pairwise: a write in
   * one against any access to the object in another. Linear: each group meets a summary of
   * the groups before it.
   */
  private join(groups: Access[][]): Access[] {
    const before = new Map<string, { any: Access; write: Access | null }>();
    for (const g of groups) {
      for (const a of g) {
        const b = before.get(a.key);
        if (!b) continue;
        if (a.write) this.report(b.any, a);
        else if (b.write) this.report(b.write, a);
      }
      for (const a of g) {
        const b = before.get(a.key);
        if (!b) before.set(a.key, { any: a, write: a.write ? a : null });
        else if (a.write && !b.write) b.write = a;
      }
    }
    return groups.flat();
  }

  private report(a: Access, b: Access): void {
    if (this.reported.has(a.key)) return;
    this.reported.add(a.key);
    const [first, second] = a.span.start <= b.span.start ? [a, b] : [b, a];
    this.found.push({
      span: second.span,
      message: `'${a.key}' is ${first.what} and ${second.what} here, and nothing orders the two: C leaves that undefined (C11 6.5p2); split the expression into statements`,
    });
  }
}

/** Writes made complete by a sequence point (or a call) before what follows. */
function settle(acc: Access[]): Access[] {
  return acc.map((a) => (a.pending ? { ...a, pending: false } : a));
}

/** The object an lvalue designates, spelled canonically; null when it is no lvalue or its spelling may name different objects. */
function keyOf(e: Expr): string | null {
  if (e.kind !== "name" && e.kind !== "member" && e.kind !== "index" && !(e.kind === "unary" && e.op === "*"))
    return null;
  return text(e);
}

/** Canonical text of a side-effect-free expression; null for one with effects or a form not spelled here. */
function text(e: Expr): string | null {
  switch (e.kind) {
    case "name":
      return e.name;
    case "int":
      return String(e.value);
    case "bool":
      return String(e.value);
    case "null":
      return "NULL";
    case "member": {
      const b = text(e.base);
      return b === null ? null : `${atom(e.base, b)}${e.arrow ? "->" : "."}${e.field}`;
    }
    case "index": {
      const b = text(e.base);
      const i = text(e.index);
      return b === null || i === null ? null : `${atom(e.base, b)}[${i}]`;
    }
    case "unary": {
      const x = text(e.operand);
      return x === null ? null : `${e.op}${atom(e.operand, x)}`;
    }
    case "binary": {
      const l = text(e.left);
      const r = text(e.right);
      return l === null || r === null ? null : `${atom(e.left, l)} ${e.op} ${atom(e.right, r)}`;
    }
    case "cond": {
      const c = text(e.test);
      const t = text(e.then);
      const f = text(e.else);
      if (c === null || t === null || f === null) return null;
      return `${atom(e.test, c)} ? ${atom(e.then, t)} : ${atom(e.else, f)}`;
    }
    default:
      // Calls, assignments, ++/--, casts (whose type is not spelled here), sizeof, ...
      return null;
  }
}

/** `t` parenthesised unless e is a primary or postfix expression. */
function atom(e: Expr, t: string): string {
  const postfix = e.kind === "name" || e.kind === "int" || e.kind === "member" || e.kind === "index";
  return postfix || e.kind === "bool" || e.kind === "null" ? t : `(${t})`;
}

/** `x++`, `--p->n`: an increment or decrement as the message names it. */
function show(e: Extract<Expr, { kind: "incdec" }>): string {
  const x = text(e.operand) ?? "…";
  const t = atom(e.operand, x);
  return e.prefix ? `${e.op}${t}` : `${t}${e.op}`;
}

/** Builtins that run no code and write no memory: a read before one may wait for its use. */
const INERT_BUILTINS = new Set([
  "choose",
  "IS_ERR",
  "IS_ERR_OR_NULL",
  "offsetof",
  "container_of",
  "list_entry",
  "find_task_by_vpid",
]);

/**
 * The calls (except inert builtins) and statement expressions of a full expression: code that
 * may write memory or end a step in the middle of it. Not those inside a statement
 * expression's body, which are its own full expressions, nor under sizeof, which is not run.
 */
export function callsIn(e: Expr): Set<Expr> {
  const out = new Set<Expr>();
  const walk = (x: Expr): void => {
    if ((x.kind === "call" && (x.fn || !INERT_BUILTINS.has(x.callee))) || x.kind === "stmtExpr") out.add(x);
    for (const c of exprChildren(x)) walk(c);
  };
  walk(e);
  return out;
}
