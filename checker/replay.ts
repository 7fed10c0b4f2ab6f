// `ipcmc replay`: reruns a counterexample saved with --json against its spec and says whether it
// still shows the recorded violation.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { formatDiagnostic } from "../model/diagnostics";
import { type LoadResult, loadProgram } from "../model/load";
import { type JsonReport, validateJson } from "../reports/json";
import { renderTrace } from "../reports/text";
import { System } from "./system";
import { buildTrace, ReplayError } from "./trace";

/** Exit codes of `ipcmc replay` (the same numbers as `check`, DESIGN.md). */
export const REPLAY_REPRODUCED = 1;
export const REPLAY_BAD_INPUT = 2;

/** A trace or spec that cannot be replayed: one line on stderr, exit 2. */
export class ReplayInputError extends Error {}

function loadSpec(spec: string, defines: Record<string, number>): LoadResult & { ok: true } {
  if (!existsSync(spec)) throw new ReplayInputError(`${spec}: no such file`);
  if (statSync(spec).isDirectory()) throw new ReplayInputError(`${spec} is a directory`);
  const r = loadProgram(spec, { defines, includeDirs: [] });
  if (!r.ok) {
    const n = r.diagnostics.length;
    throw new ReplayInputError(
      `${r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n")}\n${n} error${n === 1 ? "" : "s"}`,
    );
  }
  return r;
}

/** Replays the counterexample of `propertyName` (default: the first) saved in `file`; returns the exit code. */
export function runReplay(file: string, propertyName: string | undefined): number {
  try {
    return replayFile(file, propertyName);
  } catch (e) {
    if (e instanceof ReplayInputError) {
      process.stderr.write(`ipcmc: ${e.message}\n`);
      return REPLAY_BAD_INPUT;
    }
    throw e;
  }
}

function replayFile(file: string, propertyName: string | undefined): number {
  if (!existsSync(file)) throw new ReplayInputError(`${file}: no such file`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ReplayInputError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const err = validateJson(data);
  if (err) throw new ReplayInputError(`${file}: ${err}`);
  const report = data as JsonReport;
  // The spec path is as it was given when the trace was saved; try it relative to the trace too.
  let spec = report.spec;
  if (!existsSync(spec)) {
    const alt = join(dirname(file), report.spec);
    if (existsSync(alt)) spec = alt;
    else throw new ReplayInputError(`${file}: its spec ${report.spec} cannot be found`);
  }
  const r = loadSpec(spec, report.defines ?? {});
  const sys = new System(r.program);
  const candidates = report.properties.filter(
    (p) => p.counterexample && (!propertyName || p.name === propertyName),
  );
  if (candidates.length === 0)
    throw new ReplayInputError(
      `${file}: no counterexample${propertyName ? ` for property ${propertyName}` : ""} to replay`,
    );
  const p = candidates[0] as JsonReport["properties"][number];
  const cx = p.counterexample as NonNullable<typeof p.counterexample>;
  let built: ReturnType<typeof buildTrace>;
  try {
    built = buildTrace(
      sys,
      r.sources,
      cx.choices.map((c) => c.index),
      cx.choices.map((c) => ({ slot: c.slot, values: c.values })),
    );
  } catch (e) {
    if (e instanceof ReplayError) throw new ReplayInputError(`${file}: ${e.message}`);
    throw e;
  }
  const defs = Object.entries(report.defines ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  process.stdout.write(
    `replaying ${p.kind} ${p.name} of ${spec}${defs ? ` (${defs})` : ""}: ${cx.choices.length} steps\n\n`,
  );
  process.stdout.write(`${renderTrace(built.trace)}\n\n`);
  const verdict = reproduces(sys, p, built);
  process.stdout.write(`${verdict.ok ? "reproduced" : "NOT reproduced"}: ${verdict.why}\n`);
  return verdict.ok ? REPLAY_REPRODUCED : REPLAY_BAD_INPUT;
}
/** Whether the end of a replayed trace shows the recorded violation. */
function reproduces(
  sys: System,
  p: JsonReport["properties"][number],
  built: ReturnType<typeof buildTrace>,
): { ok: boolean; why: string } {
  const last = built.trace.steps[built.trace.steps.length - 1];
  const m = built.last;
  if (p.kind === "assertion" || p.kind === "runtime_error") {
    return last?.fault
      ? { ok: true, why: `step ${last.n} (${last.process}) fails: ${last.fault.message}` }
      : { ok: false, why: "the last step did not fail" };
  }
  if (p.kind === "invariant") {
    const i = sys.program.properties.findIndex((q) => q.name === p.name);
    const pred = sys.compiled.properties[i];
    if (!pred) return { ok: false, why: `the spec has no invariant ${p.name} any more` };
    let ok: boolean;
    try {
      ok = pred(m) === 0;
    } catch {
      ok = true;
    }
    return ok
      ? { ok, why: `invariant ${p.name} is false after step ${built.trace.steps.length}` }
      : { ok, why: `invariant ${p.name} holds at the end` };
  }
  if (p.kind === "deadlock") {
    const none = sys.choices(m).length === 0 && !sys.allExited(m);
    return { ok: none, why: none ? "no process can take a step" : "a process can still step" };
  }
  if (p.kind === "stuck_waiter") {
    const sleeping = built.trace.tasks.filter((t) => t.status.startsWith("asleep"));
    return sleeping.length > 0
      ? {
          ok: true,
          why: `${sleeping.map((t) => t.process).join(", ")} asleep in the state from which no wake-up can come`,
        }
      : { ok: false, why: "no task is asleep at the end" };
  }
  if (p.kind === "final") {
    const i = sys.program.properties.findIndex((q) => q.name === p.name);
    const pred = sys.compiled.properties[i];
    const ok = sys.allExited(m) && !!pred && pred(m) === 0;
    return {
      ok,
      why: ok
        ? `final ${p.name} is false when every process has exited`
        : `final ${p.name} is not violated at the end`,
    };
  }
  return { ok: false, why: `a ${p.kind} property cannot be replayed` };
}
