// The ipcmc command line: check a spec, replay a saved counterexample, run a suite of specs.
import {
  accessSync,
  constants,
  existsSync,
  readdirSync,
  realpathSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import type { Span } from "../model/ast";
import { CompileError, formatDiagnostic } from "../model/diagnostics";
import type { ExecModel, Expectation, Lowered } from "../model/ir";
import { lex } from "../model/lexer";
import { LIBRARY_DIR, type LoadResult, loadProgram, readSourceFile } from "../model/load";
import { printable, SourceSet } from "../model/source";
import { toJson } from "../reports/json";
import { renderJunit, type SuiteCase } from "../reports/junit";
import { bytes, inconclusiveReason, num, renderReport, violatedNames } from "../reports/text";
import { explore } from "./explore";
import { InitError } from "./init";
import { DEFAULT_OPTIONS, type Progress, type SearchOptions } from "./options";
import type { Outcome, PropertyResult } from "./outcome";
import { runReplay, traceOrigin } from "./replay";
import { System } from "./system";
import { buildTrace, type Trace } from "./trace";

/**
 * Exit codes (DESIGN.md): every property holds / a violation / bad input / inconclusive /
 * an internal error of ipcmc / the spec expects a violation that the search did not find.
 */
export const EXIT_HOLDS = 0;
export const EXIT_VIOLATED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INCONCLUSIVE = 3;
export const EXIT_INTERNAL = 4;
export const EXIT_EXPECTED_VIOLATION_MISSING = 5;

/** A wrong command line: one line on stderr, exit 2. */
class UsageError extends Error {}

/** A spec that does not compile: its diagnostics on stderr, exit 2. */
class SpecError extends Error {}

/** Writes text ipcmc assembled, with anything from input in it made safe for a terminal. */
function say(stream: NodeJS.WriteStream, text: string): void {
  stream.write(printable(text, true));
}

/** Writes a one-line message; a newline from input in it is escaped, so it stays one line. */
function sayLine(stream: NodeJS.WriteStream, text: string): void {
  stream.write(`${printable(text)}\n`);
}

/** The value of a KC integer constant, by the lexer's own rules (`010` is 8, as in `const N = 010`). */
function integerConstant(text: string): number | string {
  const sources = new SourceSet();
  try {
    const tokens = lex(sources, sources.add("-D", text));
    const t = tokens[0];
    if (tokens.length === 2 && t?.kind === "int") return t.value;
    return "not one integer constant";
  } catch (e) {
    if (e instanceof CompileError) return e.diagnostics[0]?.message ?? "malformed number";
    throw e;
  }
}

/**
 * Parses `-D NAME=VALUE` arguments into a Map (a plain object would take `__proto__` as its
 * prototype and lose it). VALUE is a KC integer constant, optionally negated, wrapping to 32
 * bits exactly as the same constant in the spec would; a name given twice is an error.
 */
export function parseDefines(list: unknown): Map<string, number> {
  const out = new Map<string, number>();
  const items = Array.isArray(list) ? list : list === undefined ? [] : [list];
  for (const raw of items) {
    const text = String(raw);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(-?)([0-9][0-9A-Za-z]*)$/.exec(text);
    if (!m) throw new UsageError(`-D ${text}: expected NAME=INTEGER, e.g. -D N=3`);
    const name = m[1] as string;
    // A -D value also feeds #if, where a `u` constant means uintmax_t arithmetic, which KC's
    // #if does not do: an unsigned value is written in hex (0xffffffff), as its int type allows.
    if (/[uU]/.test(m[3] as string))
      throw new UsageError(
        `-D ${text}: a -D value takes no u suffix (write an unsigned value in hex, e.g. 0xffffffff)`,
      );
    const value = integerConstant(m[3] as string);
    if (typeof value === "string") throw new UsageError(`-D ${text}: ${value}`);
    if (out.has(name)) throw new UsageError(`-D ${name} is given twice`);
    // Its value, -2^31 .. 2^32 - 1 (`#if` reads it as C does; a const takes it as its word).
    out.set(name, m[2] ? -value | 0 : value);
  }
  return out;
}

function load(
  spec: string,
  defines: ReadonlyMap<string, number>,
  includeDirs: string[],
  fine = false,
  model?: ExecModel,
): LoadResult & { ok: true } {
  if (!existsSync(spec)) throw new UsageError(`${spec}: no such file`);
  if (statSync(spec).isDirectory())
    throw new UsageError(`${spec} is a directory (did you mean: ipcmc suite ${spec}?)`);
  const r = loadProgram(spec, { defines, includeDirs, fine, ...(model ? { model } : {}) });
  if (!r.ok) throw new SpecError(diagnosticsText(r));
  return r;
}

/** The System of a loaded spec; an init that does not finish is an error of the spec (exit 2). */
function startSystem(r: LoadResult & { ok: true }): System {
  try {
    return new System(r.program);
  } catch (e) {
    if (e instanceof InitError) throw new SpecError(`${formatDiagnostic(e.diagnostic, r.sources)}\n1 error`);
    throw e;
  }
}

/** Every diagnostic of a failed load, rendered, and their count. */
function diagnosticsText(r: LoadResult & { ok: false }): string {
  const n = r.diagnostics.length;
  return `${r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n")}\n${n} error${n === 1 ? "" : "s"}`;
}

/**
 * Refuses output files that would destroy an input of the run (the same file by device and
 * inode, so links and other spellings count), directories, and places that cannot be written;
 * checked before the search, so an hour-long search does not end in EACCES.
 */
function checkOutputs(outputs: Array<{ flag: string; path: string }>, inputs: string[]): void {
  const byId = new Map<string, string>();
  for (const p of inputs) {
    try {
      const st = statSync(p);
      byId.set(`${st.dev}:${st.ino}`, p);
    } catch {
      // An input that is gone cannot be overwritten.
    }
  }
  const targets = new Map<string, string>();
  for (const { flag, path } of outputs) {
    const shown = `--${flag} ${path}`;
    const st = statSync(path, { throwIfNoEntry: false });
    let key: string;
    if (st) {
      if (st.isDirectory()) throw new UsageError(`${shown}: is a directory`);
      const input = byId.get(`${st.dev}:${st.ino}`);
      if (input)
        throw new UsageError(
          `${shown}: is ${relative(process.cwd(), input) || input}, an input of this run; refusing to overwrite it`,
        );
      key = `${st.dev}:${st.ino}`;
      writable(shown, path);
    } else {
      const dir = dirname(resolve(path));
      const d = statSync(dir, { throwIfNoEntry: false });
      if (!d?.isDirectory()) throw new UsageError(`${shown}: the directory ${dir} does not exist`);
      writable(shown, dir);
      key = join(realpathSync(dir), basename(path));
    }
    const other = targets.get(key);
    if (other) throw new UsageError(`${shown}: the same file as --${other}`);
    targets.set(key, flag);
  }
}

function writable(shown: string, path: string): void {
  try {
    accessSync(path, constants.W_OK);
  } catch {
    throw new UsageError(`${shown}: cannot be written (permission denied)`);
  }
}

function progressPrinter(): (p: Progress) => void {
  const tty = process.stderr.isTTY === true;
  let lastPlain = 0;
  return (p) => {
    const line = `${num(p.states)} states, ${num(p.states / Math.max(p.seconds, 1e-9))} states/s, depth ${p.depth}, queue ${num(p.queued)}, ${bytes(p.bytes)}, ${p.seconds.toFixed(0)} s`;
    if (tty) process.stderr.write(`\r\x1b[K${line}`);
    else if (p.seconds - lastPlain >= 10) {
      lastPlain = p.seconds;
      process.stderr.write(`progress: ${line}\n`);
    }
  };
}

function clearProgress(): void {
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
}

/**
 * The exit code of a check: the verdict's, except that a spec expecting a violation the search
 * did not find (every property holds, or only others broke) exits 5, so a CI that runs `check`
 * per spec sees a bug spec that stopped showing its bug.
 */
function exitCodeOf(o: Outcome, e: Expectation | null): number {
  // Decided before the verdict: a search that settled the expected property settled the expect,
  // even if another property is left open (stuck waiters not checked, say).
  if (e?.verdict === "violation" && expectationMissed(e, o)) return EXIT_EXPECTED_VIOLATION_MISSING;
  if (o.verdict === "inconclusive") return EXIT_INCONCLUSIVE;
  if (e?.verdict === "violation" && !expectationMet(e, o)) return EXIT_EXPECTED_VIOLATION_MISSING;
  return o.verdict === "holds" ? EXIT_HOLDS : EXIT_VIOLATED;
}

/** Whether an `expect violation` is decided as not met: its property holds (or, unnamed, every one does). */
function expectationMissed(e: Expectation, o: Outcome): boolean {
  if (!e.property) return o.verdict === "holds";
  return o.properties.some((p) => p.name === e.property && p.status === "holds");
}

/** Replays the counterexamples of violated properties (those with choices). */
function tracesOf(sys: System, r: LoadResult & { ok: true }, o: Outcome): Map<string, Trace> {
  const out = new Map<string, Trace>();
  for (const p of o.properties) {
    if (
      p.status !== "violated" ||
      !p.counterexample ||
      (p.counterexample.choices.length === 0 && p.kind === "reachable")
    )
      continue;
    out.set(p.name, buildTrace(sys, r.sources, p.counterexample.choices, undefined, p.name).trace);
  }
  return out;
}

function shellQuote(s: string): string {
  return /^[\w./=-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

interface CheckArgs {
  spec: string;
  D?: unknown;
  I?: unknown;
  strategy: string;
  maxStates: number;
  maxDepth: number;
  timeLimit: number;
  memory: number;
  keepGoing: boolean;
  stuckWaiters: boolean;
  memo: boolean;
  json?: string;
  progress: boolean;
  columns: boolean;
  fine: boolean;
  fullTrace: boolean;
  model?: string;
}

/** `--model up|smp` (yargs checks the choices; this types it), or undefined: the spec's own. */
function modelFlag(v: unknown): ExecModel | undefined {
  if (v === undefined) return undefined;
  if (v === "up" || v === "smp") return v;
  throw new UsageError("--model expects up or smp");
}

/** A numeric flag must be a finite number >= 0 (yargs turns `--max-states abc` into NaN). */
function checkNumber(flag: string, v: unknown): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${flag} expects a number >= 0`);
  return n;
}

function runCheck(a: CheckArgs): number {
  // --time-limit counts from here: loading and compiling a spec are part of the run.
  const startedAt = performance.now();
  checkNumber("max-states", a.maxStates);
  checkNumber("max-depth", a.maxDepth);
  checkNumber("time-limit", a.timeLimit);
  checkNumber("memory", a.memory);
  const defines = parseDefines(a.D);
  const includeDirs = includeDirsOf(a.I);
  const model = modelFlag(a.model);
  const r = load(a.spec, defines, includeDirs, a.fine, model);
  if (a.json) checkOutputs([{ flag: "json", path: a.json }], r.inputs);
  const sys = startSystem(r);
  const opts: Partial<SearchOptions> = {
    strategy: a.strategy === "dfs" ? "dfs" : "bfs",
    maxStates: a.maxStates,
    maxDepth: a.maxDepth,
    timeLimit: a.timeLimit,
    startedAt,
    memoryLimit: a.memory * 1024 * 1024,
    keepGoing: a.keepGoing,
    // A spec that expects a violation is checked until that property is decided.
    stopAt: r.program.expect?.verdict === "violation" ? r.program.expect.property : null,
    stuckWaiters: a.stuckWaiters,
    memo: a.memo,
    onProgress: a.progress ? progressPrinter() : null,
  };
  const o = explore(sys, opts);
  clearProgress();
  const traces = tracesOf(sys, r, o);
  const expected = r.program.expect?.property ?? null;
  const first =
    o.properties.find((p) => p.name === expected && p.status === "violated" && traces.has(p.name)) ??
    o.properties.find((p) => p.status === "violated" && traces.has(p.name)) ??
    null;
  const reach = o.properties.find((p) => p.status === "violated" && p.kind === "reachable") ?? null;
  const defs = [...defines].map(([k, v]) => `-D ${k}=${v}`);
  const incs = includeDirs.map((d) => `-I ${shellQuote(d)}`);
  const base = [
    "ipcmc",
    "check",
    shellQuote(a.spec),
    ...defs,
    ...incs,
    ...(model ? [`--model ${model}`] : []),
  ].join(" ");
  // Two commands, not `&&`: check exits 1 on the violation, which would skip the replay.
  // replay reads no -I of the trace's own (a stranger's trace chooses no directory): repeat it.
  const replayIncs = incs.length > 0 ? ` ${incs.join(" ")}` : "";
  const replayHint = first
    ? a.json
      ? `ipcmc replay ${shellQuote(a.json)}${replayIncs}`
      : `${base} --json trace.json; ipcmc replay trace.json${replayIncs}`
    : null;
  const expectation = r.program.expect
    ? {
        text:
          r.program.expect.verdict === "holds"
            ? "holds"
            : `violation ${r.program.expect.property ?? ""}`.trim(),
        met: expectationMet(r.program.expect, o),
        missed: r.program.expect.verdict === "violation" && expectationMissed(r.program.expect, o),
      }
    : null;
  const chosen: { property: PropertyResult; trace: Trace } | null = first
    ? { property: first, trace: traces.get(first.name) as Trace }
    : reach
      ? { property: reach, trace: { steps: [], finalState: [], tasks: [] } }
      : null;
  say(
    process.stdout,
    `${renderReport({ spec: a.spec, defines, outcome: o, trace: chosen, replayHint, expectation, shortest: a.strategy !== "dfs", columns: a.columns, fullTrace: a.fullTrace, stuckWaiters: a.stuckWaiters, model: r.program.model, replaced: [...libraryFilesReplaced(r.inputs, includeDirs), ...replacedLines(r.program, r.sources)] })}\n`,
  );
  if (a.json) {
    const origin = traceOrigin(r, { spec: a.spec, json: a.json, defines, includeDirs, fine: a.fine });
    writeFileSync(
      a.json,
      `${JSON.stringify(toJson(origin, o, traces, inconclusiveReason(o, a.stuckWaiters)), null, 2)}\n`,
    );
    sayLine(process.stdout, `wrote ${a.json}`);
  }
  return exitCodeOf(o, r.program.expect);
}

function expectationMet(e: Expectation | null, o: Outcome): boolean {
  if (!e) return true;
  if (e.verdict === "holds") return o.verdict === "holds";
  if (!e.property) return o.verdict === "violated";
  return o.properties.some((p) => p.name === e.property && p.status === "violated");
}

/** Every .kc file under `dir`, sorted, skipping `lib` folders (included, not run). */
function findSpecs(dir: string): string[] {
  const out: string[] = [];
  const root = realpathSync(dir);
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== "lib" && e.name !== "node_modules" && !e.name.startsWith(".")) walk(p);
      } else if (e.name.endsWith(".kc") && (e.isFile() || linkStaysInside(p, root))) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * A link among a suite's specs counts only when it leads to a .kc file inside the suite's
 * directory: a downloaded suite must not get ipcmc to read, and quote, a file elsewhere.
 */
function linkStaysInside(p: string, root: string): boolean {
  try {
    const real = realpathSync(p);
    const rel = relative(root, real);
    return (
      real.endsWith(".kc") &&
      rel !== "" &&
      !rel.startsWith("..") &&
      !isAbsolute(rel) &&
      statSync(real).isFile()
    );
  } catch {
    return false;
  }
}

/**
 * Whether a file's own text declares `expect` (the suite checks only those), decided from its
 * tokens alone so that the answer does not depend on whether the file compiles; null when the
 * file cannot even be read into tokens, and so might be a spec.
 */
function declaresExpect(file: string): boolean | null {
  try {
    const text = readSourceFile(file);
    if (text === null) return null;
    const sources = new SourceSet();
    const t = lex(sources, sources.add(file, text));
    return t.some(
      (tok, i) =>
        tok.kind === "ident" &&
        tok.text === "expect" &&
        (t[i + 1]?.text === "holds" || t[i + 1]?.text === "violation"),
    );
  } catch {
    return null;
  }
}

/** The message and, with --debug, the stack of an error that is ipcmc's fault. */
function internalDetail(e: unknown, debug: boolean): string {
  const err = e instanceof Error ? e : new Error(String(e));
  return debug && err.stack ? err.stack : `${err.name}: ${err.message}`;
}

/**
 * One spec of a suite, loaded but not yet checked, or why it cannot be; `loadMs` is how long
 * loading and compiling took, which counts toward the spec's --time-limit as it does in check.
 */
type SuiteEntry =
  | { name: string; kind: "skip" }
  | { name: string; kind: "case"; case: SuiteCase }
  | { name: string; kind: "spec"; loaded: LoadResult & { ok: true }; loadMs: number };

const NO_FIGURES = { states: 0, transitions: 0, seconds: 0 };

function failed(name: string, got: string, detail: string | null): SuiteEntry {
  return {
    name,
    kind: "case",
    case: { spec: name, result: "fail", expected: null, got, detail, ...NO_FIGURES },
  };
}

/** The -I directories of a command line, each checked to exist. */
function includeDirsOf(arg: unknown): string[] {
  const dirs = (Array.isArray(arg) ? arg : arg ? [arg] : []).map(String);
  // A mistyped -I would otherwise only show as a missing include, or not at all.
  for (const d of dirs)
    if (!statSync(d, { throwIfNoEntry: false })?.isDirectory())
      throw new UsageError(`-I ${d}: no such directory`);
  return dirs;
}

/** Loads one suite file; an internal error becomes a failed case, never the end of the suite. */
function suiteEntry(f: string, debug: boolean, includeDirs: string[]): SuiteEntry {
  const name = relative(process.cwd(), resolve(f)) || f;
  const declared = declaresExpect(f);
  if (declared === false) return { name, kind: "skip" };
  try {
    const began = performance.now();
    const r = loadProgram(f, { includeDirs });
    if (r.ok) return { name, kind: "spec", loaded: r, loadMs: performance.now() - began };
    return failed(name, "does not compile", diagnosticsText(r));
  } catch (e) {
    return failed(name, "internal error of ipcmc", internalDetail(e, debug));
  }
}

/** The limits of each spec's search in a suite, as check takes them. */
interface SuiteLimits {
  maxStates: number;
  maxDepth: number;
  /** Seconds from the start of the spec's loading; 0: none. */
  timeLimit: number;
  /** MiB that the search holds. */
  memory: number;
}

/**
 * A suite case's result: pass when the expect is met; inconclusive when a limit ended the
 * search before what the spec expects was decided (a violation found before the limit is
 * real, so `expect holds` with a violation fails, and an expected violation found passes).
 */
function suiteResult(e: Expectation | null, o: Outcome): SuiteCase["result"] {
  if (expectationMet(e, o)) return "pass";
  if (e?.verdict === "holds") return o.verdict === "violated" ? "fail" : "inconclusive";
  if (e?.property)
    return o.properties.some((p) => p.name === e.property && p.status === "inconclusive")
      ? "inconclusive"
      : "fail";
  return o.verdict === "inconclusive" ? "inconclusive" : "fail";
}

/** Checks one loaded spec against its expect; an internal error becomes a failed case. */
function suiteCase(
  name: string,
  r: LoadResult & { ok: true },
  loadMs: number,
  limits: SuiteLimits,
  debug: boolean,
): SuiteCase {
  const e = r.program.expect;
  const expected = e?.verdict === "holds" ? "holds" : `violation ${e?.property ?? ""}`.trim();
  try {
    const o = explore(startSystem(r), {
      ...DEFAULT_OPTIONS,
      keepGoing: true,
      maxStates: limits.maxStates,
      maxDepth: limits.maxDepth,
      timeLimit: limits.timeLimit,
      // As in check: the spec's own loading and compiling count toward its --time-limit.
      startedAt: performance.now() - loadMs,
      memoryLimit: limits.memory * 1024 * 1024,
    });
    const got =
      o.verdict === "holds"
        ? "holds"
        : o.verdict === "inconclusive"
          ? `inconclusive (${inconclusiveReason(o)})`
          : `violated: ${violatedNames(o)}`;
    const figures = { states: o.stats.states, transitions: o.stats.transitions, seconds: o.stats.seconds };
    const model = r.program.model;
    return { spec: name, result: suiteResult(e, o), expected, got, detail: null, model, ...figures };
  } catch (err) {
    if (err instanceof SpecError)
      return { spec: name, result: "fail", expected, got: "init fails", detail: err.message, ...NO_FIGURES };
    const detail = internalDetail(err, debug);
    return { spec: name, result: "fail", expected, got: "internal error of ipcmc", detail, ...NO_FIGURES };
  }
}

/** How a suite prints a case's result. */
const RESULT_WORD: Record<SuiteCase["result"], string> = {
  pass: "PASS",
  fail: "FAIL",
  inconclusive: "INCONCLUSIVE",
  skip: "skip",
};

/**
 * `ipcmc suite`: every .kc file whose own text declares `expect` is checked against it; files
 * without one are skipped and listed. Exit 0 all pass, 1 any fails, 3 none fails but some
 * spec is inconclusive (a limit ended its search before its expect was decided: not a pass),
 * 2 nothing to check, 4 an internal error in some spec (the others are still checked and both
 * reports written). Every name from input is printed on one line (sayLine).
 */
function runSuite(
  dir: string,
  limits: SuiteLimits,
  json: string | undefined,
  junit: string | undefined,
  debug: boolean,
  includeDirs: string[] = [],
): number {
  if (!existsSync(dir)) throw new UsageError(`${dir}: no such directory`);
  const files = statSync(dir).isDirectory() ? findSpecs(dir) : [dir];
  if (files.length === 0)
    throw new UsageError(
      `${dir}: no .kc files to check (folders named lib hold included files and are not searched)`,
    );
  // Every spec is loaded before any is searched, so that the outputs are checked against every
  // file the run reads before the first search starts.
  const entries = files.map((f) => suiteEntry(f, debug, includeDirs));
  const outputs = [
    ...(json ? [{ flag: "json", path: json }] : []),
    ...(junit ? [{ flag: "junit", path: junit }] : []),
  ];
  checkOutputs(outputs, [...files, ...entries.flatMap((e) => (e.kind === "spec" ? e.loaded.inputs : []))]);
  const cases: SuiteCase[] = [];
  const skippedNames: string[] = [];
  for (const entry of entries) {
    if (entry.kind === "skip") {
      skippedNames.push(entry.name);
      sayLine(process.stdout, `${RESULT_WORD.skip}  ${entry.name}: no expect declaration`);
      cases.push({
        spec: entry.name,
        result: "skip",
        expected: null,
        got: "no expect declaration",
        detail: null,
        ...NO_FIGURES,
      });
      continue;
    }
    const c =
      entry.kind === "case" ? entry.case : suiteCase(entry.name, entry.loaded, entry.loadMs, limits, debug);
    cases.push(c);
    const figures = c.got.startsWith("violated") || c.got === "holds" || c.got.startsWith("inconclusive");
    // The result line holds the file's name: one line, whatever the name holds. The detail
    // (diagnostics, each already escaped, or an internal error's stack) may span lines.
    sayLine(
      process.stdout,
      `${RESULT_WORD[c.result]}  ${c.spec}${c.expected ? `  expect ${c.expected};` : ":"} ${c.expected ? "got " : ""}${c.got}${figures ? `  [${num(c.states)} states, ${c.seconds.toFixed(2)} s]` : ""}`,
    );
    if (c.detail) say(process.stdout, `${c.detail}\n`);
  }
  const passed = cases.filter((c) => c.result === "pass").length;
  const failedCount = cases.filter((c) => c.result === "fail").length;
  const inconclusive = cases.filter((c) => c.result === "inconclusive").length;
  const internal = cases.filter((c) => c.got === "internal error of ipcmc").length;
  const skipped = skippedNames.length;
  if (json)
    writeFileSync(
      json,
      `${JSON.stringify({ ipcmc: 1, suite: dir, passed, failed: failedCount, inconclusive, skipped, internalErrors: internal, specs: cases }, null, 2)}\n`,
    );
  if (junit) writeFileSync(junit, renderJunit(dir, cases));
  process.stdout.write("\n");
  sayLine(
    process.stdout,
    `${passed} passed, ${failedCount} failed${inconclusive ? `, ${inconclusive} inconclusive (a limit ended the search)` : ""}${skipped ? `, ${skipped} skipped (no expect declaration)` : ""}`,
  );
  if (internal > 0) {
    sayLine(process.stderr, `ipcmc: ${INTERNAL_HINT} (${internal} spec${internal === 1 ? "" : "s"} above)`);
    return EXIT_INTERNAL;
  }
  if (failedCount > 0) return EXIT_VIOLATED;
  if (inconclusive > 0) return EXIT_INCONCLUSIVE;
  if (passed === 0) {
    sayLine(process.stderr, `ipcmc: nothing was checked: no .kc file under ${dir} declares expect`);
    return EXIT_USAGE;
  }
  return EXIT_HOLDS;
}

/** suite's default --max-states per spec: a tenth of check's, so one runaway spec ends sooner. */
const SUITE_MAX_STATES = 5_000_000;

/** What an internal error asks of the user. */
const INTERNAL_HINT =
  "internal error: this is a bug in ipcmc, not a verdict on your spec; please report it with the command line and the spec (see SECURITY.md)";

/** Runs the command line; returns the exit code. */
export function main(argv: string[]): number {
  let code = EXIT_USAGE;
  // Read before parsing, so that a crash while parsing still shows its stack when asked.
  const debug = argv.includes("--debug");
  // The limits of a search: check's for its one spec, suite's for each spec (a per-spec prefix).
  const limitFlags = (y: ReturnType<typeof yargs>, maxStates: number, per: string) =>
    y
      .option("max-states", {
        type: "number",
        default: maxStates,
        describe: `${per}stop (inconclusive) after this many states`,
        requiresArg: true,
      })
      .option("max-depth", {
        type: "number",
        default: DEFAULT_OPTIONS.maxDepth,
        describe: `${per}do not expand deeper states (inconclusive)`,
        requiresArg: true,
      })
      .option("time-limit", {
        type: "number",
        default: 0,
        describe: `${per}stop (inconclusive) this many seconds after ${per ? "the spec's" : "the"} run began (loading and compiling count but are not cut short; the search is); 0: none`,
        requiresArg: true,
      })
      .option("memory", {
        type: "number",
        default: DEFAULT_OPTIONS.memoryLimit / 1024 / 1024,
        describe: `${per}stop (inconclusive) when the search holds this many MiB (state store, frontier, graph edges and step memo)`,
        requiresArg: true,
      });
  const searchFlags = (y: ReturnType<typeof yargs>) =>
    limitFlags(
      y
        .option("D", {
          type: "string",
          array: true,
          describe: "override a const or #define: -D N=4",
          requiresArg: true,
        })
        .option("I", {
          type: "string",
          array: true,
          describe: "also search this directory for #include",
          requiresArg: true,
        })
        .option("strategy", {
          choices: ["bfs", "dfs"],
          default: "bfs",
          describe: "bfs finds shortest counterexamples",
          requiresArg: true,
        }),
      DEFAULT_OPTIONS.maxStates,
      "",
    )
      .option("keep-going", {
        type: "boolean",
        default: false,
        describe: "go on after the first violation so every property gets a verdict",
      })
      .option("stuck-waiters", {
        type: "boolean",
        default: true,
        describe:
          "check for tasks that sleep forever (keeps the graph's edges); with --no-stuck-waiters stuck_waiter is not checked, so at best inconclusive (exit 3)",
      })
      .option("memo", {
        type: "boolean",
        default: DEFAULT_OPTIONS.memo,
        describe: "answer steps seen before from the step memo (exact); --no-memo runs every step",
      })
      .option("json", {
        type: "string",
        describe: "write the outcome and counterexamples as JSON to this file",
        requiresArg: true,
      })
      .option("progress", { type: "boolean", default: true, describe: "print progress on stderr" })
      .option("fine", {
        type: "boolean",
        default: false,
        describe:
          "SMP race finding: every shared read or write is its own step (mark hardware-atomic code with atomic {})",
      })
      .option("model", {
        choices: ["up", "smp"],
        describe:
          "execution model, overriding the spec's model declaration: up (one CPU, a task in the kernel runs until it sleeps or returns to user space) or smp",
        requiresArg: true,
      })
      .option("columns", {
        type: "boolean",
        default: false,
        describe: "lay the counterexample out with one column per process",
      })
      .option("full-trace", {
        type: "boolean",
        default: false,
        describe: "print every step of a long counterexample (by default its first 100 and last 400)",
      });
  try {
    const parser = yargs(argv)
      .scriptName("ipcmc")
      .usage("$0 <command> [options]")
      .command(
        "check <spec>",
        "check every property of a KC spec",
        (y) => searchFlags(y).positional("spec", { type: "string", describe: "the .kc file" }),
        (a) => {
          code = runCheck(a as unknown as CheckArgs);
        },
      )
      .command(
        "replay <trace>",
        "replay a counterexample saved with --json",
        (y) =>
          y
            .positional("trace", { type: "string", describe: "the JSON file" })
            .option("property", {
              type: "string",
              describe: "which property's counterexample (default: the first)",
              requiresArg: true,
            })
            .option("force", {
              type: "boolean",
              default: false,
              describe:
                "replay on a spec other than the trace's (its hash differs); the property is decided afresh",
            })
            .option("max-states", {
              type: "number",
              default: DEFAULT_OPTIONS.maxStates,
              describe: "limit of the search for a wake-up from a stuck waiter's last state (inconclusive)",
            })
            .option("I", {
              type: "string",
              array: true,
              describe: "also search this directory for #include (a trace's own -I list is not used)",
              requiresArg: true,
            })
            .option("model", {
              choices: ["up", "smp"],
              describe: "the trace's execution model (a trace replays in its own; another is refused)",
              requiresArg: true,
            })
            .epilogue(
              "exit codes: 1 reproduced (the violation is real on this spec); 2 not reproduced, or a wrong trace, spec or command line; 3 inconclusive (a limit stopped the decision)",
            ),
        (a) => {
          code = runReplay(String(a.trace), {
            property: a.property as string | undefined,
            force: a.force === true,
            maxStates: Number(a.maxStates),
            includeDirs: (Array.isArray(a.I) ? a.I : a.I ? [a.I] : []).map(String),
            ...(a.model !== undefined ? { model: modelFlag(a.model) as ExecModel } : {}),
          });
        },
      )
      .command(
        "suite <dir>",
        "check every spec under a directory against its expect declaration",
        (y) =>
          limitFlags(y.positional("dir", { type: "string" }), SUITE_MAX_STATES, "per spec: ")
            .option("json", {
              type: "string",
              describe: "write a summary as JSON to this file",
              requiresArg: true,
            })
            .option("junit", {
              type: "string",
              describe: "write JUnit XML (one test case per spec) to this file",
              requiresArg: true,
            })
            .option("I", {
              type: "string",
              array: true,
              describe: "also search this directory for #include (a course's edited library files)",
              requiresArg: true,
            }),
        (a) => {
          code = runSuite(
            String(a.dir),
            {
              maxStates: checkNumber("max-states", a.maxStates),
              maxDepth: checkNumber("max-depth", a.maxDepth),
              timeLimit: checkNumber("time-limit", a.timeLimit),
              memory: checkNumber("memory", a.memory),
            },
            a.json as string | undefined,
            a.junit as string | undefined,
            debug,
            includeDirsOf(a.I),
          );
        },
      )
      .option("debug", {
        type: "boolean",
        default: false,
        describe: "on an internal error of ipcmc, print its stack",
      })
      .demandCommand(1, "name a command: check, replay or suite")
      .strict()
      .help()
      .version("0.1.0")
      .exitProcess(false)
      .fail((msg, err) => {
        if (err) throw err;
        throw new UsageError(msg);
      });
    parser.parseSync();
    // --help and --version print and leave code unset: they succeeded.
    if (argv.includes("--help") || argv.includes("--version")) return EXIT_HOLDS;
  } catch (e) {
    return failure(e, debug);
  }
  return code;
}

/** The exit code and the one line on stderr for an error that ended a command. */
function failure(e: unknown, debug: boolean): number {
  if (e instanceof UsageError) {
    sayLine(process.stderr, `ipcmc: ${e.message}`);
    return EXIT_USAGE;
  }
  if (e instanceof SpecError) {
    say(process.stderr, `${e.message}\n`);
    return EXIT_USAGE;
  }
  // yargs' own complaints about the command line (an option without its value, say).
  if (e instanceof Error && e.name === "YError") {
    const missing = /^Not enough arguments following: (\S+)$/.exec(e.message)?.[1];
    const what = missing ? `${missing.length === 1 ? "-" : "--"}${missing} needs a value` : e.message;
    sayLine(process.stderr, `ipcmc: ${what} (ipcmc --help lists the options)`);
    return EXIT_USAGE;
  }
  // A file named on the command line that cannot be read or written (the system call failed).
  const sys = e as { code?: unknown; syscall?: unknown };
  if (typeof sys.code === "string" && /^E[A-Z]+$/.test(sys.code) && typeof sys.syscall === "string") {
    sayLine(process.stderr, `ipcmc: ${(e as Error).message}`);
    return EXIT_USAGE;
  }
  // One line, unless --debug asked for the stack.
  const detail = internalDetail(e, debug);
  if (debug) say(process.stderr, `ipcmc: ${INTERNAL_HINT}: ${detail}\n`);
  else sayLine(process.stderr, `ipcmc: ${INTERNAL_HINT}: ${detail} (--debug shows where)`);
  return EXIT_INTERNAL;
}

// Run when executed as the bin (not when imported by tests).
if (process.argv[1] && /ipcmc(\.js|\.mjs)?$|cli\.(ts|js|mjs)$/.test(process.argv[1])) {
  // A reader that went away (`ipcmc check … | head`) is not an error of the run.
  for (const stream of [process.stdout, process.stderr])
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") process.exit(process.exitCode ?? EXIT_HOLDS);
    });
  const args = hideBin(process.argv);
  process.on("uncaughtException", (e) => {
    process.exitCode = failure(e, args.includes("--debug"));
  });
  process.exitCode = main(args);
}

/**
 * "linux/pipe.kc of specs/lib by mydir/linux/pipe.kc" for each file an -I directory gave in
 * place of the bundled library's file of that name (a student's edited copy): the report says
 * which one ran.
 */
function libraryFilesReplaced(inputs: readonly string[], includeDirs: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of inputs)
    for (const d of includeDirs) {
      const rel = relative(resolve(d), p);
      if (rel.startsWith("..") || isAbsolute(rel)) continue;
      if (existsSync(join(LIBRARY_DIR, rel))) out.push(`${rel} of specs/lib by ${shownPath(p)}`);
      break;
    }
  return out;
}

/** A path as the working directory sees it, when that is below it; else whole. */
function shownPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith("..") ? rel : p;
}

/** "NAME (FILE:LINE) by the spec's (FILE:LINE)" for each prelude function the spec replaced. */
function replacedLines(program: Lowered, sources: SourceSet): string[] {
  const at = (s: Span): string => `${sources.file(s.file).name}:${sources.position(s.file, s.start).line}`;
  return program.replaced.map((r) => `${r.name} of ${at(r.prelude)} by ${at(r.spec)}`);
}
