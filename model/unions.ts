// When a union means in KC what it means in C.
//
// KC keeps every scalar in a 32-bit word of its own, and a union puts all its members at word 0.
// C puts them all at byte 0 and lets a member be read after another was written: the bytes are
// read again as the new member's type. KC can give that meaning only where the members have
// the same scalars at the same bytes, word for word: then a word written through one member is
// read through the other as C reads it.
//
// Pointers need more: a pointer read through another member is used as that member's type
// with no conversion, so nothing checks it when the program runs (a cast is checked: the
// IR's "layout"). Two data pointers agree only when what they point at is laid out alike: the
// same type, int and unsigned int, or two structs of one size whose words agree the same way
// (`struct list_head *` over `struct callback_head *`: both two pointers, the second a function
// pointer, which is checked when called). A function pointer agrees with any pointer: a data
// pointer called, or a function pointer dereferenced, is a fault when used, as it is a crash in
// C. A `void *` agrees only with `void *`: it may point at anything. Any other overlap (an int
// and four chars, an int and a pointer, `char *` over `int *`) is KC313.
import {
  type CLayout,
  cLayout,
  fieldBytes,
  isWordInt,
  type StructTable,
  showType,
  sizeOf,
  type Type,
  typeEquals,
} from "./types";

/**
 * One scalar position of a type: its C byte offset and size, the types it may hold (one, or in
 * a union every member's type at that position), and the member path naming it.
 */
interface Leaf {
  bytes: number;
  size: number;
  types: Type[];
  path: string;
}

/** A union's positions: every member's scalars merged, by index (the members agree on offsets). */
type Profile = Leaf[];

/** Profiles of the unions declared so far, per struct table. */
const profiles = new WeakMap<StructTable, Map<string, Profile>>();

/** The scalars of `t` in memory order, with C's byte offsets. */
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
    if (info?.union) {
      // A union nested here: each position with every type its members give it.
      for (const l of profiles.get(structs)?.get(t.name) ?? [])
        yield { ...l, bytes: bytes + l.bytes, path: path + l.path };
      return;
    }
    const offsets = info && fieldBytes(info, structs, known);
    if (!info || !offsets) return;
    for (const [i, f] of info.fields.entries())
      yield* leaves(
        f.type,
        structs,
        known,
        bytes + (offsets[i] as number),
        f.name === "" ? path : `${path}.${f.name}`,
      );
    return;
  }
  const l = cLayout(t, structs, known);
  if (l) yield { bytes, size: l.size, types: [t], path };
}

/** char is signed on i386: it holds what signed char holds. */
function signedChar(x: Type): boolean {
  return x.k === "char" || (x.k === "int" && x.bits === 8 && !x.unsigned);
}

/**
 * Whether a word written as scalar `s` reads as scalar `t` with C's meaning (the head of the
 * file). `assumed` holds the struct pairs being compared, so that recursive types terminate
 * (a pair met again is taken to agree; any difference shows elsewhere).
 */
function scalarsAgree(
  s: Type,
  t: Type,
  structs: StructTable,
  known: Map<string, CLayout>,
  assumed: Set<string>,
): boolean {
  if (s.k === "ptr" && t.k === "ptr") {
    if (s.to.k === "fn" || t.to.k === "fn") return true;
    return pointeesAgree(s.to, t.to, structs, known, assumed);
  }
  if (isWordInt(s) && isWordInt(t)) return true;
  if (signedChar(s) && signedChar(t)) return true;
  return typeEquals(s, t);
}

/** Whether memory laid out as `a` may be used as `b` with no check (see the head of the file). */
function pointeesAgree(
  a: Type,
  b: Type,
  structs: StructTable,
  known: Map<string, CLayout>,
  assumed: Set<string>,
): boolean {
  if (a.k === "void" || b.k === "void") return a.k === b.k;
  if (a.k === "struct" && b.k === "struct") {
    if (a.name === b.name) return true;
    const key = a.name < b.name ? `${a.name}\u0000${b.name}` : `${b.name}\u0000${a.name}`;
    if (assumed.has(key)) return true;
    const la = cLayout(a, structs, known);
    const lb = cLayout(b, structs, known);
    if (!la || !lb || la.size !== lb.size || sizeOf(a, structs) !== sizeOf(b, structs)) return false;
    assumed.add(key);
    return (
      firstClash(
        [...leaves(a, structs, known, 0, "")],
        leaves(b, structs, known, 0, ""),
        structs,
        known,
        assumed,
      ) === null
    );
  }
  if (a.k === "ptr" && b.k === "ptr") return scalarsAgree(a, b, structs, known, assumed);
  if (a.k === "array" || b.k === "array") return false;
  return scalarsAgree(a, b, structs, known, assumed);
}

/** Whether two positions agree: the same bytes, and every pair of their types agrees. */
function leavesAgree(
  x: Leaf,
  y: Leaf,
  structs: StructTable,
  known: Map<string, CLayout>,
  assumed: Set<string>,
): boolean {
  if (x.bytes !== y.bytes || x.size !== y.size) return false;
  return x.types.every((s) => y.types.every((t) => scalarsAgree(s, t, structs, known, assumed)));
}

/**
 * The first position where `member` disagrees with `profile` over their common prefix, as
 * [profile's leaf, member's leaf]; null when they agree.
 */
function firstClash(
  profile: Profile,
  member: Iterable<Leaf>,
  structs: StructTable,
  known: Map<string, CLayout>,
  assumed: Set<string>,
): [Leaf, Leaf] | null {
  let k = 0;
  for (const l of member) {
    const p = profile[k++];
    if (!p) break;
    if (!leavesAgree(p, l, structs, known, assumed)) return [p, l];
  }
  return null;
}

/** A position for a message: `'a.x' (int at byte 4)`. */
function showLeaf(l: Leaf): string {
  return `'${l.path.slice(1)}' (${l.types.map(showType).join(" or ")} at byte ${l.bytes})`;
}

/**
 * Why union `info` cannot mean in KC what it means in C, or null when it can: the first member
 * that disagrees with the members before it, its index (for its source span) and a message.
 * Records the union's profile for the unions and structs that hold it later.
 */
export function unionClash(
  info: { name: string; fields: { name: string; type: Type }[] },
  structs: StructTable,
  known: Map<string, CLayout>,
): { member: number; message: string } | null {
  const profile: Profile = [];
  let clash: { member: number; message: string } | null = null;
  for (const [j, f] of info.fields.entries()) {
    const mine = [...leaves(f.type, structs, known, 0, f.name === "" ? "" : `.${f.name}`)];
    const bad: [Leaf, Leaf] | null = clash ? null : firstClash(profile, mine, structs, known, new Set());
    if (bad)
      clash = {
        member: j,
        message: `union ${info.name}: ${showLeaf(bad[1])} shares memory with ${showLeaf(bad[0])}; KC keeps each scalar in a word of its own and reads a pointer through another member unchecked, so it cannot give C's meaning to reading those bytes as the other type: give the members the same scalars at the same offsets (pointers to things laid out alike), or use a struct`,
      };
    // Merge: each position gains the member's types it does not have yet.
    for (const [k, l] of mine.entries()) {
      const p = profile[k];
      if (!p) profile.push({ ...l, types: [...l.types] });
      else for (const t of l.types) if (!p.types.some((u) => typeEquals(u, t))) p.types.push(t);
    }
  }
  const table = profiles.get(structs) ?? new Map<string, Profile>();
  profiles.set(structs, table);
  table.set(info.name, profile);
  return clash;
}
