// Rebuilds a counterexample from its choices by replay: per step the process, the statements it
// ran, and the memory words it changed, named. Plain data for reports/; no formatting here.
import type { Span } from "../model/ast";
import { ADDRESS_MASK, type Operand as IrOperand, type Lowered, STACK_TAG_SHIFT, untag } from "../model/ir";
import { type MemoryNames, nameMemory, type Slot, T_PC } from "../model/layout";
import { formatNonData } from "../model/objectBounds";
import type { SourceSet } from "../model/source";
import { sleepQueue } from "../properties/waitQueues";
import { frameVariable, poppedFrames } from "./frames";
import { interpretValue } from "./interpret";
import type { Choice, StepFault, System } from "./system";

/** A source position, resolved for display. */
export interface Where {
  file: string;
  line: number;
  col: number;
  /** The source line, trimmed. */
  text: string;
  /** The statement touches memory other processes see (set on a step's statements only). */
  shared?: boolean;
}

export interface Change {
  name: string;
  from: string;
  to: string;
}

export interface TraceStep {
  /** 1-based step number. */
  n: number;
  /** The choice index taken at the state before this step. */
  choice: number;
  slot: number;
  process: string;
  kind: "process" | "interrupt";
  /** Values the step's choose() calls got. */
  values: number[];
  /** The statements the step ran, in order (a step may pass through several). */
  statements: Where[];
  /** The functions whose statements the step ran, in the order first entered (`wake_up`, ...). */
  entered: string[];
  changes: Change[];
  fault: (StepFault & { where: Where | null; operands?: Operand[] }) | null;
}

/** A variable a failed assert or violated property reads, with its value there (`a = 3`). */
export interface Operand {
  name: string;
  value: string;
}

export interface Trace {
  steps: TraceStep[];
  /** Named globals and task states at the end of the trace. */
  finalState: Change[];
  /** Task states (running, asleep on X, exited) at the end. */
  tasks: Array<{ process: string; status: string }>;
  /** The values of the variables the violated invariant or final property reads, at the end. */
  operands?: Operand[];
}

/** Thrown when a list of choices does not fit the program (an edited spec, a corrupt trace). */
export class ReplayError extends Error {}

const TASK_STATE_NAMES: Record<number, string> = {
  0: "TASK_RUNNING",
  1: "TASK_INTERRUPTIBLE",
  2: "TASK_UNINTERRUPTIBLE",
  3: "TASK_ZOMBIE",
  // include/linux/sched.h (modern): TASK_WAKEKILL (256) with a sleep, and a stop (__TASK_STOPPED 4).
  4: "__TASK_STOPPED",
  258: "TASK_KILLABLE",
  260: "TASK_STOPPED",
};

/** Resolves a span to file, line, column and the line's text. */
export function where(sources: SourceSet, span: Span | null): Where | null {
  if (!span || span.file < 0 || span.file >= sources.files.length) return null;
  const { line, col } = sources.position(span.file, span.start);
  return { file: sources.file(span.file).name, line, col, text: sources.lineText(span.file, line).trim() };
}

/** Words of the machine that a reader does not need to see change (registers, temporaries). */
function hidden(name: string): boolean {
  return (
    name === "" ||
    name.endsWith(".pc") ||
    name.endsWith(".fp") ||
    name.endsWith(".atomic") ||
    name.includes(".<frame") ||
    /\.stack\[\d+\]$/.test(name)
  );
}

/**
 * Replays `choices` from the initial state and describes every step. With `expected`
 * choices (the slot and choose values recorded in a saved trace) each step is checked to be
 * the same choice, so a trace from an edited spec is refused rather than misread.
 */
