// Plain-text rendering of outcomes and counterexamples, read top to bottom by a person.
import type { Outcome, PropertyResult, Stats } from "../checker/outcome";
import type { Operand, Trace, TraceStep } from "../checker/trace";
import type { ExecModel } from "../model/ir";
import { printable } from "../model/source";

/** Everything the text report needs besides the outcome: names and traces already replayed. */
export interface ReportInput {
  spec: string;
  /** Prelude functions the spec replaced with its own, one line each (see Lowered.replaced). */
  replaced?: string[];
  defines: ReadonlyMap<string, number>;
  outcome: Outcome;
  /** The replayed counterexample of the first violated property, if any. */
  trace: { property: PropertyResult; trace: Trace } | null;
  /** How to get and replay this counterexample (a command line). */
  replayHint: string | null;
  /** The search was breadth-first, so the counterexample is a shortest one. */
  shortest: boolean;
  /** Lay the counterexample out with one column per process. */
  columns?: boolean;
  /** Whether the verdict matched the spec's `expect`, when it has one. */
  /** `missed`: decided as not met although some other property was left undecided. */
  expectation: { text: string; met: boolean; missed?: boolean } | null;
  /** Print every step of a long counterexample instead of its start and end (STEPS_SHOWN). */
  fullTrace?: boolean;
  /** False when the run skipped the stuck-waiter check (`--no-stuck-waiters`); default true. */
  stuckWaiters?: boolean;
  /** The execution model of the run; default smp. */
  model?: ExecModel;
}

/** How a report names an execution model (`model uniprocessor;` in a spec, `--model up`). */
export const MODEL_WORD: Record<ExecModel, string> = { smp: "smp", up: "uniprocessor" };

/** What a model means, in one line of the report. */
const MODEL_MEANING: Record<ExecModel, string> = {
  smp: "any runnable task may take the next step",
  up: "a task in the kernel keeps the CPU until it sleeps or returns to user space; only interrupts run meanwhile",
};

/** Why `stuck_waiter` has no verdict when its check was skipped. */
export const STUCK_WAITERS_SKIPPED = "stuck waiters were not checked (--no-stuck-waiters)";

/**
 * Why an outcome is inconclusive, or null when it is not: the limit that ended the search, or,
 * when the search was complete, the check that was not run. Only a run's options tell the two
 * apart (a search stopped at a violation also leaves properties undecided, with no limit).
 */
export function inconclusiveReason(o: Outcome, stuckWaiters = true): string | null {
  if (o.verdict !== "inconclusive") return null;
  if (o.limit) return `the search stopped at ${o.limit} before it was complete`;
  if (!stuckWaiters && o.properties.some((p) => p.kind === "stuck_waiter" && p.status === "inconclusive"))
    return `${STUCK_WAITERS_SKIPPED}; every other property holds`;
  if (o.properties.some((p) => p.kind === "final" && p.status === "inconclusive"))
    return "no run ends with every process exited, so no final property was checked: some process loops or waits for ever";
  return "the search did not decide every property";
}

/**
 * A counterexample longer than `head + tail` steps is printed as its first `head` and last
 * `tail` steps (a depth-first one can run to 100,000 steps); the JSON keeps every step.
 */
export const STEPS_SHOWN = { head: 100, tail: 400 } as const;

/** The largest of `xs` and `floor`, without spreading (a spread of 100,000 values overflows the stack). */
function maxOf(xs: Iterable<number>, floor: number): number {
  let m = floor;
  for (const x of xs) if (x > m) m = x;
  return m;
}

/** The steps to print: all, or the start and end with the count of those left out between. */
function shownSteps(trace: Trace, full: boolean): { head: TraceStep[]; omitted: number; tail: TraceStep[] } {
  const n = trace.steps.length;
  if (full || n <= STEPS_SHOWN.head + STEPS_SHOWN.tail) return { head: trace.steps, omitted: 0, tail: [] };
  return {
    head: trace.steps.slice(0, STEPS_SHOWN.head),
    omitted: n - STEPS_SHOWN.head - STEPS_SHOWN.tail,
    tail: trace.steps.slice(n - STEPS_SHOWN.tail),
  };
}

function omittedLine(omitted: number): string {
  return `      … ${num(omitted)} steps not shown (--full-trace prints every step; --json FILE saves them all) …`;
}

const fmt = new Intl.NumberFormat("en-US");

export function num(n: number): string {
  return fmt.format(Math.round(n));
}

