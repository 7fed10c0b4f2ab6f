// The compiled checker's run-time checks of pointers as the kernel uses them: arithmetic stays
// inside its object (or one past its end), subtraction and ordering stay within one object,
// int <-> pointer conversions carry only NULL and error pointers, a call through a pointer
// enters a function of the right type. Found with the tables of model/objects.ts, as P finds
// the object of a dereference.
import type { Span } from "../model/ast";
import { ADDRESS_MASK, fnIndexOf, isErrorPointer, type Lowered, STACK_TAG_SHIFT } from "../model/ir";
import type { Layout } from "../model/layout";
import {
  arithmeticMessage,
  describePointer,
  intToPointerMessage,
  POINTER_TO_INT,
  stackVariableName,
  startMap,
  twoObjectsMessage,
} from "../model/objectBounds";
import { describeStatic, frameHolding, type ObjectMap, stackObjectEnd } from "../model/objects";
import { Fault } from "./compile";

/** The object a pointer points into (or one past): its first word and one past its last. */
interface Obj {
  start: number;
  end: number;
}

/** Builds the helpers the generated code calls for the IR's padd, pdiff, pcmp, p2i, i2p and callee. */
export function pointerHelpers(
  p: Lowered,
  layout: Layout,
  words: number,
  objects: ObjectMap,
  poolHeader: Int32Array,
  sp: (s: number) => Span | null,
) {
  const { start: ST, varStart } = startMap(p, layout);
  const OE = objects.end;
  const SO = objects.stackOf;
  const TU = p.stackTagUnits;

  /** The live stack variable holding word a of task slot, or null (dead frame, no variable, wrong unit). */
  const stackVar = (m: Int32Array, slot: number, a: number, unit: number): Obj | null => {
    const end = stackObjectEnd(p, objects, layout, m, slot, a, unit);
    if (end <= 0) return null;
    const f = frameHolding(p, objects, layout, m, slot, a);
    if (!f) return null;
    return { start: f.fp + (varStart[f.unit]?.[a - f.fp] ?? 0), end };
  };

  /** The object a pointer at (untagged) word a points into, or one past the end of; null: none. */
  const find = (m: Int32Array, a: number, unit: number, tagged: boolean): Obj | null => {
    if (!tagged) {
      const e = OE[a] as number;
      if (e !== 0) return { start: ST[a] as number, end: e };
      if (a > 0 && OE[a - 1] === a) return { start: ST[a - 1] as number, end: a };
    }
    if (SO[a] !== 0) {
      const o = stackVar(m, (SO[a] as number) - 1, a, unit);
      if (o) return o;
    }
    if (a > 0 && SO[a - 1] !== 0) {
      const o = stackVar(m, (SO[a - 1] as number) - 1, a - 1, unit);
      if (o && o.end === a) return o;
    }
    return null;
  };

  const name = (o: Obj): string => {
    const slot = (SO[o.start] as number) - 1;
    const sl = layout.slots[slot];
    if (slot >= 0 && sl) return stackVariableName(sl.label, o.start - sl.stackBase, o.end - o.start);
    return describeStatic(p, layout, o.start);
  };

  /** The object of pointer value v for `what`, or a fault naming why there is none. */
  const objectOf = (m: Int32Array, v: number, what: string, s: number): Obj => {
    if (v < 0) throw new Fault("bad_pointer", `${what} on ${describePointer(p, v)}`, sp(s));
    const tagged = v > ADDRESS_MASK;
    const a = tagged ? v & ADDRESS_MASK : v;
    const unit = tagged ? (TU[(v >>> STACK_TAG_SHIFT) - 1] ?? -2) : -1;
    const inMemory = a > 0 && a < words;
    const o = inMemory && unit !== -2 ? find(m, a, unit, tagged) : null;
    if (!o)
      throw new Fault(
        inMemory && (SO[a] !== 0 || SO[a - 1] !== 0) ? "use_after_return" : "bad_pointer",
        `${what} on a pointer that points into no live object (${a < words ? describeStatic(p, layout, a) : "outside memory"})`,
        sp(s),
      );
    const h = poolHeader[o.start] as number;
    if (h !== 0 && m[h] === 0)
      throw new Fault("use_after_free", `${what} on a pointer into an object that was kfree'd`, sp(s));
    return o;
  };

  return {
    /** p + n * scale words, inside p's object or one past its end; NULL + 0 is NULL. */
    PA(m: Int32Array, v: number, n: number, scale: number, s: number): number {
      if (v === 0) {
        if (n === 0) return 0;
        throw new Fault("out_of_bounds", "pointer arithmetic on NULL (C allows only NULL + 0)", sp(s));
      }
      const o = objectOf(m, v, "pointer arithmetic", s);
      const a = v > ADDRESS_MASK ? v & ADDRESS_MASK : v;
      const r = a + n * scale;
      if (r < o.start || r > o.end)
        throw new Fault("out_of_bounds", arithmeticMessage(name(o), o.end - o.start, r - o.start), sp(s));
      return v + n * scale;
    },
    /** (p - q) / scale, both in one object. */
    PD(m: Int32Array, l: number, r: number, scale: number, s: number): number {
      if (l === 0 && r === 0) return 0;
      const ol = objectOf(m, l, "pointer subtraction", s);
      const or = objectOf(m, r, "pointer subtraction", s);
      if (ol.start !== or.start)
        throw new Fault("bad_pointer", twoObjectsMessage("'-'", name(ol), name(or)), sp(s));
      const d = (l & ADDRESS_MASK) - (r & ADDRESS_MASK);
      if (d % scale !== 0)
        throw new Fault(
          "bad_pointer",
          `pointer subtraction: the pointers are ${d} words apart, not a whole number of ${scale}-word elements`,
          sp(s),
        );
      return d / scale;
    },
    /** l op r for pointers into one object; op 0..3 is <, <=, >, >=. */
    PC(m: Int32Array, l: number, r: number, op: number, s: number): boolean {
      const what = `'${["<", "<=", ">", ">="][op]}'`;
      const ol = objectOf(m, l, `${what} between pointers`, s);
      const or = objectOf(m, r, `${what} between pointers`, s);
      if (ol.start !== or.start)
        throw new Fault("bad_pointer", twoObjectsMessage(what, name(ol), name(or)), sp(s));
      const a = l & ADDRESS_MASK;
      const b = r & ADDRESS_MASK;
      return op === 0 ? a < b : op === 1 ? a <= b : op === 2 ? a > b : a >= b;
    },
    /** A pointer converted to an integer: NULL is 0, an error pointer its errno. */
    PI(v: number, s: number): number {
      if (v === 0 || isErrorPointer(v)) return v;
      throw new Fault("bad_cast", POINTER_TO_INT, sp(s));
    },
    /** An integer converted to a pointer: 0 or an errno. */
    IP(v: number, s: number): number {
      if (v === 0 || isErrorPointer(v)) return v;
      throw new Fault("bad_cast", intToPointerMessage(v), sp(s));
    },
    /** The function value a call through a pointer enters; `ok` lists the values of its type. */
    CE(v: number, ok: readonly number[], type: string, s: number): number {
      if (ok.includes(v)) return v;
      if (v === 0) throw new Fault("null_deref", "call through a NULL function pointer", sp(s));
      throw new Fault(
        "bad_pointer",
        `call through ${describePointer(p, v)}, which is not a function of type ${type}`,
        sp(s),
      );
    },
    /** Whether v is a function pointer value (for messages of data accesses). */
    isFn(v: number): boolean {
      return fnIndexOf(v) >= 0;
    },
  };
}
