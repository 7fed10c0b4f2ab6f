// Where the object a pointer points into begins, and the words of the run-time faults of pointer
// arithmetic, comparison and conversion: shared by the compiled checker and the reference
// interpreter, which find the object each in their own way (checker/pointerChecks.ts,
// checker/interpretPointers.ts).
import { fnIndexOf, isErrorPointer, type Lowered } from "./ir";
import { TASK_FIELDS } from "./kernel";
import type { Layout } from "./layout";
import { sizeOf } from "./types";

/** The first word of each object, the counterpart of objects.ts ObjectMap's `end` tables. */
export interface StartMap {
  /** start[a]: the first word of the global, pool object or task_struct holding word a (0: none). */
  start: Int32Array;
  /** varStart[unit][off]: the frame offset where the variable holding frame word off begins. */
  varStart: Int32Array[];
}

/** Builds the start tables of a program laid out as `layout` (pools are among the globals). */
export function startMap(p: Lowered, layout: Layout): StartMap {
  const start = new Int32Array(layout.words);
  for (const g of p.globals) start.fill(g.offset, g.offset, g.offset + sizeOf(g.type, p.structs));
  for (const s of layout.slots)
    if (s.kind === "process") start.fill(s.base, s.base, s.base + TASK_FIELDS.length);
  const varStart = p.units.map((u) => {
    const t = new Int32Array(u.frameSize);
    for (const v of [...u.params, ...u.locals])
      t.fill(v.offset, v.offset, v.offset + sizeOf(v.type, p.structs));
    return t;
  });
  return { start, varStart };
}

/** A pointer value as a person reads it in a fault: an error pointer, a function, or a word. */
export function describePointer(p: Lowered, v: number): string {
  if (v === 0) return "NULL";
  if (isErrorPointer(v)) return `the error pointer ERR_PTR(${v})`;
  const f = fnIndexOf(v);
  if (f >= 0) return `the function pointer ${p.functionNames[f] ?? `#${f}`}`;
  return `pointer ${v}`;
}

/** A pointer value below every address, in a trace: `pipe_read` for a function, `ERR_PTR(-12)`. */
export function formatNonData(p: Lowered, v: number): string {
  const f = fnIndexOf(v);
  if (f >= 0) return p.functionNames[f] ?? `function #${f}`;
  return isErrorPointer(v) ? `ERR_PTR(${v})` : `@${v}`;
}

/** The fault of a dereference of a value that is no data pointer at all (an error or function pointer). */
export function notDataMessage(p: Lowered, v: number): string {
  return fnIndexOf(v) >= 0
    ? `data access through ${describePointer(p, v)}`
    : `dereference of ${describePointer(p, v)}`;
}

/** The fault of `p + n` whose result leaves p's object. */
export function arithmeticMessage(name: string, size: number, off: number): string {
  return `pointer arithmetic leaves ${name}: the result would be at word ${off} of it, and C allows words 0 to ${size} (one past the end)`;
}

/** A stack variable in a fault, as both checkers name it. */
export function stackVariableName(label: string, word: number, size: number): string {
  return `a variable on ${label}'s stack (word ${word}, ${size} word${size === 1 ? "" : "s"})`;
}

/** The fault of `p - q` or `p < q` with p and q in different objects. */
export function twoObjectsMessage(what: string, a: string, b: string): string {
  return `${what} between pointers into different objects (${a} and ${b}): C defines it only within one object`;
}

/** The fault of an int that is neither 0 nor an errno converted to a pointer. */
export function intToPointerMessage(v: number): string {
  return `the integer ${v} converted to a pointer: in KC's word memory only 0 (NULL) and -4095..-1 (ERR_PTR) are pointers`;
}

/** The fault of a pointer to an object or function converted to an integer. */
export const POINTER_TO_INT =
  "a pointer to an object or a function converted to an integer: KC's word memory gives it no integer C would give (only NULL and error pointers convert)";
