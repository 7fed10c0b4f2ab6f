// offsetof, container_of and list_entry (include/linux/stddef.h, kernel.h, list.h). The
// kernel's container_of steps back from a member through a `char *`, which KC's word memory
// cannot do; here it is a builtin with the kernel's name and meaning, checked when the program
// runs: the struct it yields lies inside one live object, laid out as that struct there.
import type { Expr, Span } from "../ast";
import type { IExpr } from "../ir";
import { cLayout, findField, showType, type Type, typeEquals, UINT } from "../types";
import { C0, ERR, type RValue } from "./context";
import { FunctionPointers } from "./functionPointers";
import { takes } from "./util";

/** Where a member lies inside its struct: in bytes as C lays it out on i386, and in KC's words. */
interface MemberPlace {
  bytes: number;
  words: number;
  type: Type;
}

export abstract class Containers extends FunctionPointers {
  protected override pointerBuiltin(e: Extract<Expr, { kind: "call" }>): RValue | null {
    if (e.callee === "offsetof") return this.offsetof(e);
    if (e.callee === "container_of" || e.callee === "list_entry") return this.containerOf(e);
    return super.pointerBuiltin(e);
  }

  /** The struct type a builtin names, or null (reported). */
  private structArg(e: Extract<Expr, { kind: "call" }>): Extract<Type, { k: "struct" }> | null {
    if (!e.typeArg) {
      this.error("KC112", e.span, `'${e.callee}' needs a struct type among its arguments`);
      return null;
    }
    const t = this.resolveType(e.typeArg);
    if (t.k !== "struct") {
      if (t !== ERR)
        this.error("KC306", e.typeArg.span, `'${e.callee}' needs a struct type, not ${showType(t)}`);
      return null;
    }
    if ((this.structs.get(t.name)?.size ?? -1) < 0) {
      this.error("KC312", e.typeArg.span, `struct ${t.name} is incomplete`);
      return null;
    }
    return t;
  }

  /** The place of member `m` (a name, `a.b`, or `a[2]` with a constant index) inside struct t. */
  private memberPlace(t: Type, m: Expr): MemberPlace | null {
    if (m.kind === "index") {
      const outer = this.memberPlace(t, m.base);
      if (!outer) return null;
      if (outer.type.k !== "array") {
        this.error("KC307", m.span, `${showType(outer.type)} cannot be indexed`);
        return null;
      }
      const i = this.constExpr(m.index);
      const el = cLayout(outer.type.of, this.structs, this.cLayouts);
      const words = this.pointeeSize(outer.type.of);
      if (i < 0 || i > outer.type.n || !el) {
        this.error("KC403", m.index.span, `index ${i} is outside ${showType(outer.type)}`);
        return null;
      }
      return { bytes: outer.bytes + i * el.size, words: outer.words + i * words, type: outer.type.of };
    }
    let inner: MemberPlace = { bytes: 0, words: 0, type: t };
    let field: string;
    if (m.kind === "member" && !m.arrow) {
      const outer = this.memberPlace(t, m.base);
      if (!outer) return null;
      inner = outer;
      field = m.field;
    } else if (m.kind === "name") field = m.name;
    else {
      this.error("KC204", m.span, "the member must be a field name, as in offsetof(struct file, f_pos)");
      return null;
    }
    if (inner.type.k !== "struct") {
      this.error("KC306", m.span, `'.${field}' needs a struct, not ${showType(inner.type)}`);
      return null;
    }
    // The C offset: as cLayout lays out the struct or union (model/types.ts).
    const f = findField(this.structs, inner.type.name, field, this.cLayouts);
    if (f) return { bytes: inner.bytes + f.bytes, words: inner.words + f.offset, type: f.type };
    this.error("KC204", m.span, `${showType(inner.type)} has no field '${field}'`);
    return null;
  }

  /** offsetof(T, m): C's offset in bytes on i386, a size_t constant. */
  private offsetof(e: Extract<Expr, { kind: "call" }>): RValue {
    const t = this.structArg(e);
    if (e.args.length !== 1) {
      this.error(
        "KC303",
        e.span,
        `'offsetof' takes a struct type and a member, not ${e.args.length + (e.typeArg ? 1 : 0)} arguments`,
      );
      return { x: C0, type: ERR };
    }
    const place = t ? this.memberPlace(t, e.args[0] as Expr) : null;
    return place ? { x: { k: "const", v: place.bytes }, type: UINT } : { x: C0, type: ERR };
  }

  /**
   * container_of(ptr, T, m): from a pointer to member m, the T holding it. Checked when the
   * program runs: the step back stays inside ptr's object (padd), the whole T fits in that live
   * object (the dereference check, made without reading), and the object is laid out as T there
   * (layout, the bad_cast check).
   */
  private containerOf(e: Extract<Expr, { kind: "call" }>): RValue {
    const t = this.structArg(e);
    if (e.args.length !== 2) {
      this.error(
        "KC303",
        e.span,
        `'${e.callee}' takes a pointer, a struct type and a member, not ${e.args.length + (e.typeArg ? 1 : 0)} arguments`,
      );
      for (const a of e.args) this.speculate(() => this.rvalue(a));
      return { x: C0, type: ERR };
    }
    const p = this.rvalue(e.args[0] as Expr);
    const place = t ? this.memberPlace(t, e.args[1] as Expr) : null;
    if (!t || !place || p.type === ERR) return { x: C0, type: ERR };
    if (p.type.k !== "ptr" || !(typeEquals(p.type.to, place.type) || p.type.to.k === "void")) {
      this.error(
        "KC304",
        e.args[0]?.span ?? e.span,
        `'${e.callee}' needs a pointer to the member's type ${showType(place.type)} *, not ${showType(p.type)}`,
      );
      return { x: C0, type: ERR };
    }
    const span: Span = e.span;
    // The pointer is read twice (checked, then yielded): a temporary's value is kept in a
    // temporary of its own, read with a load and cleared by the second read.
    let first: IExpr = p.x;
    let last: IExpr = p.x;
    if (takes(p.x) && this.cur !== null && this.noHoist === 0) {
      const tmp = this.temp();
      this.emit({ k: "store", addr: this.frameAddr(tmp), value: p.x, range: null, at: this.currentSite });
      first = { k: "load", addr: this.frameAddr(tmp), local: true };
      last = { k: "take", off: tmp };
    }
    const back = (x: IExpr): IExpr =>
      this.pointerAdd(
        x,
        { k: "ptr", to: { k: "int", lo: null, hi: null } },
        { k: "const", v: -place.words },
        span,
      );
    const fits: IExpr = { k: "ptr", e: back(first), size: this.pointeeSize(t), span };
    const value: IExpr = { k: "cond", c: fits, t: back(last), f: back(last) };
    return { x: { k: "layout", e: value, to: t, span }, type: { k: "ptr", to: t } };
  }
}
