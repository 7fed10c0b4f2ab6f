// The ipcmc command line: check a spec, replay a saved counterexample, run a suite of specs.
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { formatDiagnostic } from "../model/diagnostics";
import type { Expectation } from "../model/ir";
import { type LoadResult, loadProgram } from "../model/load";
import { toJson } from "../reports/json";
import { renderJunit, type SuiteCase } from "../reports/junit";
import { bytes, num, renderReport } from "../reports/text";
import { explore } from "./explore";
import { DEFAULT_OPTIONS, type Progress, type SearchOptions } from "./options";
import type { Outcome, PropertyResult } from "./outcome";
import { runReplay, traceOrigin } from "./replay";
import { System } from "./system";
import { buildTrace, type Trace } from "./trace";

/** Exit codes (DESIGN.md): every property holds / a violation / bad input / inconclusive. */
export const EXIT_HOLDS = 0;
export const EXIT_VIOLATED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INCONCLUSIVE = 3;

/** A wrong command line: one line on stderr, exit 2. */
class UsageError extends Error {}

/** A spec that does not compile: its diagnostics on stderr, exit 2. */
class SpecError extends Error {}

/** Parses `-D NAME=VALUE` arguments. */
export function parseDefines(list: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  const items = Array.isArray(list) ? list : list === undefined ? [] : [list];
  for (const raw of items) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(-?(?:0x[0-9a-fA-F]+|\d+))$/.exec(String(raw));
    if (!m) throw new UsageError(`-D ${raw}: expected NAME=INTEGER, e.g. -D N=3`);
    const v = Number(m[2]);
    if (!Number.isSafeInteger(v) || v < -(2 ** 31) || v >= 2 ** 31)
      throw new UsageError(`-D ${raw}: the value does not fit in a 32-bit int`);
    out[m[1] as string] = v;
  }
  return out;
}

function load(
  spec: string,
  defines: Record<string, number>,
  includeDirs: string[],
  fine = false,
): LoadResult & { ok: true } {
  if (!existsSync(spec)) throw new UsageError(`${spec}: no such file`);
  if (statSync(spec).isDirectory())
    throw new UsageError(`${spec} is a directory (did you mean: ipcmc suite ${spec}?)`);
  const r = loadProgram(spec, { defines, includeDirs, fine });
  if (!r.ok) {
    const n = r.diagnostics.length;
    throw new SpecError(
      `${r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n")}\n${n} error${n === 1 ? "" : "s"}`,
    );
  }
  return r;
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

function exitCodeOf(o: Outcome): number {
  return o.verdict === "holds" ? EXIT_HOLDS : o.verdict === "violated" ? EXIT_VIOLATED : EXIT_INCONCLUSIVE;
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
    out.set(p.name, buildTrace(sys, r.sources, p.counterexample.choices).trace);
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
}

/** A numeric flag must be a finite number >= 0 (yargs turns `--max-states abc` into NaN). */
function checkNumber(flag: string, v: unknown): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${flag} expects a number >= 0`);
  return n;
}

function runCheck(a: CheckArgs): number {
  checkNumber("max-states", a.maxStates);
  checkNumber("max-depth", a.maxDepth);
  checkNumber("time-limit", a.timeLimit);
  checkNumber("memory", a.memory);
  const defines = parseDefines(a.D);
  const includeDirs = (Array.isArray(a.I) ? a.I : a.I ? [a.I] : []).map(String);
  const r = load(a.spec, defines, includeDirs, a.fine);
  const sys = new System(r.program);
  const opts: Partial<SearchOptions> = {
    strategy: a.strategy === "dfs" ? "dfs" : "bfs",
    maxStates: a.maxStates,
    maxDepth: a.maxDepth,
    timeLimit: a.timeLimit,
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
  const defs = Object.entries(defines).map(([k, v]) => `-D ${k}=${v}`);
  const base = ["ipcmc", "check", shellQuote(a.spec), ...defs].join(" ");
  const replayHint = first
    ? a.json
      ? `ipcmc replay ${shellQuote(a.json)}`
      : `${base} --json trace.json && ipcmc replay trace.json`
    : null;
  const expectation = r.program.expect
    ? {
        text:
          r.program.expect.verdict === "holds"
            ? "holds"
            : `violation ${r.program.expect.property ?? ""}`.trim(),
        met: expectationMet(r.program.expect, o),
      }
    : null;
  const chosen: { property: PropertyResult; trace: Trace } | null = first
    ? { property: first, trace: traces.get(first.name) as Trace }
    : reach
      ? { property: reach, trace: { steps: [], finalState: [], tasks: [] } }
      : null;
  process.stdout.write(
    `${renderReport({ spec: a.spec, defines, outcome: o, trace: chosen, replayHint, expectation, shortest: a.strategy !== "dfs", columns: a.columns })}\n`,
  );
  if (a.json) {
    const origin = traceOrigin(r, { spec: a.spec, json: a.json, defines, includeDirs, fine: a.fine });
    writeFileSync(a.json, `${JSON.stringify(toJson(origin, o, traces), null, 2)}\n`);
    process.stdout.write(`wrote ${a.json}\n`);
  }
  return exitCodeOf(o);
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
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) {
        if (e.name !== "lib" && e.name !== "node_modules" && !e.name.startsWith(".")) walk(p);
      } else if (e.name.endsWith(".kc")) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function runSuite(
  dir: string,
  maxStates: number,
  json: string | undefined,
  junit: string | undefined,
): number {
  if (!existsSync(dir)) throw new UsageError(`${dir}: no such directory`);
  const files = statSync(dir).isDirectory() ? findSpecs(dir) : [dir];
  const cases: SuiteCase[] = [];
  for (const f of files) {
    const name = relative(process.cwd(), resolve(f)) || f;
    const r = loadProgram(f, {});
    const none = { states: 0, transitions: 0, seconds: 0 };
    if (!r.ok) {
      const detail = r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n");
      process.stdout.write(`FAIL  ${name}: does not compile\n${detail}\n`);
      cases.push({ spec: name, result: "fail", expected: null, got: "does not compile", detail, ...none });
      continue;
    }
    const e = r.program.expect;
    if (!e) {
      process.stdout.write(`skip  ${name}: no expect declaration\n`);
      cases.push({
        spec: name,
        result: "skip",
        expected: null,
        got: "no expect declaration",
        detail: null,
        ...none,
      });
      continue;
    }
    const sys = new System(r.program);
    const o = explore(sys, { ...DEFAULT_OPTIONS, keepGoing: true, maxStates });
    const met = expectationMet(e, o);
    const expected = e.verdict === "holds" ? "holds" : `violation ${e.property ?? ""}`.trim();
    const got =
      o.verdict === "holds"
        ? "holds"
        : o.verdict === "inconclusive"
          ? `inconclusive (${o.limit})`
          : `violated: ${o.properties
              .filter((p) => p.status === "violated")
              .map((p) => p.name)
              .join(", ")}`;
    process.stdout.write(
      `${met ? "PASS" : "FAIL"}  ${name}  expect ${expected}; got ${got}  [${num(o.stats.states)} states, ${o.stats.seconds.toFixed(2)} s]\n`,
    );
    cases.push({
      spec: name,
      result: met ? "pass" : "fail",
      expected,
      got,
      detail: null,
      states: o.stats.states,
      transitions: o.stats.transitions,
      seconds: o.stats.seconds,
    });
  }
  const passed = cases.filter((c) => c.result === "pass").length;
  const failed = cases.filter((c) => c.result === "fail").length;
  const skipped = cases.filter((c) => c.result === "skip").length;
  if (json)
    writeFileSync(
      json,
      `${JSON.stringify({ ipcmc: 1, suite: dir, passed, failed, skipped, specs: cases }, null, 2)}\n`,
    );
  if (junit) writeFileSync(junit, renderJunit(dir, cases));
  process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`);
  return failed > 0 ? EXIT_VIOLATED : files.length === 0 ? EXIT_USAGE : EXIT_HOLDS;
}

