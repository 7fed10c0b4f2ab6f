// Memory leaks: once every process has exited, a pool object that kmalloc handed out and no
// one freed must still be reachable — from a global or a task_struct (a zombie's, not yet
// reaped), or from another reachable object — through the pointers memory holds. One that
// nothing points to any more is leaked, as kmemleak reports it: the process that held the last
// pointer (on its stack, in a file it closed) died without freeing it.
//
// Which words hold pointers is known from their types (objects.ts wordKinds), so an int that
// happens to equal an address is no reference. The stacks are not roots: every process has
// exited, and what stays of a body's frame for properties is no memory the kernel keeps.
import type { Lowered } from "../model/ir";
import { ADDRESS_MASK } from "../model/ir";
import type { Layout } from "../model/layout";
import { type KindMap, kindMap } from "../model/objects";
import { showType } from "../model/types";

/** A leaked object: its pool (index into Lowered.pools) and its slot in the pool. */
export interface Leak {
  pool: number;
  index: number;
  message: string;
}

const kindCache = new WeakMap<Lowered, KindMap>();

/** Whether a word's kind (objects.ts wordKinds) is a data pointer, alone or among a union's kinds. */
function holdsPointer(kind: string): boolean {
  return kind.includes("*");
}

/**
 * The first pool object allocated in `m` that no pointer reaches from the roots (globals and
 * task_structs), or null. `m` is a state where every process has exited.
 */
export function findLeak(p: Lowered, layout: Layout, m: Int32Array): Leak | null {
  if (p.pools.length === 0) return null;
  let kinds = kindCache.get(p);
  if (!kinds) {
    kinds = kindMap(p, layout);
    kindCache.set(p, kinds);
  }
  const k = kinds.kind;
  // Each allocated object, by the address of its first word.
  const objects: Array<{ pool: number; index: number; first: number; size: number }> = [];
  const objectAt = (a: number): number => {
    for (let i = 0; i < objects.length; i++) {
      const o = objects[i] as (typeof objects)[number];
      if (a >= o.first && a < o.first + Math.max(1, o.size)) return i;
    }
    return -1;
  };
  p.pools.forEach((q, pool) => {
    for (let index = 0; index < q.count; index++) {
      const flag = q.base + index * (q.size + 1);
      if (m[flag] !== 0) objects.push({ pool, index, first: flag + 1, size: q.size });
    }
  });
  if (objects.length === 0) return null;
  const inPool = (a: number): boolean =>
    p.pools.some((q) => a >= q.base && a < q.base + q.count * (q.size + 1));
  const reached = new Uint8Array(objects.length);
  const work: number[] = [];
  const follow = (word: number): void => {
    if (!holdsPointer(k[word] ?? "")) return;
    const v = m[word] as number;
    if (v <= 0) return; // NULL, an error pointer or a function
    const o = objectAt(v > ADDRESS_MASK ? v & ADDRESS_MASK : v);
    if (o >= 0 && reached[o] === 0) {
      reached[o] = 1;
      work.push(o);
    }
  };
  // Roots: every word of a global or a task_struct that holds a pointer (stacks have no kinds
  // in this map, and pool objects are reached only through others).
  for (let a = 0; a < layout.words; a++) if (!inPool(a)) follow(a);
  while (work.length > 0) {
    const o = objects[work.pop() as number] as (typeof objects)[number];
    for (let w = o.first; w < o.first + o.size; w++) follow(w);
  }
  const lost = objects.findIndex((_, i) => reached[i] === 0);
  if (lost < 0) return null;
  const o = objects[lost] as (typeof objects)[number];
  const q = p.pools[o.pool];
  return {
    pool: o.pool,
    index: o.index,
    message: `memory leak: ${q ? showType(q.type) : "an object"} (pool object ${o.index}) is still allocated when every process has exited, and no pointer reaches it`,
  };
}
