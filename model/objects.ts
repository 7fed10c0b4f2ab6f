// Which object a word address lies in, the way KASAN sees memory: a global variable, a pool
// object, a task_struct, or a variable of a frame that is live on some task's stack. Every
// dereference must stay inside the object its pointer points into; the words between objects
// (pool headers, a task's registers, a frame's return pc) and the dead part of a stack belong
// to no object.
import { ADDRESS_MASK, type Lowered, STACK_TAG_SHIFT } from "./ir";
import { type Layout, T_FP, T_PC, TASK_REGS } from "./layout";
import { memoized } from "./memo";
import { type StructTable, showType, sizeOf, type Type } from "./types";

/** Static tables that tell, for a word address, the object it belongs to. */
export interface ObjectMap {
  /**
   * end[a]: one past the last word of the global variable, pool object or task_struct that
   * holds word a; 0 when a lies in none of these (NULL, pool headers, registers, stacks).
   */
  end: Int32Array;
  /** stackOf[a]: 1 + the index (into layout.slots) of the task whose stack holds word a; else 0. */
  stackOf: Int32Array;
  /** varEnd[unit][off]: frame offset one past the variable that holds frame word off; 0 for the header and temporaries. */
  varEnd: Int32Array[];
  /** calleeOf[rp]: the unit a call returning to rp enters (-1 where rp follows no call). */
  calleeOf: Int32Array;
  /** scopeFlag[unit][off]: 1 + the frame offset of the in-scope flag of an inner block's local at off (Unit.scoped); 0 for none. */
  scopeFlag: Int32Array[];
}

/** Builds the object tables of a program laid out as `layout`. */
export function objectMap(p: Lowered, layout: Layout): ObjectMap {
  const end = new Int32Array(layout.words);
  for (const g of p.globals) {
    const n = sizeOf(g.type, p.structs);
    end.fill(g.offset + n, g.offset, g.offset + n);
  }
  // Pools are listed among the globals too (slot by slot); their flag words are no object.
  for (const pool of p.pools) {
    for (let i = 0; i < pool.count; i++) {
      const first = pool.base + i * (pool.size + 1) + 1; // after the allocated-flag word
      end[first - 1] = 0;
      end.fill(first + pool.size, first, first + pool.size);
    }
  }
  const stackOf = new Int32Array(layout.words);
  layout.slots.forEach((s, i) => {
    if (s.kind === "process") end.fill(s.task + p.task.size, s.task, s.task + p.task.size);
    stackOf.fill(i + 1, s.stackBase, s.stackEnd);
  });
  const varEnd = p.units.map((u) => {
    const t = new Int32Array(u.frameSize);
    for (const v of [...u.params, ...u.locals]) {
      const n = sizeOf(v.type, p.structs);
      t.fill(v.offset + n, v.offset, v.offset + n);
    }
    return t;
  });
  const calleeOf = new Int32Array(p.code.length + 1).fill(-1);
  p.code.forEach((ins, i) => {
    if (ins.k === "call") calleeOf[i + 1] = p.functionUnits[ins.fn] ?? -1;
  });
  const scopeFlag = p.units.map((u) => {
    const t = new Int32Array(u.frameSize);
    for (const sc of u.scoped) {
      const v = u.locals.find((x) => x.offset === sc.offset);
      const n = v ? sizeOf(v.type, p.structs) : 1;
      t.fill(sc.flag + 1, sc.offset, sc.offset + n);
    }
    return t;
  });
  return { end, stackOf, varEnd, calleeOf, scopeFlag };
}

/**
 * The frame on task `slot`'s stack that holds word `a`, or null when no live frame does (it
 * lies in a frame that has returned, above the innermost one, or the task has exited).
 *
 * Walks the frames up from the bottom of the stack. Each function frame starts with the return
 * pc of the call that made it, which names the function; a popped frame is zeroed, so a header
 * of 0 means no live frame is there. The body's frame has no header: it is live while the task
 * has not exited (its saved frame pointer, T_FP, is cleared when it exits and is never 0
 * before). The walk reads only headers of frames below `a` (and T_FP for the body's frame),
 * words that change when those frames come and go, not at every
 * step: the step memo sees the same reads each time.
 */
