// The reference interpreter's pointer checks (arithmetic, subtraction, ordering, int <-> pointer
// conversions, calls through pointers): the object a pointer points into is found by searching
// the declarations and walking the frames from the task's registers, independently of the
// compiled checker's tables (checker/pointerChecks.ts); the faults and messages are the same.
import type { Span } from "../model/ast";
import { ADDRESS_MASK, isErrorPointer, type Lowered, STACK_TAG_SHIFT } from "../model/ir";
import { type Layout, T_FP, T_PC } from "../model/layout";
import {
  arithmeticMessage,
  describePointer,
  intToPointerMessage,
  POINTER_TO_INT,
  stackVariableName,
  twoObjectsMessage,
} from "../model/objectBounds";
import { describeStatic } from "../model/objects";
import { sizeOf } from "../model/types";
import type { FaultKind } from "./compile";

/** A fault found by a pointer check; the interpreter turns it into its own trap. */
export class PointerFault {
  constructor(
    readonly kind: FaultKind,
    readonly message: string,
    readonly span: Span,
  ) {}
}

interface Found {
  start: number;
  end: number;
  name: string;
  /** The allocated-flag word of the pool slot holding it, or -1. */
  flag: number;
}

/** The registers of the running task: its own frames are walked from these, not from memory. */
export interface Running {
  tb: number;
  pc: number;
  fp: number;
}

/** Pointer checks over program `p` laid out as `layout`, on memory `m`, with the running task's registers. */
export class PointerChecker {
  constructor(
    private readonly p: Lowered,
    private readonly layout: Layout,
    private readonly m: Int32Array,
    private readonly run: Running,
  ) {}

  /** The object holding word a (a live one; `unit` is the frame's unit a stack pointer's tag names, -1 any). */
  private holding(a: number, unit: number, tagged: boolean): Found | null {
    const { p, layout, m } = this;
    if (!tagged) {
      for (const q of p.pools) {
        const stride = q.size + 1;
        if (a < q.base || a >= q.base + q.count * stride) continue;
        const h = a - ((a - q.base) % stride);
        if (h === a) return null;
        return { start: h + 1, end: h + stride, name: describeStatic(p, layout, h + 1), flag: h };
      }
      for (const g of p.globals) {
        const end = g.offset + sizeOf(g.type, p.structs);
        if (a >= g.offset && a < end)
          return { start: g.offset, end, name: describeStatic(p, layout, a), flag: -1 };
      }
    }
    for (const sl of layout.slots) {
      if (!tagged && sl.kind === "process" && a >= sl.task && a < sl.task + p.task.size)
        return {
          start: sl.task,
          end: sl.task + p.task.size,
          name: describeStatic(p, layout, a),
          flag: -1,
        };
      if (a < sl.stackBase || a >= sl.stackEnd) continue;
      const running = sl.base === this.run.tb;
      let pc = running ? this.run.pc : (m[sl.base + T_PC] as number);
      let fp = running ? this.run.fp : (m[sl.base + T_FP] as number);
      let u = p.info[pc]?.unit ?? -1;
      if (pc === 0 || u < 0 || a >= fp + (p.units[u]?.frameSize ?? 0)) return null;
      while (a < fp && p.units[u]?.kind === "function") {
        const back = m[fp] as number;
        u = p.info[back]?.unit ?? -1;
        fp -= p.units[u]?.frameSize ?? 0;
        pc = back;
      }
      const unitInfo = p.units[u];
      if (!unitInfo || (unit >= 0 && u !== unit)) return null;
      for (const v of [...unitInfo.params, ...unitInfo.locals]) {
        const size = sizeOf(v.type, p.structs);
        if (a < fp + v.offset || a >= fp + v.offset + size) continue;
        const sc = unitInfo.scoped.find((x) => x.offset === v.offset);
        if (sc && m[fp + sc.flag] === 0) return null;
        return {
          start: fp + v.offset,
          end: fp + v.offset + size,
          name: stackVariableName(sl.label, fp + v.offset - sl.stackBase, size),
          flag: -1,
        };
      }
      return null;
    }
    return null;
  }

  private inStack(a: number): boolean {
    return this.layout.slots.some((sl) => a >= sl.stackBase && a < sl.stackEnd);
  }

