// Pointers as the kernel uses them: arithmetic and indexing inside one object, subtraction and
// ordering of pointers into one object, each checked when the program runs (the IR's padd,
// pdiff, pcmp; checker/pointerChecks.ts). Memory is words, so a step is the element's size in words.
import type { Expr, Span } from "../ast";
import { type BinOp, type IExpr, isErrorPointer, MAX_ERRNO } from "../ir";
import { BOOL, INT, isIntegral, showType, sizeOf, type Type, typeEquals } from "../types";
import { C0, ERR, type RValue } from "./context";
import { Expressions } from "./expressions";
import { takes } from "./util";

type PtrType = Extract<Type, { k: "ptr" }>;

export abstract class Pointers extends Expressions {
  /** Casts to `char *` or `void *` of a pointer to anything else, by node (see byteArithmetic). */
  private readonly byteCasts = new WeakMap<Expr, boolean>();
  /** The program moves or orders pointers: elaborate() lays it out again with redzones. */
  private sawArithmetic = false;

  /** Whether the program has pointer arithmetic, subtraction or ordering. */
  hasPointerArithmetic(): boolean {
    return this.sawArithmetic || this.formsOnePast;
  }

  /** Words between consecutive elements a pointer of type t steps over; null (reported) when it has none. */
  protected elementWords(t: PtrType, span: Span): number | null {
    if (t.to.k === "void") {
      this.error(
        "KC320",
        span,
        "arithmetic on a void * counts bytes (a GNU extension the kernel uses), and KC's memory is words: give the pointer its element type first, or use container_of for a member's struct",
      );
      return null;
    }
    if (t.to.k === "fn") {
      this.error("KC301", span, `arithmetic on a function pointer (${showType(t)}) has no meaning`);
      return null;
    }
    const n = sizeOf(t.to, this.structs);
    if (n <= 0) {
      this.error("KC312", span, `pointer arithmetic needs a complete element type, not ${showType(t.to)}`);
      return null;
    }
    return n;
  }

  protected pointerAdd(p: IExpr, t: PtrType, n: IExpr, span: Span): IExpr {
    const scale = this.elementWords(t, span);
    if (scale === null) return p;
    this.sawArithmetic = true;
    if (n.k === "const" && n.v === 0) return p;
    return { k: "padd", p, n, scale, span };
  }

  protected pointerBinary(op: BinOp, l: RValue, r: RValue, span: Span): RValue | null {
    const lp = l.type.k === "ptr" ? l.type : null;
    const rp = r.type.k === "ptr" ? r.type : null;
    if (op === "+" && lp && isIntegral(r.type)) return { x: this.pointerAdd(l.x, lp, r.x, span), type: lp };
    if (op === "+" && rp && isIntegral(l.type)) return { x: this.pointerAdd(r.x, rp, l.x, span), type: rp };
    if (op === "-" && lp && isIntegral(r.type))
      return { x: this.pointerAdd(l.x, lp, { k: "un", op: "-", e: r.x }, span), type: lp };
    const relational = op === "<" || op === "<=" || op === ">" || op === ">=";
    if ((op === "-" || relational) && lp && rp) {
      if (!typeEquals(lp.to, rp.to)) {
        this.error(
          "KC301",
          span,
          `'${op}' between ${showType(lp)} and ${showType(rp)}: C needs the same pointer type`,
        );
        return { x: C0, type: ERR };
      }
      const scale = this.elementWords(lp, span);
      if (scale === null) return { x: C0, type: ERR };
      this.sawArithmetic = true;
      if (op === "-") return { x: { k: "pdiff", l: l.x, r: r.x, scale, span }, type: INT };
      return { x: { k: "pcmp", op, l: l.x, r: r.x, span }, type: INT };
    }
    return null;
  }

