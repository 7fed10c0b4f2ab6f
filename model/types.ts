// Checked KC types and their memory layout: every scalar is one 32-bit word.

/** A KC type after name resolution. Sizes are in words. */
export type Type =
  | { k: "int"; lo: number | null; hi: number | null }
  | { k: "bool" }
  | { k: "char" }
  | { k: "void" }
  | { k: "null" }
  | { k: "ptr"; to: Type }
  | { k: "struct"; name: string }
  | { k: "array"; of: Type; n: number }
  /** A function type: only ever pointed to (`int (*op)(struct file *)`), never a variable's type. */
  | { k: "fn"; returns: Type; params: Type[] };

export const INT: Type = { k: "int", lo: null, hi: null };
export const BOOL: Type = { k: "bool" };
export const CHAR: Type = { k: "char" };
export const VOID: Type = { k: "void" };
export const NULLT: Type = { k: "null" };

export interface Field {
  name: string;
  type: Type;
  /** Word offset inside the struct. */
  offset: number;
}

/** A struct's fields in order; `size` is -1 while the struct is only declared. */
export interface StructInfo {
  name: string;
  fields: Field[];
  size: number;
}

export type StructTable = Map<string, StructInfo>;

export function isScalar(t: Type): boolean {
  return t.k === "int" || t.k === "bool" || t.k === "char" || t.k === "ptr" || t.k === "null";
}

export function isIntegral(t: Type): boolean {
  return t.k === "int" || t.k === "bool" || t.k === "char";
}

/** Size in words; structs are looked up in `structs`. */
export function sizeOf(t: Type, structs: StructTable): number {
  switch (t.k) {
    case "struct":
      return structs.get(t.name)?.size ?? -1;
    case "array": {
      const s = sizeOf(t.of, structs);
      return s < 0 ? -1 : s * t.n;
    }
    case "void":
      return 0;
    case "fn":
      return -1;
    default:
      return 1;
  }
}

/** A type's size and alignment in bytes, as C lays it out. */
export interface CLayout {
  size: number;
  align: number;
}

/**
 * Size and alignment in bytes that C gives a type on i386 (gcc -m32), for `sizeof`: char and
 * bool 1, int, long and pointers 4, struct fields aligned and the struct padded to its widest
 * field. KC stores every scalar in a word of its own, but a program asking sizeof means C's
 * answer. Null for an incomplete type or void.
 */
export function cLayout(
  t: Type,
  structs: StructTable,
  known: Map<string, CLayout> = new Map(),
): CLayout | null {
  switch (t.k) {
    case "char":
    case "bool":
      return { size: 1, align: 1 };
    case "void":
    case "fn":
      return null;
    case "array": {
      const e = cLayout(t.of, structs, known);
      return e && { size: e.size * t.n, align: e.align };
    }
    case "struct": {
      // Each struct is laid out once: structs holding two of the last one double at every level.
      const done = known.get(t.name);
      if (done) return done;
      const info = structs.get(t.name);
      if (!info || info.size < 0) return null;
      let size = 0;
      let align = 1;
      for (const f of info.fields) {
        const l = cLayout(f.type, structs, known);
        if (!l) return null;
        size = Math.ceil(size / l.align) * l.align + l.size;
        align = Math.max(align, l.align);
      }
      const l = { size: Math.ceil(size / align) * align, align };
      known.set(t.name, l);
      return l;
    }
    default:
      return { size: 4, align: 4 };
  }
}

/** The same type; `int<0..3>` is not `int` (a store through an `int *` would skip the range). */
export function typeEquals(a: Type, b: Type): boolean {
  if (a.k !== b.k) return false;
  switch (a.k) {
    case "int":
      return a.lo === (b as typeof a).lo && a.hi === (b as typeof a).hi;
    case "ptr":
      return typeEquals(a.to, (b as typeof a).to);
    case "struct":
      return a.name === (b as typeof a).name;
    case "array":
      return a.n === (b as typeof a).n && typeEquals(a.of, (b as typeof a).of);
    case "fn": {
      const f = b as typeof a;
      return (
        typeEquals(a.returns, f.returns) &&
        a.params.length === f.params.length &&
        a.params.every((t, i) => typeEquals(t, f.params[i] as Type))
      );
    }
    default:
      return true;
  }
}

/**
 * Whether a cast from a pointer to `from` to a pointer to `to` keeps C's meaning. KC stores every
 * scalar in a word of its own, so a `char *` into an int reads the whole int, not its low byte:
 * only the same type, `void` on either side (which must be cast again to be used), and struct to
 * struct (a later access past the object is a run-time fault) agree; pointers to pointers agree
 * when their targets do.
 */
export function pointeesAgree(from: Type, to: Type): boolean {
  // A function is no data: its pointer converts to no other pointer (pointers.ts says why).
  if (from.k === "fn" || to.k === "fn") return typeEquals(from, to);
  if (from.k === "void" || to.k === "void") return true;
  if (from.k === "struct" && to.k === "struct") return true;
  if (from.k === "ptr" && to.k === "ptr") return pointeesAgree(from.to, to.to);
  return typeEquals(from, to);
}

/** C spelling of a type, for messages: `struct semaphore *`, `int<0..7>`, `int[4]`. */
export function showType(t: Type): string {
  switch (t.k) {
    case "int":
      return t.lo === null ? "int" : `int<${t.lo}..${t.hi}>`;
    case "ptr":
      if (t.to.k === "fn") return `${showType(t.to.returns)} (*)(${t.to.params.map(showType).join(", ")})`;
      return `${showType(t.to)} *`;
    case "fn":
      return `${showType(t.returns)} (${t.params.map(showType).join(", ")})`;
    case "struct":
      return `struct ${t.name}`;
    case "array":
      return `${showType(t.of)}[${t.n}]`;
    case "null":
      return "NULL";
    default:
      return t.k;
  }
}