  /** The object pointer value v points into or one past the end of, for `what`; else a fault. */
  private objectOf(v: number, what: string, span: Span): Found {
    const { p, m } = this;
    if (v < 0) throw new PointerFault("bad_pointer", `${what} on ${describePointer(p, v)}`, span);
    const tagged = v > ADDRESS_MASK;
    const a = tagged ? v & ADDRESS_MASK : v;
    const unit = tagged ? (p.stackTagUnits[(v >>> STACK_TAG_SHIFT) - 1] ?? -2) : -1;
    const inMemory = a > 0 && a < m.length;
    let o: Found | null = null;
    if (inMemory && unit !== -2) {
      o = this.holding(a, unit, tagged);
      if (!o) {
        const before = this.holding(a - 1, unit, tagged);
        if (before && before.end === a) o = before;
      }
    }
    if (!o)
      throw new PointerFault(
        inMemory && (this.inStack(a) || this.inStack(a - 1)) ? "use_after_return" : "bad_pointer",
        // As the compiled check says it: NULL (word 0) is named, not "outside memory".
        `${what} on a pointer that points into no live object (${a < m.length ? describeStatic(p, this.layout, a) : "outside memory"})`,
        span,
      );
    if (o.flag >= 0 && m[o.flag] === 0)
      throw new PointerFault("use_after_free", `${what} on a pointer into an object that was kfree'd`, span);
    return o;
  }

  /** p + n elements of `scale` words. */
  add(v: number, n: number, scale: number, span: Span): number {
    if (v === 0) {
      if (n === 0) return 0;
      throw new PointerFault("out_of_bounds", "pointer arithmetic on NULL (C allows only NULL + 0)", span);
    }
    const o = this.objectOf(v, "pointer arithmetic", span);
    const r = (v > ADDRESS_MASK ? v & ADDRESS_MASK : v) + n * scale;
    if (r < o.start || r > o.end)
      throw new PointerFault("out_of_bounds", arithmeticMessage(o.name, o.end - o.start, r - o.start), span);
    return v + n * scale;
  }

  /** p - q in elements. */
  diff(l: number, r: number, scale: number, span: Span): number {
    if (l === 0 && r === 0) return 0;
    const a = this.objectOf(l, "pointer subtraction", span);
    const b = this.objectOf(r, "pointer subtraction", span);
    if (a.start !== b.start)
      throw new PointerFault("bad_pointer", twoObjectsMessage("'-'", a.name, b.name), span);
    const d = (l & ADDRESS_MASK) - (r & ADDRESS_MASK);
    if (d % scale !== 0)
      throw new PointerFault(
        "bad_pointer",
        `pointer subtraction: the pointers are ${d} words apart, not a whole number of ${scale}-word elements`,
        span,
      );
    return d / scale;
  }

  /** l op r between pointers into one object. */
  compare(op: "<" | "<=" | ">" | ">=", l: number, r: number, span: Span): number {
    const what = `'${op}'`;
    const a = this.objectOf(l, `${what} between pointers`, span);
    const b = this.objectOf(r, `${what} between pointers`, span);
    if (a.start !== b.start)
      throw new PointerFault("bad_pointer", twoObjectsMessage(what, a.name, b.name), span);
    const x = l & ADDRESS_MASK;
    const y = r & ADDRESS_MASK;
    const yes = op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y;
    return yes ? 1 : 0;
  }

  static toInt(v: number, span: Span): number {
    if (v === 0 || isErrorPointer(v)) return v;
    throw new PointerFault("bad_cast", POINTER_TO_INT, span);
  }

  static toPointer(v: number, span: Span): number {
    if (v === 0 || isErrorPointer(v)) return v;
    throw new PointerFault("bad_cast", intToPointerMessage(v), span);
  }

  static callee(p: Lowered, v: number, ok: readonly number[], type: string, span: Span): number {
    if (ok.indexOf(v) >= 0) return v;
    if (v === 0) throw new PointerFault("null_deref", "call through a NULL function pointer", span);
    throw new PointerFault(
      "bad_pointer",
      `call through ${describePointer(p, v)}, which is not a function of type ${type}`,
      span,
    );
  }
}
