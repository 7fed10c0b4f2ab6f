// Reading wait queues out of a state: which queue a sleeping task is on, by the name of its head.
import type { System } from "../checker/system";
import { callerFrames, untag } from "../model/ir";
import { T_FP, T_PC } from "../model/layout";
import { liveFrames } from "../model/objects";
import { sizeOf, type Type } from "../model/types";

/**
 * The name of the global wait-queue head (`struct wait_queue *` in Linux 2.0) whose list holds
 * an entry for the task in `slot`, or null when the task sleeps on no global queue.
 */
export function sleepQueue(sys: System, m: Int32Array, slot: number): string | null {
  const task = sys.layout.procs[slot]?.task;
  if (task === undefined) return null;
  const p = sys.program;
  let found: string | null = null;
  const visit = (name: string, t: Type, addr: number): void => {
    if (found) return;
    if (t.k === "ptr" && t.to.k === "struct" && t.to.name === "wait_queue") {
      // Follow the list from this head; entries are {task, next}.
      // Entries live on stacks: their pointers carry a frame tag above the address (ir.ts).
      let e = untag(m[addr] as number);
      for (let guard = 0; e > 0 && e + 1 < m.length && guard < 1024; guard++) {
        if (m[e] === task) {
          found = name;
          return;
        }
        e = untag(m[e + 1] as number);
      }
      return;
    }
    if (t.k === "struct") {
      for (const f of p.structs.get(t.name)?.fields ?? [])
        visit(`${name}.${f.name}`, f.type, addr + f.offset);
    } else if (t.k === "array") {
      const es = sizeOf(t.of, p.structs);
      for (let i = 0; i < t.n; i++) visit(`${name}[${i}]`, t.of, addr + i * es);
    }
  };
  for (const g of p.globals) visit(g.name, g.type, g.offset);
  // Pool objects are among the globals; a queue head may also live on a task's stack.
  const callerSize = callerFrames(p).frameSize;
  for (const s of sys.layout.slots) {
    if (found) break;
    for (const f of liveFrames(p, m, m[s.base + T_PC] as number, m[s.base + T_FP] as number, callerSize)) {
      const unit = p.units[f.unit];
      for (const v of [...(unit?.params ?? []), ...(unit?.locals ?? [])])
        visit(`${s.label}:${unit?.name}.${v.name}`, v.type, f.fp + v.offset);
    }
  }
  return found;
}
