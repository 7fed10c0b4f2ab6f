// `ipcmc replay`: reruns a counterexample saved with --json against the spec it was made from and
// decides the property afresh on the replayed path. A trace file is input from anyone: it is
// size-capped, checked field by field (reports/json.ts), and only checked integers leave it.

import { createHash } from "node:crypto";
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { formatDiagnostic } from "../model/diagnostics";
import type { ExecModel } from "../model/ir";
import { type LoadResult, loadProgram } from "../model/load";
import type { SourceSet } from "../model/source";
import { printable } from "../model/source";
import { type JsonReport, type TraceOrigin, validateJson } from "../reports/json";
import { MODEL_WORD, renderTrace } from "../reports/text";
import { InitError } from "./init";
import { findLeak } from "./leaks";
import { DEFAULT_OPTIONS } from "./options";
import { MAX_CHOICE, StateStore } from "./stateStore";
import { COUNT_MASK, EXPAND_PRUNED, System } from "./system";
import { buildTrace, ReplayError } from "./trace";

/** A file name or other text from input, for a one-line message: a newline in it is escaped too. */
function shown(name: string): string {
  return printable(name);
}

/** Writes replay's report; anything from input in it (paths, spec text) is made safe for a terminal. */
function out(text: string): void {
  process.stdout.write(printable(text, true));
}

/**
 * Exit codes of `ipcmc replay`, the numbers `check` uses (DESIGN.md): 1 the violation is
 * reproduced (it is real on this spec); 2 it is not, or the trace, the spec or the command line
 * is wrong; 3 the property could not be decided within the limits (a stuck waiter's search from
 * the final state). A replay never exits 0: it has no "every property holds" to report.
 */
export const REPLAY_REPRODUCED = 1;
export const REPLAY_NOT_REPRODUCED = 2;
export const REPLAY_INCONCLUSIVE = 3;

/** Largest trace file read (checked before it is parsed). */
export const MAX_TRACE_BYTES = 64 * 1024 * 1024;

/** A trace or spec that cannot be replayed: one line on stderr, exit 2. */
export class ReplayInputError extends Error {}

export interface ReplayOptions {
  /** Which property's counterexample; default the first that has one. */
  property?: string;
  /** Replay on a spec whose hash differs from the trace's (the property is decided afresh anyway). */
  force?: boolean;
  /** Limit of the search for a wake-up from a stuck waiter's final state. */
  maxStates?: number;
  /**
   * `-I` directories for the spec's includes. Given on the command line, never taken from the
   * trace: they widen what a spec may read (model/load.ts), and a trace is not trusted to.
   */
  includeDirs?: string[];
  /** `--model`: must name the trace's own model (refused otherwise). */
  model?: ExecModel;
}

/** The model a trace was made in; traces from before the field existed are smp. */
function traceModel(report: JsonReport): ExecModel {
  return report.model ?? "smp";
}

// ---------------------------------------------------------------- the spec's identity

/**
 * The content hash of a loaded spec: every source text in load order (prelude, main file,
 * includes), the defines, and the flags that change what a step is. File names are left out,
 * so a spec and its trace can move to another directory together.
 */
export function specHash(
  sources: SourceSet,
  defines: Record<string, number> | ReadonlyMap<string, number>,
  fine: boolean,
  model: ExecModel = "smp",
): string {
  const pairs = (defines instanceof Map ? [...defines] : Object.entries(defines)).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const canonical = JSON.stringify({
    format: "ipcmc-spec/1",
    sources: sources.files.map((f) => f.text),
    defines: pairs,
    fine,
    // Only the up model is named, so that the hashes of traces made before it stay valid.
    ...(model === "up" ? { model } : {}),
  });
  return `sha256:${createHash("sha256").update(canonical).digest("hex")}`;
}

/** What a trace written to `json` records about the spec it was made from. */
export function traceOrigin(
  loaded: { sources: SourceSet; program: { model: ExecModel } },
  run: {
    spec: string;
    json: string;
    defines: Record<string, number> | ReadonlyMap<string, number>;
    includeDirs: string[];
    fine: boolean;
  },
): TraceOrigin {
  const defines = run.defines instanceof Map ? Object.fromEntries(run.defines) : { ...run.defines };
  return {
    spec: run.spec,
    specFromTrace: relative(dirname(resolve(run.json)), resolve(run.spec)),
    specHash: specHash(loaded.sources, run.defines, run.fine, loaded.program.model),
    defines,
    fine: run.fine,
    model: loaded.program.model,
    includeDirs: run.includeDirs.map((d) => resolve(d)),
  };
}