export function frameHolding(
  p: Lowered,
  map: ObjectMap,
  layout: Layout,
  m: Int32Array,
  slot: number,
  a: number,
): Frame | null {
  const s = layout.slots[slot];
  if (!s) return null;
  let fp = s.stackBase;
  let unit = s.unit;
  for (let guard = 0; guard < 1 << 20; guard++) {
    const end = fp + (p.units[unit]?.frameSize ?? 0);
    if (a < end) return fp === s.stackBase && m[s.base + T_FP] === 0 ? null : { unit, fp };
    fp = end;
    unit = map.calleeOf[m[fp] as number] ?? -1; // a header of 0 (no frame) names no unit
    if (unit < 0) return null;
  }
  return null;
}

/**
 * Where stack word `a` of task `slot` lies: one past the end of the live variable holding it
 * (> 0); 0 when it is a frame header or temporary of a live frame; −1 when no live frame holds
 * it (frameHolding) or the frame there is not of the unit the pointer's tag names; −2 when it is
 * a local of an inner block that has ended (Unit.scoped).
 */
export function stackObjectEnd(
  p: Lowered,
  map: ObjectMap,
  layout: Layout,
  m: Int32Array,
  slot: number,
  a: number,
  /** The unit the pointer's tag names (ir.ts stackTag), or -1 for any. */
  expected = -1,
): number {
  const f = frameHolding(p, map, layout, m, slot, a);
  // Another function's frame took the place of the one the pointer was taken in.
  if (f === null || (expected >= 0 && f.unit !== expected)) return -1;
  const flag = map.scopeFlag[f.unit]?.[a - f.fp] ?? 0;
  if (flag !== 0 && m[f.fp + flag - 1] === 0) return -2;
  const e = map.varEnd[f.unit]?.[a - f.fp] ?? 0;
  return e === 0 ? 0 : f.fp + e;
}

/** Names the static place word `a` lies in, for messages: a global, a pool object, a task block. */
export function describeStatic(p: Lowered, layout: Layout, a: number): string {
  for (const pool of p.pools) {
    const stride = pool.size + 1;
    if (a < pool.base || a >= pool.base + pool.count * stride) continue;
    const i = Math.floor((a - pool.base) / stride);
    return (a - pool.base) % stride === 0
      ? `the bookkeeping word of pool ${pool.typeName}[${i}]`
      : `the kmalloc'd ${pool.typeName} in pool slot ${i} (${pool.size} word${pool.size === 1 ? "" : "s"})`;
  }
  for (const g of p.globals) {
    const n = sizeOf(g.type, p.structs);
    if (a >= g.offset && a < g.offset + n) return `${g.name} (${n} word${n === 1 ? "" : "s"})`;
  }
  for (const s of layout.slots) {
    if (s.kind === "process" && a >= s.task && a < s.task + p.task.size) return `${s.label}'s task_struct`;
    if (a >= s.base && a < s.stackBase) return `${s.label}'s registers`;
    if (a >= s.stackBase && a < s.stackEnd) return `${s.label}'s stack`;
  }
  return a === 0 ? "NULL" : "no object";
}

/** A live frame: the unit whose frame it is and its frame pointer. */
export interface Frame {
  unit: number;
  fp: number;
}

/**
 * The frames live on a task's stack, innermost first, from its registers (`pc`, `fp`): each
 * function frame's return pc names the caller, whose frame ends where the callee's begins.
 * None when pc is 0 (the task exited).
 */
export function liveFrames(
  p: Lowered,
  m: Int32Array,
  pc: number,
  fp: number,
  callerSize: Int32Array,
): Frame[] {
  const out: Frame[] = [];
  for (let guard = 0; pc > 0 && guard < 100_000; guard++) {
    const unit = p.info[pc]?.unit ?? -1;
    if (unit < 0) break;
    out.push({ unit, fp });
    if (p.units[unit]?.kind !== "function") break;
    const rp = m[fp] as number;
    fp -= callerSize[rp] ?? 0;
    pc = rp;
  }
  return out;
}

/** The pool whose slots (flag words and objects) hold word a, if any. */
export function poolHolding(p: Lowered, a: number): Lowered["pools"][number] | undefined {
  return p.pools.find((q) => a >= q.base && a < q.base + q.count * (q.size + 1));
}

/** Joins the kinds a union's word has in its several members. */
const UNION_KINDS = " | ";

/**
 * The kind of each word of a type, in order: `int` (also for unsigned int), `int<lo..hi>`,
 * `short`, `unsigned char` and the other narrow types, `char`, `bool`, or the pointer
 * type itself (`char *`, `struct s *`: reading a word as a pointer to something else would give
 * that something a layout it does not have). Two types agree on a word when
 * their kinds there are equal; KC stores every scalar in one word, so only then does reading
 * the word through the other type mean what C means.
 */