export function buildTrace(
  sys: System,
  sources: SourceSet,
  choices: number[],
  expected?: Choice[],
  /** The violated property, when it is one the spec declares: its operands are shown. */
  property?: string,
): { trace: Trace; last: Int32Array } {
  let m = sys.initial();
  const steps: TraceStep[] = [];
  const p = sys.program;
  // For each stack word, the last step that popped the frame variable it belonged to (or left
  // it when its task exited): a use after return names that variable and step.
  const popped: Popped = new Map();
  for (let i = 0; i < choices.length; i++) {
    const idx = choices[i] as number;
    const options = sys.choices(m);
    const opt = options[idx];
    if (!opt)
      throw new ReplayError(
        `step ${i + 1}: the state has ${options.length} choices, the trace takes choice ${idx}`,
      );
    const exp = expected?.[i];
    if (exp && (exp.slot !== opt.choice.slot || exp.values.join(",") !== opt.choice.values.join(",")))
      throw new ReplayError(
        `step ${i + 1}: the trace says ${sys.layout.slots[exp.slot]?.label ?? `slot ${exp.slot}`} steps, but choice ${idx} of this spec is ${sys.layout.slots[opt.choice.slot]?.label}: the spec changed since the trace was saved`,
      );
    const r = sys.replayChoice(m, opt.choice);
    const slot = sys.layout.slots[opt.choice.slot];
    const before = nameMemory(p, sys.layout, m);
    const after = nameMemory(p, sys.layout, r.next);
    const changes: Change[] = [];
    if (!r.fault && slot) {
      const exited = r.next[slot.base + T_PC] === 0;
      for (const f of poppedFrames(p, slot, m, r.next, r.trail)) {
        const size = p.units[f.unit]?.frameSize ?? 0;
        for (let a = f.fp; a < f.fp + size; a++) {
          const name = frameVariable(p, slot, f, a);
          if (name) popped.set(a, { name, fn: p.units[f.unit]?.name ?? "?", step: i + 1, exited });
        }
      }
    }
    if (!r.fault) {
      for (let a = 0; a < m.length; a++) {
        if (m[a] === r.next[a]) continue;
        // A word whose name changed belongs to a frame pushed or popped in this step: a
        // parameter or local coming into or out of existence, not a change of a variable.
        if (before.names[a] !== after.names[a]) continue;
        const name = after.names[a] ?? "";
        if (hidden(name)) continue;
        const ptr = after.pointer[a];
        const isState = name.endsWith(".state");
        changes.push(
          a === p.cpuWord
            ? { name, from: cpuHolder(sys, m[a] as number), to: cpuHolder(sys, r.next[a] as number) }
            : {
                name,
                from: formatValue(asStored(m[a] as number, after, a), ptr === 1, isState, before.objects, p),
                to: formatValue(
                  asStored(r.next[a] as number, after, a),
                  ptr === 1,
                  isState,
                  after.objects,
                  p,
                ),
              },
        );
      }
    }
    const statements: Where[] = [];
    for (const pc of r.trail) {
      const w = where(sources, p.sites[p.code[pc]?.at ?? -1]?.span ?? null);
      if (w) statements.push(p.info[pc]?.visible ? { ...w, shared: true } : w);
    }
    steps.push({
      n: i + 1,
      choice: idx,
      slot: opt.choice.slot,
      process: slot?.label ?? `slot ${opt.choice.slot}`,
      kind: slot?.kind === "interrupt" ? "interrupt" : "process", // init is never a step of a trace
      values: opt.choice.values,
      statements,
      entered: enteredFunctions(p, r.trail),
      changes,
      fault: r.fault
        ? {
            // The address only serves explainFault: a trace names places, not word numbers.
            kind: r.fault.kind,
            pc: r.fault.pc,
            span: r.fault.span,
            message: explainFault(r.fault, popped),
            where: where(sources, r.fault.span ?? p.sites[p.code[r.fault.pc]?.at ?? -1]?.span ?? null),
            ...assertOperands(sys, sources, r.next, r.fault, slot),
          }
        : null,
    });
    if (r.fault) break;
    m = r.next;
  }
  const prop = p.properties.find((x) => x.name === property);
  const trace: Trace = { steps, finalState: describeState(sys, m), tasks: describeTasks(sys, sources, m) };
  if (prop?.shown?.length && !steps[steps.length - 1]?.fault)
    trace.operands = operandValues(sys, sources, m, prop.shown, { fp: 0, cur: 0, self: 0 });
  return { trace, last: m };
}

/** A failed assert's operands, read at the fault in the frame that ran it. */
function assertOperands(
  sys: System,
  sources: SourceSet,
  m: Int32Array,
  f: StepFault,
  slot: Slot | undefined,
): { operands?: Operand[] } {
  const ins = sys.program.code[f.pc];
  if (f.kind !== "assertion" || ins?.k !== "assert" || !ins.shown?.length || f.fp === undefined || !slot)
    return {};
  return {
    operands: operandValues(sys, sources, m, ins.shown, { fp: f.fp, cur: slot.task, self: slot.self }),
  };
}

/** Each operand by its source text, once, with its value (those that fault to read are left out). */
function operandValues(
  sys: System,
  sources: SourceSet,
  m: Int32Array,
  shown: readonly IrOperand[],
  regs: { fp: number; cur: number; self: number },
): Operand[] {
  const mem = nameMemory(sys.program, sys.layout, m);
  const out: Operand[] = [];
  for (const o of shown) {
    const f = sources.files[o.span.file];
    if (!f) continue;
    const name = f.text.slice(o.span.start, o.span.end).replace(/\s+/g, " ");
    if (out.some((x) => x.name === name)) continue;
    const v = interpretValue(sys.program, m, o.e, regs);
    if (v === null) continue;
    const isState = /(->|\.)state$/.test(name);
    out.push({ name, value: formatValue(v, o.pointer, isState, mem.objects, sys.program) });
  }
  return out;
}

