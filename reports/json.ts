// The JSON form of an outcome: verdicts, figures, and each counterexample as replayable choices.
import type { Outcome } from "../checker/outcome";
import type { Trace } from "../checker/trace";

/** Version of the JSON layout; `ipcmc replay` refuses other versions. */
export const JSON_FORMAT = 1;

export interface JsonChoice {
  /** Index into the ordered choices of the state before this step. */
  index: number;
  process: string;
  slot: number;
  values: number[];
}

export interface JsonReport {
  ipcmc: number;
  spec: string;
  defines: Record<string, number>;
  verdict: Outcome["verdict"];
  limit: string | null;
  stats: Outcome["stats"];
  properties: Array<{
    name: string;
    kind: string;
    status: string;
    message: string | null;
    counterexample: { choices: JsonChoice[]; steps: Trace["steps"] } | null;
  }>;
}

/** Builds the JSON report; `traces` maps a property name to its replayed counterexample. */
export function toJson(
  spec: string,
  defines: Record<string, number>,
  outcome: Outcome,
  traces: Map<string, Trace>,
): JsonReport {
  return {
    ipcmc: JSON_FORMAT,
    spec,
    defines,
    verdict: outcome.verdict,
    limit: outcome.limit,
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
              steps: t.steps,
            }
          : null,
      };
    }),
  };
}

/** Checks the shape of a parsed JSON report enough to replay it; returns an error or null. */
export function validateJson(x: unknown): string | null {
  if (!x || typeof x !== "object") return "not a JSON object";
  const r = x as Partial<JsonReport>;
  if (r.ipcmc !== JSON_FORMAT)
    return `not an ipcmc trace of format ${JSON_FORMAT} (field "ipcmc" is ${JSON.stringify(r.ipcmc)})`;
  if (typeof r.spec !== "string") return 'field "spec" is missing';
  if (!Array.isArray(r.properties)) return 'field "properties" is missing';
  for (const p of r.properties) {
    const cx = p?.counterexample;
    if (!cx) continue;
    if (!Array.isArray(cx.choices)) return `property ${p.name}: "choices" is not a list`;
    for (const c of cx.choices)
      if (!c || typeof c.index !== "number" || typeof c.slot !== "number" || !Array.isArray(c.values))
        return `property ${p.name}: a choice lacks index, slot or values`;
  }
  return null;
}
