// The JSON form of an outcome: verdicts, figures, and each counterexample as replayable choices,
// and the schema a trace file must meet before `ipcmc replay` uses any of it.
import type { Outcome } from "../checker/outcome";
import type { Trace } from "../checker/trace";
import type { ExecModel } from "../model/ir";

/**
 * Version of the JSON layout; `ipcmc replay` refuses other versions. 2: the spec's content
 * hash, its path relative to the trace, --fine and the -I directories are recorded (and, optional
 * so that older traces still read, the execution model).
 */
export const JSON_FORMAT = 2;

export interface JsonChoice {
  /** Index into the ordered choices of the state before this step. */
  index: number;
  process: string;
  slot: number;
  values: number[];
}

/** Where a trace came from: enough to load the same spec again and to tell that it is the same. */
export interface TraceOrigin {
  /** The spec path as it was given to `check`. */
  spec: string;
  /** The same file relative to the directory of the JSON file, so the pair can move together. */
  specFromTrace: string;
  /** "sha256:" and the hex digest of every source text, the defines and the semantic flags. */
  specHash: string;
  defines: Record<string, number>;
  fine: boolean;
  /** The execution model the run used (the spec's or --model's); absent in older traces: smp. */
  model?: ExecModel;
  /** `-I` directories, absolute. */
  includeDirs: string[];
}

export interface JsonReport extends TraceOrigin {
  ipcmc: number;
  verdict: Outcome["verdict"];
  limit: string | null;
  /**
   * Why the verdict is inconclusive (the limit that ended the search, or a check that was not
   * run, such as stuck waiters under --no-stuck-waiters); null otherwise. Optional when read.
   */
  inconclusiveReason?: string | null;
  stats: Outcome["stats"];
  properties: Array<{
    name: string;
    kind: string;
    status: string;
    message: string | null;
    counterexample: { choices: JsonChoice[]; steps: Trace["steps"]; operands?: Trace["operands"] } | null;
  }>;
}

/**
 * Builds the JSON report; `traces` maps a property name to its replayed counterexample,
 * `inconclusiveReason` says why an inconclusive verdict is one (reports/text.ts).
 */
export function toJson(
  origin: TraceOrigin,
  outcome: Outcome,
  traces: Map<string, Trace>,
  inconclusiveReason: string | null = null,
): JsonReport {
  return {
    ipcmc: JSON_FORMAT,
    ...origin,
    verdict: outcome.verdict,
    limit: outcome.limit,
    inconclusiveReason,
    stats: outcome.stats,
    properties: outcome.properties.map((p) => {
      const t = traces.get(p.name);
      return {
        name: p.name,
        kind: p.kind,
        status: p.status,
        message: p.counterexample?.message ?? null,
        counterexample: t
          ? {
              choices: t.steps.map((s) => ({
                index: s.choice,
                process: s.process,
                slot: s.slot,
                values: s.values,
              })),
              steps: t.steps.map(plainFaultSpan),
              ...(t.operands ? { operands: t.operands } : {}),
            }
          : null,
      };
    }),
  };
}

/**
 * A step whose fault span names the macro expansion it happened in, with the span cut to the
 * macro's use (file, start, end): `where` already shows that place, and replay reads nothing of it.
 */
function plainFaultSpan(s: Trace["steps"][number]): Trace["steps"][number] {
  const span = s.fault?.span;
  if (!s.fault || !span?.expansion) return s;
  return { ...s, fault: { ...s.fault, span: { file: span.file, start: span.start, end: span.end } } };
}

// ---------------------------------------------------------------- the schema of a trace file

/** Limits of a trace file's contents; the file's size is capped before parsing (checker/replay.ts). */
export const TRACE_LIMITS = {
  /** Steps of one counterexample: the search's default --max-depth. */
  steps: 1_000_000,
  properties: 10_000,
  /** choose() values of one step. */
  values: 1_024,
  /** Statements or changed words named in one step. */
  perStep: 100_000,
  defines: 1_000,
  includeDirs: 100,
  /** A name, label or path. */
  name: 4_096,
  /** A message or a line of source. */
  text: 65_536,
} as const;

/** A JSON value's expected shape. Objects list every field; anything else in them is refused. */
type Schema =
  | { t: "int"; min: number; max: number }
  | { t: "number" }
  | { t: "bool" }
  | { t: "string"; max: number; pattern?: RegExp; what?: string }
  | { t: "enum"; values: readonly string[] }
  | { t: "nullable"; of: Schema }
  | { t: "list"; of: Schema; max: number }
  | { t: "object"; fields: Record<string, Schema>; optional?: readonly string[] }
  | { t: "map"; key: RegExp; keyWhat: string; of: Schema; max: number }
  /**
   * An object of `fields` whose field `link` is null or another such object, at most `max`
   * deep; checked in a loop, so a hostile chain cannot overflow the stack.
   */
  | { t: "chain"; fields: Record<string, Schema>; link: string; max: number };