  /**
   * The pointer builtins: IS_ERR and IS_ERR_OR_NULL (include/linux/err.h, whose
   * `(unsigned long)ptr >= (unsigned long)-MAX_ERRNO` needs an integer for every pointer, which
   * word memory has not: the test is made on the pointer's word); null for any other name.
   */
  protected pointerBuiltin(e: Extract<Expr, { kind: "call" }>): RValue | null {
    if (e.callee !== "IS_ERR" && e.callee !== "IS_ERR_OR_NULL") return null;
    if (e.args.length !== 1) {
      this.error("KC303", e.span, `'${e.callee}' takes 1 argument, not ${e.args.length}`);
      for (const a of e.args) this.speculate(() => this.rvalue(a));
      return { x: C0, type: ERR };
    }
    const r = this.rvalue(e.args[0] as Expr);
    if ((r.type.k !== "ptr" || r.type.to.k === "fn") && r.type.k !== "null") {
      if (r.type !== ERR)
        this.error("KC304", e.span, `'${e.callee}' takes a data pointer, not ${showType(r.type)}`);
      return { x: C0, type: ERR };
    }
    // The pointer is read more than once: a value that lives in a temporary (a call's result)
    // is kept in one of its own, read with loads and cleared by the last, rightmost read
    // (bitwise & and |, so every read runs, left to right).
    let first: IExpr = r.x;
    let last: IExpr = r.x;
    if (takes(r.x) && this.cur !== null && this.noHoist === 0) {
      const t = this.temp();
      this.emit({ k: "store", addr: this.frameAddr(t), value: r.x, range: null, at: this.currentSite });
      first = { k: "load", addr: this.frameAddr(t), local: true };
      last = { k: "take", off: t };
    }
    // Error pointers are -MAX_ERRNO..-1; function pointers lie below them (ir.ts FN_POINTER_BASE).
    const isErr = (a: IExpr, b: IExpr): IExpr => ({
      k: "bin",
      op: "&",
      l: { k: "bin", op: ">=", l: a, r: { k: "const", v: -MAX_ERRNO }, span: e.span },
      r: { k: "bin", op: "<", l: b, r: C0, span: e.span },
      span: e.span,
    });
    if (e.callee === "IS_ERR") return { x: isErr(first, last), type: BOOL };
    const isNull: IExpr = { k: "un", op: "!", e: first };
    return { x: { k: "bin", op: "|", l: isNull, r: isErr(first, last), span: e.span }, type: BOOL };
  }

  /**
   * `(void *)err` and `(long)ptr`: KC's word memory gives a pointer to an object no integer, so
   * only the values include/linux/err.h needs cross over: 0 is NULL, -MAX_ERRNO..-1 an error
   * pointer (checked when the program runs; a constant is checked here, KC321).
   */
  protected pointerCast(r: RValue, to: Type, span: Span): RValue | null {
    if (to.k === "ptr" && isIntegral(r.type)) {
      if (r.x.k !== "const") return { x: { k: "i2p", e: r.x, span }, type: to };
      if (r.x.v !== 0 && !isErrorPointer(r.x.v))
        this.error(
          "KC321",
          span,
          `the integer ${r.x.v} is no pointer in KC's word memory: only 0 (NULL) and -${MAX_ERRNO}..-1 (error pointers, ERR_PTR) convert to one`,
        );
      return { x: r.x, type: to };
    }
    if (isIntegral(to) && to.k !== "bool" && r.type.k === "ptr")
      return { x: this.narrow({ k: "p2i", e: r.x, span }, to), type: to };
    return null;
  }

  /**
   * `(char *)p - offsetof(T, m)`, the kernel's container_of written out: KC's word memory has no
   * byte pointers, so it says which builtin does this (null when e is not that).
   */
  protected byteArithmetic(e: Extract<Expr, { kind: "binary" }>): RValue | null {
    if (e.op !== "+" && e.op !== "-") return null;
    // A pointer to something else made a byte pointer, to be moved by a byte count: the
    // kernel's container_of, whether offsetof is KC's builtin or the kernel's macro.
    // Each cast's operand is typed once (memo): nested casts must not be walked again per level.
    const bytePointer = (x: Expr): boolean => {
      if (x.kind !== "cast" || x.to.kind !== "pointer" || x.to.to.kind !== "named") return false;
      if (x.to.to.name !== "char" && x.to.to.name !== "void") return false;
      let known = this.byteCasts.get(x);
      if (known === undefined) {
        const from = this.speculate(() => this.rvalue(x.operand)).type;
        known = from.k === "ptr" && from.to.k !== "char" && from.to.k !== "void";
        this.byteCasts.set(x, known);
      }
      return known;
    };
    if (!bytePointer(e.left) && !bytePointer(e.right)) return null;
    this.error(
      "KC320",
      e.span,
      "a pointer made a byte pointer and moved by bytes (the kernel's container_of written out, or its macro): KC's memory is words, so use KC's builtin container_of(ptr, type, member) or list_entry (and drop the macro), which KC checks",
    );
    return { x: C0, type: ERR };
  }
}