/** Runs the command line; returns the exit code. */
export function main(argv: string[]): number {
  let code = EXIT_USAGE;
  const searchFlags = (y: ReturnType<typeof yargs>) =>
    y
      .option("D", { type: "string", array: true, describe: "override a const: -D N=4", requiresArg: true })
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
      })
      .option("max-states", {
        type: "number",
        default: DEFAULT_OPTIONS.maxStates,
        describe: "stop (inconclusive) after this many states",
      })
      .option("max-depth", {
        type: "number",
        default: DEFAULT_OPTIONS.maxDepth,
        describe: "do not expand deeper states (inconclusive)",
      })
      .option("time-limit", {
        type: "number",
        default: 0,
        describe: "stop (inconclusive) after this many seconds; 0: none",
      })
      .option("memory", {
        type: "number",
        default: DEFAULT_OPTIONS.memoryLimit / 1024 / 1024,
        describe: "stop (inconclusive) when the store holds this many MiB",
      })
      .option("keep-going", {
        type: "boolean",
        default: false,
        describe: "go on after the first violation so every property gets a verdict",
      })
      .option("stuck-waiters", {
        type: "boolean",
        default: true,
        describe: "check for tasks that sleep forever (keeps the graph's edges)",
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
      .option("columns", {
        type: "boolean",
        default: false,
        describe: "lay the counterexample out with one column per process",
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
            .epilogue(
              "exit codes: 1 reproduced (the violation is real on this spec); 2 not reproduced, or a wrong trace, spec or command line; 3 inconclusive (a limit stopped the decision)",
            ),
        (a) => {
          code = runReplay(String(a.trace), {
            property: a.property as string | undefined,
            force: a.force === true,
            maxStates: Number(a.maxStates),
            includeDirs: (Array.isArray(a.I) ? a.I : a.I ? [a.I] : []).map(String),
          });
        },
      )
      .command(
        "suite <dir>",
        "check every spec under a directory against its expect declaration",
        (y) =>
          y
            .positional("dir", { type: "string" })
            .option("max-states", {
              type: "number",
              default: 5_000_000,
              describe: "per spec; a spec that reaches it fails as inconclusive",
            })
            .option("json", {
              type: "string",
              describe: "write a summary as JSON to this file",
              requiresArg: true,
            })
            .option("junit", {
              type: "string",
              describe: "write JUnit XML (one test case per spec) to this file",
              requiresArg: true,
            }),
        (a) => {
          code = runSuite(
            String(a.dir),
            Number(a.maxStates),
            a.json as string | undefined,
            a.junit as string | undefined,
          );
        },
      )
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
    if (e instanceof UsageError) {
      process.stderr.write(`ipcmc: ${e.message}\n`);
      return EXIT_USAGE;
    }
    if (e instanceof SpecError) {
      process.stderr.write(`${e.message}\n`);
      return EXIT_USAGE;
    }
    // A file that cannot be read or written (a directory, no permission): one line, exit 2.
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) {
      process.stderr.write(`ipcmc: ${(e as Error).message}\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
  return code;
}

// Run when executed as the bin (not when imported by tests).
if (process.argv[1] && /ipcmc(\.js|\.mjs)?$|cli\.(ts|js|mjs)$/.test(process.argv[1])) {
  process.exitCode = main(hideBin(process.argv));
}