/** `12.3 MiB`, `540 B`. */
export function bytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** One line of search figures. */
export function renderStats(s: Stats): string {
  const perState = s.states > 0 ? s.bytes / s.states : 0;
  return `${num(s.states)} states, ${num(s.transitions)} transitions, depth ${s.depth}, ${s.seconds.toFixed(2)} s (${num(s.statesPerSecond)} states/s), ${bytes(perState)}/state for ${s.stateWords * 4} B states, peak memory ${bytes(s.peakRss)}`;
}

/** `down-up.kc:52`: the file's base name keeps the column narrow; the header names the spec. */
function loc(w: { file: string; line: number }): string {
  return `${printable(w.file.slice(w.file.lastIndexOf("/") + 1))}:${w.line}`;
}

function renderStep(st: TraceStep, width: number, locWidth: number): string[] {
  const lines: string[] = [];
  const head = `${String(st.n).padStart(4)}  ${st.process.padEnd(width)}  `;
  const pad = " ".repeat(head.length);
  const first = st.statements[0];
  const at = first ? loc(first) : "";
  const choose = st.values.length > 0 ? `   [choose → ${st.values.join(", ")}]` : "";
  lines.push(
    `${head}${at.padEnd(locWidth)} ${printable(first?.text ?? "")}${st.kind === "interrupt" ? "   (interrupt)" : ""}${choose}`,
  );
  // Further statements of the same step (calls, atomic blocks), without repeating a line.
  const seen = new Set<string>([`${first?.file}:${first?.line}`]);
  let shown = 0;
  for (const w of st.statements.slice(1)) {
    const key = `${w.file}:${w.line}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (shown === 4) {
      lines.push(`${pad}${"".padEnd(locWidth)} …`);
      break;
    }
    lines.push(`${pad}${loc(w).padEnd(locWidth)} ${printable(w.text)}`);
    shown++;
  }
  for (const c of st.changes) lines.push(`${pad}  ${c.name}: ${c.from} → ${c.to}`);
  if (st.fault) {
    const w = st.fault.where;
    lines.push(
      `${pad}  ✗ ${printable(st.fault.message)}${w ? ` at ${printable(w.file)}:${w.line}:${w.col}` : ""}`,
    );
  }
  return lines;
}

/** Cuts a string to `w` characters, marking the cut with an ellipsis. */
function fitCell(text: string, w: number): string {
  return text.length <= w ? text.padEnd(w) : `${text.slice(0, Math.max(0, w - 1))}…`;
}

/**
 * The same counterexample with one column per process (DESIGN.md's text form): each step
 * writes its first statement and the memory it changed in the column of the process that ran
 * it, so who did what when reads across and down. `width` is the whole line's width.
 */
export function renderTraceColumns(trace: Trace, width = 132, full = false): string {
  const names: string[] = [];
  for (const st of trace.steps) if (!names.includes(st.process)) names.push(st.process);
  for (const t of trace.tasks) if (!names.includes(t.process)) names.push(t.process);
  const col = Math.max(24, Math.floor((width - 6) / Math.max(1, names.length)) - 3);
  const row = (n: string, cells: Map<number, string>) =>
    `${n.padStart(4)}  ${names.map((_, i) => fitCell(cells.get(i) ?? "", col)).join(" | ")}`.trimEnd();
  const out: string[] = [row("step", new Map(names.map((nm, i) => [i, nm])))];
  out.push(`${"".padStart(4)}  ${names.map(() => "-".repeat(col)).join("-+-")}`);
  const shown = shownSteps(trace, full);
  const put = (st: TraceStep): void => {
    const c = names.indexOf(st.process);
    // The statement that makes the step matter to others, rather than a loop header before it.
    const first = st.statements.find((w) => w.shared) ?? st.statements[0];
    const lines = [
      `${first ? `${loc(first)} ${printable(first.text)}` : ""}${st.values.length ? ` [choose → ${st.values.join(", ")}]` : ""}`,
    ];
    for (const ch of st.changes) lines.push(`  ${ch.name}: ${ch.from} → ${ch.to}`);
    if (st.fault) lines.push(`  ✗ ${printable(st.fault.message)}`);
    lines.forEach((text, k) => {
      out.push(row(k === 0 ? String(st.n) : "", new Map([[c, text]])));
    });
  };
  for (const st of shown.head) put(st);
  if (shown.omitted > 0) out.push(omittedLine(shown.omitted));
  for (const st of shown.tail) put(st);
  out.push("", "at the end:");
  for (const t of trace.tasks) out.push(`  ${t.process}  ${printable(t.status)}`);
  const globals = trace.finalState.map((c) => `${c.name} = ${c.to}`);
  if (globals.length > 0) out.push(`  ${wrap(globals.join(", "), 96, "  ")}`);
  return printable(out.join("\n"), true);
}

/**
 * A counterexample, step by step, then the end state. A long one shows its first and last
 * steps (STEPS_SHOWN) unless `full`.
 */
export function renderTrace(trace: Trace, full = false): string {
  const shown = shownSteps(trace, full);
  const steps = [...shown.head, ...shown.tail];
  const width = maxOf(
    steps.map((s) => s.process.length),
    7,
  );
  let locWidth = 5;
  for (const s of steps)
    locWidth = maxOf(
      s.statements.map((w) => loc(w).length),
      locWidth,
    );
  const out: string[] = [
    `${"step".padStart(4)}  ${"process".padEnd(width)}  ${"where".padEnd(locWidth)} statement / memory changed`,
  ];
  const put = (st: TraceStep): void => {
    for (const line of renderStep(st, width, locWidth)) out.push(line);
  };
  for (const st of shown.head) put(st);
  if (shown.omitted > 0) out.push(omittedLine(shown.omitted));
  for (const st of shown.tail) put(st);
  out.push("", "at the end:");
  for (const t of trace.tasks) out.push(`  ${t.process.padEnd(width)}  ${printable(t.status)}`);
  const globals = trace.finalState.map((c) => `${c.name} = ${c.to}`);
  if (globals.length > 0) out.push(`  ${wrap(globals.join(", "), 96, "  ")}`);
  return printable(out.join("\n"), true);
}

function wrap(text: string, width: number, indent: string): string {
  const words = text.split(" ");
  const lines: string[] = [];
  let line = "";
  for (const w of words) {
    if (line.length + w.length + 1 > width && line.length > 0) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.join(`\n${indent}`);
}

function statusWord(p: PropertyResult, stuckWaiters: boolean): string {
  if (p.status === "inconclusive" && p.kind === "stuck_waiter" && !stuckWaiters)
    return "not checked (--no-stuck-waiters)";
  return p.status === "holds" ? "holds" : p.status === "violated" ? "VIOLATED" : "inconclusive";
}

/** The full report of `ipcmc check`. */
export function renderReport(r: ReportInput): string {
  const o = r.outcome;
  const defs = [...r.defines].map(([k, v]) => `${k}=${v}`).join(" ");
  const out: string[] = [];
  const stuckWaiters = r.stuckWaiters !== false;
  const why = inconclusiveReason(o, stuckWaiters);
  const headline =
    o.verdict === "holds"
      ? "every property holds"
      : o.verdict === "violated"
        ? "a property is violated"
        : `inconclusive: ${why}`;
  out.push(`${printable(r.spec)}${defs ? ` (${defs})` : ""}: ${headline}`);
  if (r.trace) {
    const p = r.trace.property;
    const cx = p.counterexample;
    out.push(
      "",
      `${p.kind === p.name ? p.name : `${p.kind} ${p.name}`} violated: ${printable(cx?.message ?? "")}`,
    );
    out.push(
      `counterexample, ${num(r.trace.trace.steps.length)} steps${r.shortest ? " (breadth-first: no shorter one exists)" : ""}:`,
      "",
    );
    const full = r.fullTrace === true;
    out.push(r.columns ? renderTraceColumns(r.trace.trace, 132, full) : renderTrace(r.trace.trace, full));
    out.push("", `what went wrong: ${printable(explain(r.trace.property, r.trace.trace))}`);
    // The hint holds the spec's path: one line, whatever the name holds.
    if (r.replayHint) out.push(`replay: ${printable(r.replayHint)}`);
  }
  const model = r.model ?? "smp";
  out.push("", `model: ${MODEL_WORD[model]} (${MODEL_MEANING[model]})`);
  for (const line of r.replaced ?? []) out.push(`replaced: ${printable(line)}`);
  out.push("", "properties:");
  const w = maxOf(
    o.properties.map((p) => p.name.length),
    0,
  );
  for (const p of o.properties)
    out.push(`  ${p.name.padEnd(w)}  ${p.kind.padEnd(13)} ${statusWord(p, stuckWaiters)}`);
  out.push("", renderStats(o.stats));
  if (r.expectation) {
    // A search cut short by a limit, or a check not run, has not decided what the spec expects.
    const word = r.expectation.met
      ? "met"
      : r.expectation.missed && o.verdict === "inconclusive"
        ? `NOT met (${r.expectation.text.replace(/^violation ?/, "") || "every property"} holds)`
        : o.verdict === "inconclusive"
          ? o.limit
            ? "not decided (the search stopped early)"
            : `not decided: ${inconclusiveReason(o, stuckWaiters) ?? "the search stopped early"}`
          : `NOT met (${o.verdict === "holds" ? "every property holds" : `violated: ${violatedNames(o)}`})`;
    out.push(`expect ${r.expectation.text}: ${word}`);
  }
  return printable(out.join("\n"), true);
}

/** The names of the violated properties, comma-separated. */
export function violatedNames(o: Outcome): string {
  return o.properties
    .filter((p) => p.status === "violated")
    .map((p) => p.name)
    .join(", ");
}

/** What went wrong, in kernel words, from the property and the trace's last step. */
export function explain(p: PropertyResult, trace: Trace): string {
  const cx = p.counterexample;
  const last = trace.steps[trace.steps.length - 1];
  switch (p.kind) {
    case "stuck_waiter": {
      const who = trace.tasks.find((t) => t.status.startsWith("asleep"))?.process;
      return `${cx?.message ?? "a task sleeps forever"}. ${who ? wakeStory(trace, who) : ""}`.trim();
    }
    case "deadlock": {
      const asleep = trace.tasks.filter((t) => t.status.startsWith("asleep")).map((t) => t.process);
      const first = asleep[0];
      return `${cx?.message ?? "no process can take a step"}${asleep.length ? `; ${asleep.join(", ")} ${asleep.length === 1 ? "sleeps" : "sleep"} and nobody is left to wake ${asleep.length === 1 ? "it" : "them"}` : ""}.${first ? ` ${wakeStory(trace, first)}` : ""}`;
    }
    case "invariant":
      return `after step ${trace.steps.length}${last ? ` (${last.process})` : ""}, ${cx?.message ?? "the invariant is false"}${values(trace.operands)}.`;
    case "final":
      return `${cx?.message ?? "a final property is false"}${values(trace.operands)}.`;
    case "memory_leak":
      return `${cx?.message ?? "an object is leaked"}: whoever held the last pointer to it exited (or dropped it) without kfree.`;
    case "reachable":
      return `${cx?.message ?? "the target was never reached"}: the spec's scenario never gets where it claims to, so a green run would prove nothing.`;
    default:
      return `${last?.process ?? "a process"}: ${cx?.message ?? "a run-time error"}${last?.fault?.where ? ` at ${last.fault.where.file}:${last.fault.where.line}` : ""}${values(last?.fault?.operands)}.`;
  }
}