const INT32 = { t: "int", min: -(2 ** 31), max: 2 ** 31 - 1 } as const;
/** A -D value: an int, or an unsigned int constant above INT_MAX (`-D M=0xffffffff`). */
const DEFINE = { t: "int", min: -(2 ** 31), max: 2 ** 32 - 1 } as const;
const COUNT = { t: "int", min: 0, max: 2 ** 31 - 1 } as const;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** No control characters (C0, DEL, C1): these strings are printed. */
const PRINTABLE = /^\P{Cc}*$/u;
const label: Schema = { t: "string", max: TRACE_LIMITS.name, pattern: PRINTABLE, what: "printable text" };
const text: Schema = { t: "string", max: TRACE_LIMITS.text };
const nullable = (of: Schema): Schema => ({ t: "nullable", of });
const list = (of: Schema, max: number): Schema => ({ t: "list", of, max });

const where: Schema = {
  t: "object",
  fields: { file: label, line: COUNT, col: COUNT, text, shared: { t: "bool" } },
  optional: ["shared"],
};

/**
 * The macro expansion a fault happened in (model/ast.ts Expansion), innermost first. Traces
 * are written without it (see plainFaultSpan), but those of earlier versions have it.
 */
const expansion: Schema = {
  t: "chain",
  fields: { macro: label, defined: { t: "object", fields: { file: COUNT, start: COUNT, end: COUNT } } },
  link: "outer",
  max: 256,
};

/** A variable a failed check reads, and its value there (checker/trace.ts Operand). */
const operand: Schema = { t: "object", fields: { name: text, value: text } };

const step: Schema = {
  t: "object",
  fields: {
    n: COUNT,
    choice: { t: "int", min: 0, max: 0xffff },
    slot: COUNT,
    process: label,
    kind: { t: "enum", values: ["process", "interrupt"] },
    values: list(INT32, TRACE_LIMITS.values),
    statements: list(where, TRACE_LIMITS.perStep),
    entered: list(label, TRACE_LIMITS.perStep),
    changes: list({ t: "object", fields: { name: label, from: text, to: text } }, TRACE_LIMITS.perStep),
    fault: nullable({
      t: "object",
      fields: {
        kind: { t: "string", max: 64, pattern: /^[a-z_]+$/, what: "a fault kind" },
        message: text,
        pc: COUNT,
        span: nullable({
          t: "object",
          fields: { file: COUNT, start: COUNT, end: COUNT, expansion },
          optional: ["expansion"],
        }),
        where: nullable(where),
        operands: list(operand, TRACE_LIMITS.perStep),
      },
      optional: ["operands"],
    }),
  },
  // Traces saved before `entered` existed lack it.
  optional: ["entered"],
};

const choice: Schema = {
  t: "object",
  fields: {
    // Choices are stored in 16 bits by the search (checker/stateStore.ts MAX_CHOICE).
    index: { t: "int", min: 0, max: 0xffff },
    process: label,
    slot: { t: "int", min: 0, max: 1_000_000 },
    values: list(INT32, TRACE_LIMITS.values),
  },
};

const property: Schema = {
  t: "object",
  fields: {
    name: { t: "string", max: 256, pattern: IDENT, what: "a name" },
    kind: {
      t: "enum",
      values: [
        "invariant",
        "final",
        "reachable",
        "assertion",
        "deadlock",
        "stuck_waiter",
        "runtime_error",
        "memory_leak",
      ],
    },
    status: { t: "enum", values: ["holds", "violated", "inconclusive"] },
    message: nullable(text),
    counterexample: nullable({
      t: "object",
      fields: {
        choices: list(choice, TRACE_LIMITS.steps),
        steps: list(step, TRACE_LIMITS.steps),
        operands: list(operand, TRACE_LIMITS.perStep),
      },
      optional: ["operands"],
    }),
  },
};

const report: Schema = {
  t: "object",
  fields: {
    ipcmc: { t: "int", min: JSON_FORMAT, max: JSON_FORMAT },
    spec: label,
    specFromTrace: label,
    specHash: { t: "string", max: 71, pattern: /^sha256:[0-9a-f]{64}$/, what: "sha256: and 64 hex digits" },
    defines: { t: "map", key: IDENT, keyWhat: "a constant's name", of: DEFINE, max: TRACE_LIMITS.defines },
    fine: { t: "bool" },
    model: { t: "enum", values: ["smp", "up"] },
    includeDirs: list(label, TRACE_LIMITS.includeDirs),
    verdict: { t: "enum", values: ["holds", "violated", "inconclusive"] },
    limit: nullable(label),
    inconclusiveReason: nullable(label),
    stats: { t: "map", key: /^[A-Za-z]+$/, keyWhat: "a figure's name", of: { t: "number" }, max: 64 },
    properties: list(property, TRACE_LIMITS.properties),
  },
  // Traces written before the field existed are still read.
  optional: ["inconclusiveReason", "model"],
};