export function wordKinds(t: Type, structs: StructTable, out: string[] = []): string[] {
  switch (t.k) {
    case "int":
      // An int word may be read as an unsigned int and back, as C allows (C11 6.5p7): both hold
      // the same 32-bit pattern (model/ctypes.ts). A narrow type holds its value normalised to
      // its own range, so its words are of its own kind.
      out.push(t.lo !== null ? `int<${t.lo}..${t.hi}>` : t.bits === undefined ? "int" : showType(t));
      break;
    case "char":
    case "bool":
      out.push(t.k);
      break;
    case "ptr":
      // The pointee counts: an int ** read where a char * lies would make a char hold 1000.
      out.push(`${showType(t.to)} *`);
      break;
    case "null":
      out.push("NULL");
      break;
    case "struct": {
      const info = structs.get(t.name);
      const start = out.length;
      if (info?.union) {
        // A word of a union is of each kind its members give it (they agree: model/unions.ts).
        const views = info.fields.map((f) => wordKinds(f.type, structs));
        for (let i = 0; i < info.size; i++) {
          const kinds = [...new Set(views.map((v) => v[i] ?? "").filter((k) => k !== ""))];
          out.push(kinds.join(UNION_KINDS));
        }
        break;
      }
      for (const f of info?.fields ?? []) {
        while (out.length < start + f.offset) out.push("");
        wordKinds(f.type, structs, out);
      }
      while (out.length < start + Math.max(0, info?.size ?? 0)) out.push("");
      break;
    }
    case "array":
      for (let i = 0; i < t.n; i++) wordKinds(t.of, structs, out);
      break;
    case "void":
    case "fn":
      break;
  }
  return out;
}

/**
 * A word of kind `is` may be read as kind `want` when they are equal, or when a pointer is read
 * as a `void *` (which cannot be dereferenced; giving it a type again is checked). Not the other
 * way: a `void *` word read as an `int *` would hand out its pointer typed without any check.
 */
function kindsAgree(is: string, want: string): boolean {
  if (is === want || (want === "void *" && is.endsWith(" *"))) return true;
  // A union's word is of several kinds at once: one of them is enough.
  if (is.includes(UNION_KINDS)) return is.split(UNION_KINDS).some((k) => kindsAgree(k, want));
  return want.includes(UNION_KINDS) && want.split(UNION_KINDS).some((k) => kindsAgree(is, k));
}

/** The word kinds of every static object (globals, pool objects, task_structs) and of every unit's frame. */
export interface KindMap {
  /** kind[a]: the kind of word a of a static object ("" outside them). */
  kind: string[];
  /** frame[unit][off]: the kind of frame word off ("" for the header and temporaries). */
  frame: string[][];
}

/** Builds the kind tables of a program laid out as `layout`. */
export function kindMap(p: Lowered, layout: Layout): KindMap {
  const kind: string[] = new Array(layout.words).fill("");
  const place = (t: Type, at: number): void => {
    wordKinds(t, p.structs).forEach((k, i) => {
      kind[at + i] = k;
    });
  };
  for (const g of p.globals) if (!poolHolding(p, g.offset)) place(g.type, g.offset);
  for (const q of p.pools) for (let i = 0; i < q.count; i++) place(q.type, q.base + i * (q.size + 1) + 1);
  for (const s of layout.slots) if (s.kind === "process") place({ k: "struct", name: "task_struct" }, s.task);
  const frame = p.units.map((u) => {
    const f: string[] = new Array(u.frameSize).fill("");
    for (const v of [...u.params, ...u.locals])
      wordKinds(v.type, p.structs).forEach((k, i) => {
        f[v.offset + i] = k;
      });
    return f;
  });
  return { kind, frame };
}

/**
 * Whether memory at pointer value `v` is laid out as `kinds` says, over the words of the object
 * it points into: null when it is (or v is NULL, or points into no object, which a dereference
 * reports), else the first word where they differ, for a message. The object and its kinds are
 * found as a dereference finds them (stackObjectEnd).
 */