/** Names of the functions whose statements a trail of boundary pcs passes through, first entry first. */
function enteredFunctions(p: Lowered, trail: number[]): string[] {
  const out: string[] = [];
  for (const pc of trail) {
    const u = p.units[p.info[pc]?.unit ?? -1];
    if (u?.kind === "function" && !out.includes(u.name)) out.push(u.name);
  }
  return out;
}

/** Stack words whose variable a step ended: its name, its function, the step, and whether by exit. */
type Popped = Map<number, { name: string; fn: string; step: number; exited: boolean }>;

/** A use after return names the variable the word belonged to and the step that popped its frame. */
function explainFault(f: StepFault, popped: Popped): string {
  if (f.kind !== "use_after_return" || f.address === undefined) return f.message;
  const pop = popped.get(f.address);
  if (!pop) return f.message;
  return pop.exited
    ? `${f.message} (it was ${pop.name}, gone since ${pop.fn} ended at step ${pop.step} and its task exited)`
    : `${f.message} (it was ${pop.name}; ${pop.fn} returned at step ${pop.step})`;
}

/** The C value of word `a`: an unsigned int's bit pattern read as 0 .. 4294967295 (model/ctypes.ts). */
function asStored(v: number, mem: MemoryNames, a: number): number {
  return mem.unsigned[a] === 1 ? v >>> 0 : v;
}

function formatValue(
  v: number,
  pointer: boolean,
  taskState: boolean,
  objects: Map<number, string>,
  p?: Lowered,
): string {
  if (pointer) {
    if (v === 0) return "NULL";
    // A function pointer by its function's name, an error pointer as ERR_PTR(-errno).
    if (v < 0 && p) return formatNonData(p, v);
    // A stack pointer's tag names the function of its frame (ir.ts): when the object now at its
    // address is in another function's frame, the pointer is stale and says so.
    const at = untag(v);
    const o = objects.get(at);
    const fn =
      v > ADDRESS_MASK ? p?.units[p.stackTagUnits[(v >>> STACK_TAG_SHIFT) - 1] ?? -1]?.name : undefined;
    if (fn !== undefined && !(o ?? "").includes(`:${fn}.`)) return `@${at} (in a returned frame of ${fn})`;
    return o ? `&${o}` : `@${at}`;
  }
  if (taskState) return TASK_STATE_NAMES[v] ?? String(v);
  return String(v);
}

/** The up model's CPU word as a trace shows it: the holding task, or "free" (schedule.ts). */
function cpuHolder(sys: System, v: number): string {
  if (v === 0) return "free";
  return sys.layout.procs.find((s) => s.base === v)?.label ?? `@${v}`;
}

/** The globals of a state, named, for the end of a trace. */
export function describeState(sys: System, m: Int32Array): Change[] {
  const mem = nameMemory(sys.program, sys.layout, m);
  const out: Change[] = [];
  for (let a = 1; a < sys.program.globalWords; a++) {
    const name = mem.names[a];
    if (!name) continue;
    out.push({
      name,
      from: "",
      to:
        a === sys.program.cpuWord
          ? cpuHolder(sys, m[a] as number)
          : formatValue(
              asStored(m[a] as number, mem, a),
              mem.pointer[a] === 1,
              false,
              mem.objects,
              sys.program,
            ),
    });
  }
  return out;
}

/** Each process: where it is, and whether it is asleep (on which queue), or has exited. */
export function describeTasks(
  sys: System,
  sources: SourceSet,
  m: Int32Array,
): Array<{ process: string; status: string }> {
  return sys.layout.procs.map((s, i) => {
    const pc = m[s.base + T_PC] as number;
    if (pc === 0) return { process: s.label, status: "exited" };
    const w = where(sources, sys.program.sites[sys.program.code[pc]?.at ?? -1]?.span ?? null);
    const at = w ? ` at ${w.file}:${w.line} ${w.text}` : "";
    if (sys.asleep(m, i)) {
      const q = sleepQueue(sys, m, i);
      const v = m[s.task + sys.program.task.state] as number;
      const st = TASK_STATE_NAMES[v] ?? String(v);
      return { process: s.label, status: `asleep${q ? ` on ${q}` : ""} (${st})${at}` };
    }
    return { process: s.label, status: at ? at.slice(1) : "running" };
  });
}
