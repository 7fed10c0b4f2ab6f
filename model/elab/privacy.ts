// Which visible statement groups may turn out, when they run, to touch only objects that no other
// task can reach yet: `init_wait(&wait)` on a fresh stack entry, the fields of an object just
// taken from kmalloc. Such a group commutes with every other task's steps (nobody else can
// read or write those words until this task publishes a pointer to them, which is a visible
// step of its own), and no property reads them (a property reads globals, and through them
// only published objects; a body local a property names, and what it points into, counts as
// published: Lowered.observed), so it may merge into the step like a group of private locals.
//
// Statically we only find the candidates and the addresses they touch; whether each address is
// private is decided when the group is about to run (checker/compile.ts and checker/interpret.ts,
// see model/objects.ts publishedInto). The addresses are evaluated before the group runs, so an
// address may only depend on things the group cannot change first: constants, the frame
// pointer, `current`, `self`, and private locals (and temporaries) that no instruction of the
// group stores to. A group with any other kind of visible effect (await, atomic, a kernel
// primitive, kmalloc, choose, an address read through shared memory) is never a candidate.
import type { IExpr, Instr, InstrInfo } from "../ir";
import { successors } from "./util";

/** The group's instructions: those reachable from boundary `start` without crossing another boundary. */
export function groupOf(code: Instr[], info: InstrInfo[], start: number): number[] {
  const seen = new Set<number>();
  const stack = [start];
  while (stack.length > 0) {
    const j = stack.pop() as number;
    if (seen.has(j)) continue;
    seen.add(j);
    for (const s of successors(code[j] as Instr, j)) {
      if (s >= 0 && s < code.length && !(info[s] as InstrInfo).boundary) stack.push(s);
    }
  }
  return [...seen].sort((a, b) => a - b);
}

/**
 * The addresses through which the group at boundary `start` touches memory other tasks might
 * see, each evaluable before the group runs; null when the group is not a candidate.
 */
export function privateCandidates(code: Instr[], info: InstrInfo[], start: number): IExpr[] | null {
  const group = groupOf(code, info, start);
  const addrs: IExpr[] = [];
  // Frame offsets the group writes (locals, temporaries, call results): an address that reads
  // one of them would see a value the group changed, so it cannot be evaluated up front.
  const written = new Set<number>();
  let writesUnknown = false;
  const readsLocals: number[] = [];
  let ok = true;

  /** Collects the shared accesses of a value expression; false if one cannot be pre-evaluated. */
  const value = (e: IExpr): void => {
    if (!ok) return;
    switch (e.k) {
      case "const":
      case "fp":
      case "self":
      case "current":
        return;
      case "take":
        return;
      case "load":
        if (e.local)
          value(e.addr); // an index may read shared memory
        else address(e.addr);
        return;
      case "layout":
        // The check reads the object the pointer points into.
        address(e.e);
        return;
      case "ptr":
      case "index":
      case "un":
      case "bool":
      case "char":
      case "wrap":
        value(e.e);
        return;
      case "bin":
        value(e.l);
        value(e.r);
        return;
      case "cond":
        value(e.c);
        value(e.t);
        value(e.f);
        return;
      case "padd":
      case "pdiff":
      case "pcmp":
        // The check reads the frames and pool flags that tell the object a pointer is in,
        // anywhere in memory: never a group of private accesses.
        ok = false;
        return;
      case "p2i":
      case "i2p":
      case "callee":
        value(e.e);
        return;
      default:
        // A new kind of expression must say here whether it reads shared memory.
        throw new Error(`internal error: privacy does not know ${(e satisfies never as IExpr).k}`);
    }
  };

  /** Records an address the group reads or writes through; it must be evaluable up front. */
  const address = (a: IExpr): void => {
    if (!ok) return;
    if (!evaluable(a, readsLocals)) {
      ok = false;
      return;
    }
    addrs.push(a);
  };

  const localStore = (a: IExpr): void => {
    const off = exactLocal(a);
    if (off === null) writesUnknown = true;
    else written.add(off);
  };

  for (const i of group) {
    const ins = code[i] as Instr;
    switch (ins.k) {
      case "store":
        value(ins.value);
        if (ins.escapes === true || !isPlainLocal(ins.addr)) {
          address(ins.addr);
          if (ins.escapes === true) localStore(ins.addr);
        } else {
          value(ins.addr);
          localStore(ins.addr);
        }
        break;
      case "branch":
      case "assert":
        value(ins.cond);
        break;
      case "switch":
        value(ins.value);
        break;
      case "call":
        for (const a of ins.args) value(a);
        if (ins.destOff !== null) for (let w = 0; w < (ins.destWords ?? 1); w++) written.add(ins.destOff + w);
        break;
      case "ret":
        for (const v of ins.values) value(v);
        break;
      case "jump":
      case "exit":
        break;
      default:
        return null;
    }
    if (!ok) return null;
  }
  if (addrs.length === 0) return null; // not visible through memory at all
  if (writesUnknown && readsLocals.length > 0) return null;
  if (readsLocals.some((off) => written.has(off))) return null;
  return addrs;
}

/** The frame offset of an address that is the frame pointer plus a constant; null for any other. */
function exactLocal(a: IExpr): number | null {
  if (a.k === "fp") return 0;
  if (a.k === "bin" && a.op === "+" && a.l.k === "fp" && a.r.k === "const") return a.r.v;
  return null;
}

/** An address in the running frame: the frame pointer plus constants and indices. */
function isPlainLocal(a: IExpr): boolean {
  if (a.k === "fp") return true;
  return a.k === "bin" && a.op === "+" && isPlainLocal(a.l);
}

/**
 * Whether an address can be computed before the group runs with the value it will have when
 * used: integer arithmetic that cannot fail (+, -, *) over constants, the frame pointer and
 * private locals, and the checks (`ptr`, `index`, `layout`) that yield their operand. Locals
 * it reads are added to `reads`, so the caller can refuse a group that writes them first.
 */
function evaluable(a: IExpr, reads: number[]): boolean {
  switch (a.k) {
    case "const":
    case "fp":
    case "self":
    case "current":
      return true;
    case "take":
      reads.push(a.off);
      return true;
    case "load": {
      // Only a whole private local at a fixed place: its value is known before the group runs.
      const off = exactLocal(a.addr);
      if (!a.local || off === null) return false;
      reads.push(off);
      return true;
    }
    case "ptr":
    case "index":
    case "layout":
      return evaluable(a.e, reads);
    case "un":
      return a.op === "-" && evaluable(a.e, reads);
    case "bin":
      return (a.op === "+" || a.op === "-" || a.op === "*") && evaluable(a.l, reads) && evaluable(a.r, reads);
    default:
      return false;
  }
}
