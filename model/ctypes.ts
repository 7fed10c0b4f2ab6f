// C's integer rules on i386 (gcc -m32), C11 6.3.1: how each integer type is held in a word, the
// integer promotions, the usual arithmetic conversions, conversion of a value to a type, and the
// IR operator that gives a C operator its meaning for the operands' common type.
import type { BinaryOp, NamedType } from "./ast";
import type { BinOp, UnsignedOp } from "./ir";
import { BOOL, CHAR, INT, SCHAR, SHORT, type Type, UCHAR, UINT, USHORT, VOID } from "./types";

/** The type each keyword spelling names (the parser folds `long` into int, i386's 32 bits). */
export const NAMED_TYPES: Readonly<Record<NamedType, Type>> = {
  int: INT,
  "unsigned int": UINT,
  short: SHORT,
  "unsigned short": USHORT,
  "signed char": SCHAR,
  "unsigned char": UCHAR,
  bool: BOOL,
  char: CHAR,
  void: VOID,
};

// Words: every integer is held in one Int32Array word, normalised to its type. An int (ranged or
// not) is its value; an unsigned int is its bit pattern (4294967295 is held as -1); a narrow type
// (char, signed char, short, unsigned char, unsigned short, bool) holds its value, which lies in
// the type's range. So a promotion or a conversion to a 32-bit type never changes a word (the
// value of a narrow type is the same as an int, and an int's bit pattern is its value modulo
// 2^32 as an unsigned): only a conversion to a narrow type or bool computes, and only the
// operators whose result depends on the sign need unsigned variants in the IR.

/** A 32-bit `unsigned int` (also `unsigned long`, `size_t`): the one type promotion keeps unsigned. */
export function isUnsigned32(t: Type): boolean {
  return t.k === "int" && t.unsigned === true && t.bits === undefined;
}

/** A type a string may initialise an array of (C11 6.7.9p14): char, signed char, unsigned char. */
export function isByteType(t: Type): boolean {
  return t.k === "char" || (t.k === "int" && t.bits === 8);
}

/**
 * C11 6.3.1.1: the integer promotions. Every integer type narrower than int (char, bool, short,
 * the unsigned chars and shorts, all of whose values int holds) and every ranged int becomes int;
 * unsigned int stays.
 */
export function promote(t: Type): Type {
  return isUnsigned32(t) ? UINT : INT;
}

/** C11 6.3.1.8: the common type of two promoted integer operands on i386 (no 64-bit types). */
export function commonType(a: Type, b: Type): Type {
  return isUnsigned32(promote(a)) || isUnsigned32(promote(b)) ? UINT : INT;
}

/** Operators whose result depends on whether the operands are read as signed or unsigned. */
const UNSIGNED_VARIANT: Partial<Record<BinaryOp, UnsignedOp>> = {
  "<": "u<",
  "<=": "u<=",
  ">": "u>",
  ">=": "u>=",
  "/": "u/",
  "%": "u%",
  ">>": "u>>",
};

/**
 * The IR operator of `op` on operands converted to `t` (their common type; for a shift, the
 * promoted left operand's type, C11 6.5.7).
 */
export function irOperator(op: BinaryOp, t: Type): BinOp {
  return isUnsigned32(t) ? (UNSIGNED_VARIANT[op] ?? op) : op;
}

/** Whether a C operator's result has an arithmetic type (not a comparison or logical 0/1 int). */
export function isArithmetic(op: BinaryOp): boolean {
  return !["<", "<=", ">", ">=", "==", "!=", "&&", "||"].includes(op);
}

/**
 * The word that holds `v` converted to `t` (C11 6.3.1.2 and 6.3.1.3): `v` is a word or any
 * integer (a mathematical value), and the conversion is modulo 2^bits, as gcc makes it for signed
 * targets too. Types other than the integers and bool keep the word.
 */
export function convertValue(v: number, t: Type): number {
  if (t.k === "bool") return v !== 0 ? 1 : 0;
  if (t.k === "char") return (v << 24) >> 24;
  if (t.k === "int" && t.bits !== undefined) {
    const shift = 32 - t.bits;
    return t.unsigned ? (v << shift) >>> shift : (v << shift) >> shift;
  }
  return v | 0;
}

/** The C value a word holds for type `t`: an unsigned int word is read as 0 .. 2^32 - 1. */
export function valueOfWord(word: number, t: Type): number {
  return isUnsigned32(t) ? word >>> 0 : word;
}

/** The smallest and largest values of an integer type (or bool), or null for other types. */
export function intRange(t: Type): [number, number] | null {
  if (t.k === "bool") return [0, 1];
  if (t.k === "char") return [-128, 127];
  if (t.k !== "int") return null;
  if (t.lo !== null) return [t.lo, t.hi as number];
  const bits = t.bits ?? 32;
  return t.unsigned ? [0, 2 ** bits - 1] : [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1];
}

/** Whether the mathematical value `v` is a value of type `t` (any value fits a non-integer type). */
export function fitsType(v: number, t: Type): boolean {
  const r = intRange(t);
  return r === null || (v >= r[0] && v <= r[1]);
}

/**
 * The kernel's integer typedefs on i386 (include/linux/types.h, include/asm-i386/types.h and
 * posix_types.h), which the prelude declares: name → the C type it stands for.
 */
export const KERNEL_INT_TYPEDEFS: ReadonlyArray<readonly [string, string]> = [
  ["_Bool", "bool"],
  ["size_t", "unsigned int"],
  ["ssize_t", "int"],
  ["u8", "unsigned char"],
  ["u16", "unsigned short"],
  ["u32", "unsigned int"],
  ["s8", "signed char"],
  ["s16", "short"],
  ["s32", "int"],
  ["__u8", "unsigned char"],
  ["__u16", "unsigned short"],
  ["__u32", "unsigned int"],
  ["__s8", "signed char"],
  ["__s16", "short"],
  ["__s32", "int"],
  ["ushort", "unsigned short"],
  ["uint", "unsigned int"],
  ["ulong", "unsigned long"],
  ["pid_t", "int"],
  ["uid_t", "unsigned int"],
  ["gid_t", "unsigned int"],
  ["umode_t", "unsigned short"],
];

/**
 * The kernel's 64-bit typedefs: names the parser knows as types, so that a declaration using one
 * is KC313 (KC has no 64-bit integers), never a 32-bit type in disguise.
 */
export const WIDE_TYPEDEFS: readonly string[] = ["u64", "s64", "__u64", "__s64", "loff_t"];

/** The prelude's declarations of KERNEL_INT_TYPEDEFS, as KC text. */
export function kernelIntTypedefs(): string {
  return KERNEL_INT_TYPEDEFS.map(([name, c]) => `typedef ${c} ${name};`).join("\n");
}
