// When a union means in KC what it means in C.
//
// KC keeps every scalar in a 32-bit word of its own, and a union puts all its members at word 0.
// C puts them all at byte 0 and lets a member be read after another was written: the bytes are
// read again as the new member's type. KC can give that meaning only where the two members have
// the same scalars at the same bytes, word for word: then a word written through one member is
// read through the other as C reads it. Pointer words are compared loosely: a pointer to a
// function read as a data pointer (or a data pointer called) is a fault when used, as in C it is
// a crash; two data pointers must be able to point at the same thing (types.ts pointeesAgree).
// Any other overlap (an int and four chars, an int and a pointer) has no KC meaning: KC313.
import {
  type CLayout,
  cLayout,
  fieldBytes,
  isWordInt,
  pointeesAgree,
  type StructTable,
  showType,
  sizeOf,
  type Type,
} from "./types";

/** One scalar of a type: its C byte offset and size, its type, and the member path naming it. */
interface Leaf {
  bytes: number;
  size: number;
  type: Type;
  path: string;
}

/** The scalars of `t` in memory order, with C's byte offsets (a union gives its largest member's). */
function* leaves(
  t: Type,
  structs: StructTable,
  known: Map<string, CLayout>,
  bytes: number,
  path: string,
): Generator<Leaf> {
  if (t.k === "array") {
    const el = cLayout(t.of, structs, known);
    if (!el) return;
    for (let i = 0; i < t.n; i++) yield* leaves(t.of, structs, known, bytes + i * el.size, `${path}[${i}]`);
    return;
  }
  if (t.k === "struct") {
    const info = structs.get(t.name);
    const offsets = info && fieldBytes(info, structs, known);
    if (!info || !offsets) return;
    // A nested union's members agree already (it was checked when defined): its largest member
    // has every word the union has.
    const fields = info.union
      ? info.fields.filter((f) => sizeOf(f.type, structs) === info.size).slice(0, 1)
      : info.fields;
    for (const f of fields) {
      const at = offsets[info.fields.indexOf(f)] as number;
      yield* leaves(f.type, structs, known, bytes + at, f.name === "" ? path : `${path}.${f.name}`);
    }
    return;
  }
  const l = cLayout(t, structs, known);
  if (l) yield { bytes, size: l.size, type: t, path };
}

/** Whether a word written as `a` reads as `b` with C's meaning (see the head of the file). */
function leavesAgree(a: Leaf, b: Leaf): boolean {
  if (a.bytes !== b.bytes || a.size !== b.size) return false;
  const [s, t] = [a.type, b.type];
  if (s.k === "ptr" && t.k === "ptr") return s.to.k === "fn" || t.to.k === "fn" || pointeesAgree(s.to, t.to);
  if (isWordInt(s) && isWordInt(t)) return true;
  // char is signed on i386: it holds what signed char holds.
  const signedChar = (x: Type): boolean => x.k === "char" || (x.k === "int" && x.bits === 8 && !x.unsigned);
  if (signedChar(s) && signedChar(t)) return true;
  if (s.k !== t.k) return false;
  if (s.k === "int" && t.k === "int")
    return s.lo === t.lo && s.hi === t.hi && s.bits === t.bits && s.unsigned === t.unsigned;
  return s.k === "bool";
}

/** A leaf for a message: `'a.x' (int at byte 4)`. */
function showLeaf(l: Leaf): string {
  return `'${l.path.slice(1)}' (${showType(l.type)} at byte ${l.bytes})`;
}

/**
 * Why union `info` cannot mean in KC what it means in C, or null when it can: the first two
 * members whose shared words differ, and the index of the later one (for its source span).
 */
export function unionClash(
  info: { name: string; fields: { name: string; type: Type }[] },
  structs: StructTable,
  known: Map<string, CLayout>,
): { member: number; message: string } | null {
  const members = info.fields;
  for (let j = 1; j < members.length; j++)
    for (let i = 0; i < j; i++) {
      const a = members[i] as (typeof members)[number];
      const b = members[j] as (typeof members)[number];
      const as = leaves(a.type, structs, known, 0, a.name === "" ? "" : `.${a.name}`);
      const bs = leaves(b.type, structs, known, 0, b.name === "" ? "" : `.${b.name}`);
      for (;;) {
        const x = as.next();
        const y = bs.next();
        if (x.done || y.done) break;
        if (!leavesAgree(x.value, y.value))
          return {
            member: j,
            message: `union ${info.name}: ${showLeaf(y.value)} shares memory with ${showLeaf(x.value)}; KC keeps each scalar in a word of its own, so it cannot give C's meaning to reading those bytes as the other type: give the members the same scalars at the same offsets, or use a struct`,
          };
      }
    }
  return null;
}
