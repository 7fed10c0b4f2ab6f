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
import { type KindMap, kindMap, poolHolding } from "../model/objects";
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
  // Allocated objects by the address of their flag word; reached ones are marked.
  const reached = new Map<number, boolean>();
  p.pools.forEach((q) => {
    for (let i = 0; i < q.count; i++) {
      const flag = q.base + i * (q.size + 1);
      if (m[flag] !== 0) reached.set(flag, false);
    }
  });
  if (reached.size === 0) return null;
  const work: number[] = [];
  const follow = (word: number): void => {
    if (!holdsPointer(k[word] ?? "")) return;
    const v = m[word] as number;
    if (v <= 0) return; // NULL, an error pointer or a function
    const a = v > ADDRESS_MASK ? v & ADDRESS_MASK : v;
    const q = poolHolding(p, a);
    if (!q) return;
    const flag = a - ((a - q.base) % (q.size + 1));
    if (flag !== a && reached.get(flag) === false) {
      reached.set(flag, true);
      work.push(flag);
    }
  };
  // Roots: every word of a global or a task_struct that holds a pointer (stacks have no kinds
  // in this map, and pool objects are reached only through others).
  for (let a = 0; a < layout.words; a++) if (!poolHolding(p, a)) follow(a);
  while (work.length > 0) {
    const flag = work.pop() as number;
    const size = (poolHolding(p, flag) as Lowered["pools"][number]).size;
    for (let w = flag + 1; w <= flag + size; w++) follow(w);
  }
  for (const [flag, seen] of reached) {
    if (seen) continue;
    const q = poolHolding(p, flag) as Lowered["pools"][number];
    const pool = p.pools.indexOf(q);
    const index = (flag - q.base) / (q.size + 1);
    return {
      pool,
      index,
      message: `memory leak: ${showType(q.type)} (pool object ${index}) is still allocated when every process has exited, and no pointer reaches it`,
    };
  }
  return null;
}