// ---------------------------------------------------------------- reading hostile files

function reason(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  return typeof code === "string" && /^E[A-Z]+$/.test(code) ? code : "cannot be read";
}

/**
 * Reads a regular file of at most `cap` bytes. Opened without blocking (a FIFO would wait for
 * a writer) and checked on the open descriptor, so the file checked is the file read.
 */
function readRegularFile(path: string, cap: number, what: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new ReplayInputError(`${shown(path)}: ${reason(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new ReplayInputError(`${shown(path)} is a directory, not a ${what}`);
    if (!st.isFile()) throw new ReplayInputError(`${shown(path)} is not a regular file, so not a ${what}`);
    const mib = (n: number): string => `${Math.ceil(n / 1024 / 1024)} MiB`;
    const tooBig = () => new ReplayInputError(`${shown(path)}: a ${what} may hold at most ${mib(cap)}`);
    if (st.size > cap) throw tooBig();
    // One byte more than allowed tells a file that grew after fstat from one that did not.
    const buf = new Uint8Array(Math.min(cap + 1, st.size + 1));
    let total = 0;
    for (;;) {
      const n = readSync(fd, buf, total, buf.length - total, null);
      if (n === 0) break;
      total += n;
      if (total === buf.length) {
        if (total > cap) throw tooBig();
        break;
      }
    }
    return new TextDecoder().decode(buf.subarray(0, total));
  } catch (e) {
    if (e instanceof ReplayInputError) throw e;
    throw new ReplayInputError(`${shown(path)}: ${reason(e)}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * Where JSON.parse stopped, as a byte offset into the file, when it can be told without quoting
 * the file: V8 names a position for most errors; for an unexpected token it quotes the text
 * instead, and then the first character that cannot start a JSON value is the place, if any.
 */
function jsonErrorByte(text: string, message: string): number | null {
  const at = /at position (\d+)/.exec(message);
  let index = at ? Number(at[1]) : null;
  if (index === null) {
    const first = /\S/.exec(text);
    if (first && !/[{["\-0-9tfn]/.test(first[0])) index = first.index;
  }
  return index === null ? null : Buffer.byteLength(text.slice(0, index));
}

/**
 * Reads and checks a trace file; only a value that meets the schema comes back. A file that is
 * refused is never quoted: JSON.parse's message shows the text it choked on (`replay
 * /etc/passwd` would print `"root:x:0:0"`), so only where it stopped is said.
 */
export function readTrace(file: string): JsonReport {
  const text = readRegularFile(file, MAX_TRACE_BYTES, "trace file");
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const byte = jsonErrorByte(text, e instanceof Error ? e.message : "");
    const where = byte === null ? "" : ` (at byte ${byte})`;
    const end = e instanceof Error && /end of JSON input/.test(e.message) ? ": it ends too soon" : "";
    throw new ReplayInputError(`${shown(file)}: not an ipcmc trace: not valid JSON${where}${end}`);
  }
  const err = validateJson(data);
  if (err) throw new ReplayInputError(`${shown(file)}: ${err}`);
  return data as JsonReport;
}

// ---------------------------------------------------------------- finding the spec

interface Found {
  path: string;
  loaded: LoadResult & { ok: true };
  matches: boolean;
}

/**
 * The spec a trace names, tried relative to the trace's directory first (a trace and its spec
 * move together) and then as it was given (relative to the working directory). The first one
 * whose hash matches wins; with none, the first that loads (for --force).
 */
function findSpec(
  file: string,
  report: JsonReport,
  defines: Map<string, number>,
  includeDirs: string[],
): Found | null {
  const candidates = [...new Set([resolve(dirname(file), report.specFromTrace), resolve(report.spec)])];
  let firstLoaded: Found | null = null;
  let problem: string | null = null;
  for (const path of candidates) {
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) continue;
    // A plain message for the usual mistakes; loadProgram reads the file itself, size-capped
    // and checked again on the open descriptor (model/load.ts readSourceFile).
    // Only KC source: a trace must not get ipcmc to parse (and quote in errors) any other file.
    if (!path.endsWith(".kc")) {
      problem ??= `${shown(path)} is not a .kc file, so not a spec`;
      continue;
    }
    if (!st.isFile()) {
      problem ??= `${shown(path)} is ${st.isDirectory() ? "a directory" : "not a regular file"}, not a spec`;
      continue;
    }
    const r = loadProgram(path, { defines, includeDirs, fine: report.fine, model: traceModel(report) });
    if (!r.ok) {
      const n = r.diagnostics.length;
      const hint =
        includeDirs.length === 0 && report.includeDirs.length > 0
          ? `\n(the trace was made with -I ${report.includeDirs.join(" -I ")}; replay takes -I too)`
          : "";
      // Not quoted: the path came from the trace, so the file may be anyone's. Its owner sees the
      // errors with ipcmc check, which the user runs on a path of their own choosing.
      problem ??= `${shown(path)} does not compile (${n} error${n === 1 ? "" : "s"}; run ipcmc check on it to see them)${hint}`;
      continue;
    }
    const hash = specHash(r.sources, defines, report.fine, traceModel(report));
    const found = { path, loaded: r, matches: hash === report.specHash };
    if (found.matches) return found;
    firstLoaded ??= found;
  }
  if (firstLoaded) return firstLoaded;
  if (problem) throw new ReplayInputError(problem);
  return null;
}

// ---------------------------------------------------------------- replay

/** Replays one counterexample saved in `file`; prints the trace and the verdict; returns the exit code. */
export function runReplay(file: string, options: ReplayOptions = {}): number {
  try {
    return replayFile(file, options);
  } catch (e) {
    if (e instanceof ReplayInputError) {
      // File names from the command line and the trace are in it: escaped like all output. A
      // message of several lines holds diagnostics, whose own lines are escaped one by one.
      process.stderr.write(`ipcmc: ${printable(e.message, true)}\n`);
      return REPLAY_NOT_REPRODUCED;
    }
    throw e;
  }
}

function replayFile(file: string, options: ReplayOptions): number {
  const maxStates = options.maxStates ?? DEFAULT_OPTIONS.maxStates;
  if (!Number.isSafeInteger(maxStates) || maxStates < 1)
    throw new ReplayInputError("--max-states expects a whole number >= 1");
  const report = readTrace(file);
  // The trace's execution model is the one replayed (a trace saved before models were recorded
  // is smp); a --model that says otherwise is a mistake, not an override.
  if (options.model !== undefined && options.model !== traceModel(report))
    throw new ReplayInputError(
      `${shown(file)} was made in the ${MODEL_WORD[traceModel(report)]} model, not ${MODEL_WORD[options.model]} (--model ${options.model}); a trace replays in its own model`,
    );
  // The only values that leave the trace for the compiler: names checked as identifiers,
  // values as 32-bit integers (validateJson).
  const defines = new Map(Object.entries(report.defines));
  const candidates = report.properties.filter(
    (p) => p.counterexample && (options.property === undefined || p.name === options.property),
  );
  const p = candidates[0];
  if (!p?.counterexample)
    throw new ReplayInputError(
      `${shown(file)}: no counterexample${options.property !== undefined ? ` for property ${shown(options.property)}` : ""} to replay`,
    );
  if (p.kind === "reachable")
    throw new ReplayInputError(
      `${shown(file)}: reachable ${p.name} is violated by the absence of a path, so there is nothing to replay; run check`,
    );
  const found = findSpec(file, report, defines, options.includeDirs ?? []);
  if (!found)
    throw new ReplayInputError(
      `${shown(file)}: its spec ${report.spec} cannot be found (nor ${report.specFromTrace} beside the trace)`,
    );
  if (!found.matches) {
    const why = `${shown(file)} was made from a different spec than ${shown(found.path)} (its sources, the defines, --fine or the model differ)`;
    if (!options.force)
      throw new ReplayInputError(
        `${why}; replay it against the spec it came from, or pass --force to decide the property on this spec`,
      );
    process.stderr.write(
      `ipcmc: warning: ${printable(why)}; replaying anyway and deciding the property on this spec\n`,
    );
  }
  const r = found.loaded;
  let sys: System;
  try {
    sys = new System(r.program);
  } catch (e) {
    if (!(e instanceof InitError)) throw e;
    throw new ReplayInputError(
      `${shown(file)}: the init of its spec does not finish: ${formatDiagnostic(e.diagnostic, r.sources)}`,
    );
  }
  const cx = p.counterexample;
  let built: ReturnType<typeof buildTrace>;
  try {
    built = buildTrace(
      sys,
      r.sources,
      cx.choices.map((c) => c.index),
      cx.choices.map((c) => ({ slot: c.slot, values: c.values })),
      p.name,
    );
  } catch (e) {
    if (e instanceof ReplayError) throw new ReplayInputError(`${shown(file)}: ${e.message}`);
    throw e;
  }
  const steps = built.trace.steps;
  for (let i = 0; i < steps.length; i++)
    if (steps[i]?.process !== cx.choices[i]?.process)
      throw new ReplayInputError(
        `${shown(file)}: step ${i + 1}: the trace says ${cx.choices[i]?.process} steps, but this spec's choice is ${steps[i]?.process}: the spec changed since the trace was saved`,
      );
  // A fault ends a replay: a trace that goes on after one was not made by this spec.
  if (steps.length < cx.choices.length)
    throw new ReplayInputError(
      `${shown(file)}: step ${steps.length} fails, but the trace goes on for ${cx.choices.length - steps.length} more steps: it does not fit this spec`,
    );
  const defs = [...defines].map(([k, v]) => `${k}=${v}`).join(" ");
  out(
    `replaying ${p.kind} ${p.name} of ${printable(found.path)}${defs ? ` (${defs})` : ""}${report.fine ? " --fine" : ""}${traceModel(report) === "up" ? " --model up" : ""}: ${cx.choices.length} steps\n\n`,
  );
  out(`${renderTrace(built.trace)}\n\n`);
  const verdict = reproduces(sys, p, built, { maxStates, memoryLimit: DEFAULT_OPTIONS.memoryLimit });
  const where = found.matches ? "" : " on this spec";
  if (verdict.status === "reproduced") {
    out(`reproduced${where}: ${verdict.why}\n`);
    return REPLAY_REPRODUCED;
  }
  if (verdict.status === "inconclusive") {
    out(`inconclusive${where}: ${verdict.why}\n`);
    return REPLAY_INCONCLUSIVE;
  }
  out(`NOT reproduced${where}: ${verdict.why}\n`);
  return REPLAY_NOT_REPRODUCED;
}

// ---------------------------------------------------------------- deciding the property again

export interface Redecision {
  status: "reproduced" | "not_reproduced" | "inconclusive";
  why: string;
}

const yes = (why: string): Redecision => ({ status: "reproduced", why });
const no = (why: string): Redecision => ({ status: "not_reproduced", why });

/** How many choices a state has, and whether a failed assume cut some step (as the search sees it). */
function countChoices(sys: System, m: Int32Array): { count: number; pruned: boolean } {
  const r = sys.expand(m, { successor() {}, fault() {} });
  return { count: r & COUNT_MASK, pruned: (r & EXPAND_PRUNED) !== 0 };
}

/** A declared property's predicate on `m`; a fault while evaluating counts as false, as in the search. */
function predicateHolds(sys: System, name: string, kind: string, m: Int32Array): boolean | null {
  const i = sys.program.properties.findIndex((q) => q.name === name && q.kind === kind);
  const pred = sys.compiled.properties[i];
  if (i < 0 || !pred) return null;
  try {
    return pred(m) !== 0;
  } catch {
    return false;
  }
}

/**
 * Decides the recorded property on the replayed path with the search's own rules: a fault of
 * the property's kind at the last step; an invariant false at the end; no choice and not all
 * exited (deadlock); all exited and the final predicate false; a task asleep at the end that
 * no state reachable from there wakes (stuck waiter, searched within `limits`).
 */
export function reproduces(
  sys: System,
  p: { name: string; kind: string },
  built: ReturnType<typeof buildTrace>,
  limits: { maxStates: number; memoryLimit: number },
): Redecision {
  const steps = built.trace.steps;
  const last = steps[steps.length - 1];
  const m = built.last;
  const n = steps.length;
  if (last?.fault && p.kind !== "assertion" && p.kind !== "runtime_error")
    return no(`step ${last.n} fails (${last.fault.message}) before the ${p.kind} is reached`);
  switch (p.kind) {
    case "assertion":
    case "runtime_error": {
      if (last?.fault) {
        const kind = last.fault.kind === "assertion" ? "assertion" : "runtime_error";
        return kind === p.kind
          ? yes(`step ${last.n} (${last.process}) fails: ${last.fault.message}`)
          : no(`step ${last.n} fails with ${last.fault.kind}, which is not a ${p.kind}`);
      }
      // The search also reports a state with more choices than a trace can name.
      const { count } = countChoices(sys, m);
      if (p.kind === "runtime_error" && count > MAX_CHOICE + 1)
        return yes(`the state after step ${n} has ${count} choices, more than ${MAX_CHOICE + 1}`);
      return no("the last step did not fail");
    }
    case "invariant": {
      const holds = predicateHolds(sys, p.name, "invariant", m);
      if (holds === null) return no(`the spec has no invariant ${p.name}`);
      return holds
        ? no(`invariant ${p.name} holds at the end`)
        : yes(`invariant ${p.name} is false after step ${n}`);
    }
    case "final": {
      if (!sys.allExited(m))
        return no(`not every process has exited at the end, so final ${p.name} is not due`);
      const holds = predicateHolds(sys, p.name, "final", m);
      if (holds === null) return no(`the spec has no final ${p.name}`);
      return holds
        ? no(`final ${p.name} holds when every process has exited`)
        : yes(`final ${p.name} is false when every process has exited`);
    }
    case "deadlock": {
      if (sys.allExited(m)) return no("every process has exited at the end");
      const { count, pruned } = countChoices(sys, m);
      if (pruned) return no("a step was cut by a failed assume at the end, which is not a deadlock");
      return count === 0 ? yes("no process can take a step") : no(`${count} choices remain at the end`);
    }
    case "stuck_waiter":
      return stuckForever(sys, built, limits);
    case "memory_leak": {
      if (!sys.allExited(m)) return no("not every process has exited at the end, so no leak is due");
      const l = findLeak(sys.program, sys.layout, m);
      return l ? yes(l.message) : no("every allocated object is reachable at the end");
    }
    default:
      return no(`a ${p.kind} property cannot be replayed`);
  }
}

/**
 * A stuck waiter: some task asleep at the end of the path stays asleep in every state reachable
 * from there. (By the bottom-SCC rule of properties/stuckWaiter.ts: then a bottom component
 * reachable from the end keeps it asleep throughout.) One search serves all sleepers.
 */
function stuckForever(
  sys: System,
  built: ReturnType<typeof buildTrace>,
  limits: { maxStates: number; memoryLimit: number },
): Redecision {
  const start = built.last;
  const procs = sys.layout.procs;
  const sleepers = procs.map((_, i) => i).filter((i) => sys.asleep(start, i));
  if (sleepers.length === 0) return no("no task is asleep at the end");
  const awake = new Set<number>();
  const store = new StateStore(sys.words);
  store.insert(start, -1, 0, 0);
  const sink = {
    successor(next: Int32Array): void {
      for (const i of sleepers) if (!awake.has(i) && !sys.asleep(next, i)) awake.add(i);
      store.insert(next, -1, 0, 0);
    },
    fault(): void {},
  };
  const buf = new Int32Array(sys.words);
  let limit: string | null = null;
  for (let s = 0; s < store.size && awake.size < sleepers.length; s++) {
    if (store.size > limits.maxStates) {
      limit = `--max-states ${limits.maxStates}`;
      break;
    }
    if (store.bytes() > limits.memoryLimit) {
      limit = `${Math.round(limits.memoryLimit / 1024 / 1024)} MiB of states`;
      break;
    }
    store.read(s, buf);
    sys.expand(buf, sink);
  }
  const forever = sleepers.filter((i) => !awake.has(i));
  const names = (ids: number[]): string => ids.map((i) => procs[i]?.label ?? `process ${i}`).join(", ");
  if (forever.length === 0)
    return no(`${names(sleepers)} asleep at the end, but a wake-up is reachable from there`);
  if (limit)
    return {
      status: "inconclusive",
      why: `the search for a wake-up of ${names(forever)} from the end stopped at ${limit} after ${store.size} states; raise --max-states`,
    };
  return yes(
    `${names(forever)} asleep in the state from which no wake-up can come (all ${store.size} states reachable from it searched)`,
  );
}