export function layoutMismatch(
  p: Lowered,
  map: ObjectMap,
  kinds: KindMap,
  layout: Layout,
  m: Int32Array,
  v: number,
  want: readonly string[],
): { at: number; is: string; wanted: string } | null {
  const a = v > ADDRESS_MASK ? v & ADDRESS_MASK : v;
  if (a <= 0 || a >= layout.words) return null;
  let end = map.end[a] as number;
  let kindAt = (w: number): string => kinds.kind[w] ?? "";
  if (end === 0) {
    const slot = (map.stackOf[a] as number) - 1;
    const expected = v > ADDRESS_MASK ? (p.stackTagUnits[(v >>> STACK_TAG_SHIFT) - 1] ?? -1) : -1;
    end = stackObjectEnd(p, map, layout, m, slot, a, expected);
    const f = end > 0 ? frameHolding(p, map, layout, m, slot, a) : null;
    if (f === null) return null;
    const frameKinds = kinds.frame[f.unit] ?? [];
    kindAt = (w: number): string => frameKinds[w - f.fp] ?? "";
  }
  for (let i = 0; i < want.length && a + i < end; i++) {
    const is = kindAt(a + i);
    if (!kindsAgree(is, want[i] as string)) return { at: i, is, wanted: want[i] as string };
  }
  return null;
}

/** The message of a pointer conversion whose target's layout the memory does not have. */
export function badCastMessage(to: Type, bad: { at: number; is: string; wanted: string }): string {
  return `a pointer made to point at ${showType(to)} points at memory laid out otherwise: word ${bad.at} of ${showType(to)} is ${bad.wanted}, but the memory there holds ${bad.is || "no variable"} (KC stores every scalar in a word, so the read would not mean what C means)`;
}

/** Words that hold machine registers (pc, fp, atomic depth, interrupts-off) of some task: never a pointer. */
const registersOf = memoized((layout: Layout): Uint8Array => {
  const r = new Uint8Array(layout.words);
  for (const s of layout.slots) r.fill(1, s.base + T_PC, s.base + TASK_REGS);
  return r;
});

/**
 * Whether the word a pointer value `v` points at lies in an object that no task but `slot` can
 * reach now: the task's own stack, or a pool object it allocated, while no word of memory
 * outside that object and the task's own stack holds a pointer into it (or one past it). Another
 * task (or an interrupt handler) could only reach the object through such a pointer, so until
 * one is stored, accesses to it commute with everything they do (model/elab/privacy.ts). An
 * integer that happens to equal an address counts as a pointer: that only makes the answer
 * "no", never a wrong "yes".
 */
export function unpublished(p: Lowered, layout: Layout, m: Int32Array, slot: number, v: number): boolean {
  const s = layout.slots[slot];
  if (!s) return false;
  const a = v > ADDRESS_MASK ? v & ADDRESS_MASK : v;
  // A body local that a property reads has an observer besides its task (Lowered.observed), and
  // so has whatever a pointer held there points into.
  if (p.observed.includes(a)) return false;
  let lo: number;
  let hi: number;
  if (a >= s.stackBase && a < s.stackEnd) {
    lo = s.stackBase;
    hi = s.stackEnd;
  } else {
    if (v > ADDRESS_MASK) return false; // a stack pointer into another task's stack
    const pool = poolHolding(p, a);
    if (!pool) return false;
    const h = a - ((a - pool.base) % (pool.size + 1));
    if (h === a || m[h] === 0) return false; // the allocated-flag word, or a free object
    lo = h + 1;
    hi = lo + pool.size;
  }
  for (const w of p.observed) {
    const x = m[w] ?? 0;
    const u = x > ADDRESS_MASK ? x & ADDRESS_MASK : x;
    if (x !== 0 && u >= lo && u <= hi) return false;
  }
  const regs = registersOf(layout);
  const stackHidden = !pointedInto(m, regs, s.stackBase, s.stackEnd, -1, -1);
  if (lo === s.stackBase) return stackHidden;
  // A pool object: a pointer to it held on the task's own stack hides it only while no other
  // task can reach that stack either.
  return stackHidden
    ? !pointedInto(m, regs, lo, hi, s.stackBase, s.stackEnd)
    : !pointedInto(m, regs, lo, hi, -1, -1);
}

/**
 * Whether some word outside [lo, hi), outside [skip0, skip1) and not a register holds a pointer
 * into [lo, hi] (one past the end included: arithmetic may bring it back).
 */
function pointedInto(
  m: Int32Array,
  regs: Uint8Array,
  lo: number,
  hi: number,
  skip0: number,
  skip1: number,
): boolean {
  for (let w = 0; w < m.length; w++) {
    if (w === lo) {
      w = hi - 1;
      continue;
    }
    if (w === skip0) {
      w = skip1 - 1;
      continue;
    }
    if (regs[w] === 1) continue;
    const x = m[w] as number;
    if (x === 0) continue;
    const u = x > ADDRESS_MASK ? x & ADDRESS_MASK : x;
    if (u >= lo && u <= hi) return true;
  }
  return false;
}
