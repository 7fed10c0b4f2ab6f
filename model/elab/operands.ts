// The operands an assert or property shows when it fails: `assert(a == b)` failing says
// `a = 3, b = 4`; a violated invariant, the values of the variables it reads.
import type { Expr } from "../ast";
import type { Operand } from "../ir";
import { ProcessRefs } from "./processes";
import { takes } from "./util";

/** Most operands one check shows: a long condition shows its first ones. */
const MAX_SHOWN = 8;

export abstract class Operands extends ProcessRefs {
  /**
   * The variables `e` reads, in source order: names of variables,
   * member accesses, indexing and dereferences, not what is inside them, and not what a
   * quantifier binds. Only those that lower to a pure expression reading no temporary (no call
   * inside) are kept, so that evaluating them again at the failure changes nothing.
   */
  protected operands(e: Expr): Operand[] {
    const out: Operand[] = [];
    const seen = new Set<string>();
    const pending: Expr[] = [e];
    for (let x = pending.shift(); x && out.length < MAX_SHOWN; x = pending.shift()) {
      switch (x.kind) {
        case "name":
        case "member":
        case "index":
          this.addOperand(x, out, seen);
          continue;
        case "unary":
          if (x.op === "*") this.addOperand(x, out, seen);
          else if (x.op !== "&") pending.push(x.operand);
          continue;
        case "binary":
          pending.push(x.left, x.right);
          continue;
        case "cond":
          pending.push(x.test, x.then, x.else);
          continue;
        case "cast":
          pending.push(x.operand);
          continue;
        case "where":
          continue;
        default:
          continue;
      }
    }
    // In the order they are written.
    return out.sort((a, b) => a.span.file - b.span.file || a.span.start - b.span.start);
  }

  private addOperand(x: Expr, out: Operand[], seen: Set<string>): void {
    if (x.kind === "name" && (x.name === "current" || x.name === "self")) return;
    const key = `${x.span.file}:${x.span.start}:${x.span.end}`;
    const r = this.speculate(() => {
      const before = this.code.length;
      const v = this.rvalueNoDecay(x);
      return this.code.length === before ? v : null;
    });
    if (!r || takes(r.x) || r.x.k === "const") return;
    const t = r.type;
    if (t.k !== "int" && t.k !== "char" && t.k !== "bool" && t.k !== "ptr") return;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ span: x.span, e: r.x, pointer: t.k === "ptr" });
  }
}
