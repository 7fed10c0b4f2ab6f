// Integer arithmetic with C's types: the operators on integer operands, conversions to a type's
// word, and compound assignment's `(T)(x op y)`. The rules themselves are in model/ctypes.ts.
import type { BinaryOp, Span } from "../ast";
import { commonType, irOperator, isArithmetic, promote } from "../ctypes";
import type { IExpr } from "../ir";
import { INT, type Type } from "../types";
import type { RValue } from "./context";
import { Declarations } from "./declarations";
import { fold } from "./util";

export abstract class Arith extends Declarations {
  /**
   * Converts an integer-valued expression to the word of type t (C11 6.3.1.2, 6.3.1.3): bool is
   * 0/1, a narrow type wraps into its range; a 32-bit int or unsigned int keeps the word.
   */
  protected narrow(x: IExpr, t: Type): IExpr {
    if (t.k === "bool") return { k: "bool", e: x };
    if (t.k === "char") return fold({ k: "char", e: x });
    if (t.k === "int" && t.bits !== undefined)
      return fold({ k: "wrap", e: x, bits: t.bits, unsigned: t.unsigned === true });
    return x;
  }

  /**
   * `l op r` on integer operands (not `&&`, `||`): both converted to their common type (C11
   * 6.3.1.8), or for a shift the left one promoted (6.5.7); a comparison yields int. Since every
   * word holds its value normalised (ctypes.ts), the conversions change no word: only the
   * operator's signed or unsigned variant is chosen.
   */
  protected intBinary(op: BinaryOp, l: RValue, r: RValue, span: Span): RValue {
    const t = op === "<<" || op === ">>" ? promote(l.type) : commonType(l.type, r.type);
    return {
      x: fold({ k: "bin", op: irOperator(op, t), l: l.x, r: r.x, span }),
      type: isArithmetic(op) ? t : INT,
    };
  }

  /** `-x`, `~x`, `+x` on an integer: the promoted type (`-1u` is 4294967295, `~(u8)0` is -1). */
  protected intUnary(op: "-" | "~" | "+", r: RValue): RValue {
    const t = promote(r.type);
    if (op === "+") return { x: r.x, type: t };
    return { x: fold({ k: "un", op, e: r.x }), type: t };
  }

  /**
   * The value `x op= r` stores in an lvalue of type t whose old value is `old` (C11 6.5.16.2:
   * `x = (T)(x op r)`, computed in the common type), and `x++` as `x += 1`.
   */
  protected compoundValue(t: Type, old: IExpr, op: BinaryOp, r: RValue, span: Span): IExpr {
    return this.narrow(this.intBinary(op, { x: old, type: t }, r, span).x, t);
  }
}