/** Keys that would reach an object's prototype if copied into a plain object. */
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/** A hostile string, shortened and with everything but printable ASCII escaped, for a message. */
function quote(s: string): string {
  const short = s.length > 40 ? `${s.slice(0, 40)}…` : s;
  return `"${short.replace(/[^\x20-\x7e…]|["\\]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}"`;
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "a list";
  if (typeof x === "number") return Number.isInteger(x) ? `${x}` : "a fraction";
  if (typeof x === "string") return "a string";
  if (typeof x === "boolean") return "true/false";
  return typeof x === "object" ? "an object" : typeof x;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Checks `x` against `s`; returns what is wrong, prefixed with where, or null. */
function check(x: unknown, s: Schema, at: string): string | null {
  const here = at || "the file";
  switch (s.t) {
    case "int":
      if (typeof x !== "number" || !Number.isInteger(x) || x < s.min || x > s.max)
        return `${here}: expected an integer from ${s.min} to ${s.max}, found ${describe(x)}`;
      return null;
    case "number":
      if (typeof x !== "number" || !Number.isFinite(x) || x < 0)
        return `${here}: expected a number >= 0, found ${describe(x)}`;
      return null;
    case "bool":
      return typeof x === "boolean" ? null : `${here}: expected true or false, found ${describe(x)}`;
    case "string":
      if (typeof x !== "string") return `${here}: expected a string, found ${describe(x)}`;
      if (x.length > s.max) return `${here}: longer than ${s.max} characters`;
      if (s.pattern && !s.pattern.test(x)) return `${here}: ${quote(x)} is not ${s.what ?? "allowed"}`;
      return null;
    case "enum":
      if (typeof x !== "string" || !s.values.includes(x))
        return `${here}: expected one of ${s.values.join(", ")}, found ${typeof x === "string" ? quote(x) : describe(x)}`;
      return null;
    case "nullable":
      return x === null ? null : check(x, s.of, at);
    case "list": {
      if (!Array.isArray(x)) return `${here}: expected a list, found ${describe(x)}`;
      if (x.length > s.max) return `${here}: more than ${s.max} entries`;
      for (let i = 0; i < x.length; i++) {
        const e = check(x[i], s.of, `${at}[${i}]`);
        if (e) return e;
      }
      return null;
    }
    case "object": {
      if (!isObject(x)) return `${here}: expected an object, found ${describe(x)}`;
      for (const k of Object.keys(x))
        if (!Object.hasOwn(s.fields, k)) return `${here}: unknown field ${quote(k)}`;
      for (const [k, f] of Object.entries(s.fields)) {
        const inner = at ? `${at}.${k}` : k;
        if (!Object.hasOwn(x, k)) {
          if (s.optional?.includes(k)) continue;
          return `${inner}: missing`;
        }
        const e = check(x[k], f, inner);
        if (e) return e;
      }
      return null;
    }
    case "chain": {
      const node: Schema = { t: "object", fields: s.fields };
      let y = x;
      let path = at;
      for (let depth = 0; y !== null; depth++) {
        if (depth >= s.max) return `${path}: more than ${s.max} nested entries`;
        if (!isObject(y)) return `${path}: expected an object, found ${describe(y)}`;
        if (!Object.hasOwn(y, s.link)) return `${path}.${s.link}: missing`;
        const { [s.link]: next, ...rest } = y;
        const e = check(rest, node, path);
        if (e) return e;
        path = `${path}.${s.link}`;
        y = next;
      }
      return null;
    }
    case "map": {
      if (!isObject(x)) return `${here}: expected an object, found ${describe(x)}`;
      const keys = Object.keys(x);
      if (keys.length > s.max) return `${here}: more than ${s.max} entries`;
      for (const k of keys) {
        if (FORBIDDEN_KEYS.has(k) || k.length > 256 || !s.key.test(k))
          return `${here}: ${quote(k)} is not ${s.keyWhat}`;
        const e = check(x[k], s.of, `${at}.${k}`);
        if (e) return e;
      }
      return null;
    }
  }
}

/**
 * Checks a parsed trace file field by field: every field present with its type and range,
 * lists and strings within TRACE_LIMITS, no field that the format does not have. Returns one
 * line saying what is wrong and where, or null when `x` is a JsonReport.
 */
export function validateJson(x: unknown): string | null {
  if (!isObject(x)) return `not an ipcmc trace (expected a JSON object, found ${describe(x)})`;
  if (x.ipcmc !== JSON_FORMAT)
    return typeof x.ipcmc === "number" && Number.isInteger(x.ipcmc) && x.ipcmc >= 1 && x.ipcmc < JSON_FORMAT
      ? `an ipcmc trace of format ${x.ipcmc}, made by an older ipcmc; run check --json again to get format ${JSON_FORMAT}`
      : `not an ipcmc trace of format ${JSON_FORMAT} (field "ipcmc" is ${describe(x.ipcmc)})`;
  return check(x, report, "");
}