/** `: a = 3, b = 4`, the values a failed check read; nothing when there are none. */
function values(ops: Operand[] | undefined): string {
  return ops?.length ? `: ${ops.map((o) => `${o.name} = ${o.value}`).join(", ")}` : "";
}

/** The prelude's wake-up functions (model/kernel.ts), by name: a step that entered one woke someone up. */
const WAKE_FN = /^wake_up(_interruptible|_process|_all|_interruptible_all)?$/;

/**
 * How a sleeper's wake-up went missing, told from the trace: when it set its state to sleep,
 * when its wait-queue entry was linked in, and which wake-ups ran before and after that.
 */
export function wakeStory(trace: Trace, sleeper: string): string {
  const last = <T>(xs: T[]): T | undefined => xs[xs.length - 1];
  const stateStep = last(
    trace.steps.filter(
      (s) =>
        s.process === sleeper &&
        s.changes.some((c) => c.name === `${sleeper}.state` && /TASK_(UN)?INTERRUPTIBLE/.test(c.to)),
    ),
  );
  if (!stateStep) return "";
  const queueStep = last(trace.steps.filter((s) => s.changes.some((c) => c.to.startsWith(`&${sleeper}:`))));
  const wakes = trace.steps.filter(
    (s) =>
      s.process !== sleeper &&
      (s.entered.some((f) => WAKE_FN.test(f)) ||
        s.changes.some((c) => c.name.endsWith(".state") && c.to === "TASK_RUNNING")),
  );
  const ready = Math.max(stateStep.n, queueStep?.n ?? 0);
  const at = (s: TraceStep) => `step ${s.n} (${s.process})`;
  const after = wakes.filter((s) => s.n > ready);
  if (after.length > 0) {
    const w = last(after) as TraceStep;
    return `A wake-up ran at ${at(w)}, after ${sleeper} was ready to sleep (step ${ready}), yet it is asleep at the end: it was woken and went back to sleep, and no later wake-up comes.`;
  }
  const w = last(wakes.filter((s) => s.n < ready));
  if (!w) return `${sleeper} got ready to sleep at step ${ready}, and no step calls a wake-up after it.`;
  const missing =
    queueStep && w.n < queueStep.n
      ? `before ${sleeper} had queued itself (step ${queueStep.n})`
      : `before ${sleeper} set its state to sleep (step ${stateStep.n})`;
  return `The last wake-up ran at ${at(w)}, ${missing}: it had nobody to wake, and none runs after — a lost wake-up.`;
}
