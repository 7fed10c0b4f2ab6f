// Checked KC types and their memory layout: every scalar is one 32-bit word.

/** A KC type after name resolution. Sizes are in words. */
export type Type =
  /**
   * An integer type of C: `int` (lo/hi null), a ranged int `int<lo..hi>` (signed 32-bit), or with
   * `bits` and `unsigned` one of C's other integer types (model/ctypes.ts). Absent fields mean
   * 32 bits and signed, so `int` is written as it always was. `char` and `bool` are kinds of
   * their own.
   */
  | { k: "int"; lo: number | null; hi: number | null; bits?: 8 | 16; unsigned?: true }
  | { k: "bool" }
  | { k: "char" }
  | { k: "void" }
  | { k: "null" }
  | { k: "ptr"; to: Type }
  /** A struct, or with `union` a union (every member at offset 0). */
  | { k: "struct"; name: string; union?: true }
  | { k: "array"; of: Type; n: number }
  /** A function type: only ever pointed to (`int (*op)(struct file *)`), never a variable's type. */
  | { k: "fn"; returns: Type; params: Type[] };

export const INT: Type = { k: "int", lo: null, hi: null };
/** `unsigned int` (also `unsigned long` and `size_t`: i386 has 32-bit longs). */
export const UINT: Type = { k: "int", lo: null, hi: null, unsigned: true };
export const SHORT: Type = { k: "int", lo: null, hi: null, bits: 16 };
export const USHORT: Type = { k: "int", lo: null, hi: null, bits: 16, unsigned: true };
export const SCHAR: Type = { k: "int", lo: null, hi: null, bits: 8 };
export const UCHAR: Type = { k: "int", lo: null, hi: null, bits: 8, unsigned: true };
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

/**
 * A struct's fields in order; `size` is -1 while the struct is only declared. In a union every
 * field is at offset 0 and the size is the largest field's. A field named "" is an anonymous
 * struct or union member (C11), whose own fields are named as the parent's (findField).
 */
export interface StructInfo {
  name: string;
  fields: Field[];
  size: number;
  union?: true;
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
 * Size and alignment in bytes that C gives a type on i386 (gcc -m32), for `sizeof`: the chars
 * and bool 1, the shorts 2, int, long (either signed) and pointers 4, struct fields aligned and the struct padded to its widest
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
    case "int":
      if (t.bits) return { size: t.bits / 8, align: t.bits / 8 };
      return { size: 4, align: 4 };
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
        // A union's members all start at byte 0; a struct's follow one another, each aligned.
        size = info.union ? Math.max(size, l.size) : Math.ceil(size / l.align) * l.align + l.size;
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

/**
 * The byte offset C gives each field of a struct or union on i386 (cLayout's rule), in field
 * order; null for an incomplete type.
 */
export function fieldBytes(
  info: StructInfo,
  structs: StructTable,
  known?: Map<string, CLayout>,
): number[] | null {
  const out: number[] = [];
  let bytes = 0;
  for (const f of info.fields) {
    const l = cLayout(f.type, structs, known);
    if (!l) return null;
    if (info.union) out.push(0);
    else {
      bytes = Math.ceil(bytes / l.align) * l.align;
      out.push(bytes);
      bytes += l.size;
    }
  }
  return out;
}

/** A field found by name, through anonymous members: its word and byte offsets in the outer type. */
export interface FoundField {
  type: Type;
  offset: number;
  bytes: number;
}

/**
 * The field `name` of struct or union `structName`, looked up as C does: a field of an anonymous
 * member (C11) is the parent's own. Null when there is none (or the type is incomplete).
 */
export function findField(
  structs: StructTable,
  structName: string,
  name: string,
  known?: Map<string, CLayout>,
): FoundField | null {
  const info = structs.get(structName);
  if (!info || info.size < 0 || name === "") return null;
  const bytes = fieldBytes(info, structs, known);
  if (!bytes) return null;
  for (const [i, f] of info.fields.entries()) {
    if (f.name === name) return { type: f.type, offset: f.offset, bytes: bytes[i] as number };
    if (f.name === "" && f.type.k === "struct") {
      const inner = findField(structs, f.type.name, name, known);
      if (inner)
        return { ...inner, offset: f.offset + inner.offset, bytes: (bytes[i] as number) + inner.bytes };
    }
  }
  return null;
}

/** The names a struct's fields are reached by, anonymous members' fields included. */
export function fieldNames(structs: StructTable, structName: string): string[] {
  const out: string[] = [];
  for (const f of structs.get(structName)?.fields ?? []) {
    if (f.name !== "") out.push(f.name);
    else if (f.type.k === "struct") out.push(...fieldNames(structs, f.type.name));
  }
  return out;
}

/** The same type; `int<0..3>` is not `int` (a store through an `int *` would skip the range). */
export function typeEquals(a: Type, b: Type): boolean {
  if (a.k !== b.k) return false;
  switch (a.k) {
    case "int": {
      const c = b as typeof a;
      return a.lo === c.lo && a.hi === c.hi && a.bits === c.bits && a.unsigned === c.unsigned;
    }
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
  // C lets an int be read as an unsigned int and back (C11 6.5p7); both are held as the same
  // 32-bit pattern, so either reading means what C means. Narrow types are held normalised to
  // their own range, and a ranged int checks its range on a store: those stay exact.
  if (isWordInt(from) && isWordInt(to)) return true;
  return typeEquals(from, to);
}

/** A plain 32-bit `int` or `unsigned int`: no range, no narrow width. */
export function isWordInt(t: Type): boolean {
  return t.k === "int" && t.lo === null && t.bits === undefined;
}

/** The C spelling of an integer type without a range: `int`, `unsigned short`, `signed char`. */
export function intName(t: Extract<Type, { k: "int" }>): string {
  const base = t.bits === 8 ? "char" : t.bits === 16 ? "short" : "int";
  if (t.unsigned) return `unsigned ${base}`;
  return t.bits === 8 ? "signed char" : base;
}

/** C spelling of a type, for messages: `struct semaphore *`, `int<0..7>`, `int[4]`. */
export function showType(t: Type): string {
  switch (t.k) {
    case "int":
      return t.lo === null ? intName(t) : `int<${t.lo}..${t.hi}>`;
    case "ptr":
      if (t.to.k === "fn") return `${showType(t.to.returns)} (*)(${t.to.params.map(showType).join(", ")})`;
      return `${showType(t.to)} *`;
    case "fn":
      return `${showType(t.returns)} (${t.params.map(showType).join(", ")})`;
    case "struct":
      return `${t.union ? "union" : "struct"} ${t.name}`;
    case "array":
      return `${showType(t.of)}[${t.n}]`;
    case "null":
      return "NULL";
    default:
      return t.k;
  }
}
