// `npm run bench`: explores fixed specs and prints states, transitions, time, states/s,
// bytes per state and peak memory. Run by hand; tests never time anything.

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { explore } from "../checker/explore";
import { System } from "../checker/system";
import { formatDiagnostic } from "../model/diagnostics";
import { loadProgram } from "../model/load";
import { bytes, num } from "../reports/text";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

interface Case {
  spec: string;
  defines: Record<string, number>;
  /** Whether the step memo answers steps seen before (the default). */
  memo: boolean;
}

const cases: Case[] = [
  ...[2, 3, 4, 5].map((n) => ({ spec: "specs/ksem/down-up.kc", defines: { N: n }, memo: true })),
  // The same search running every step, to show what the memo is worth.
  { spec: "specs/ksem/down-up.kc", defines: { N: 5 }, memo: false },
  // Steps that never repeat: the memo must cost next to nothing here.
  { spec: "bench/counter.kc", defines: {}, memo: true },
  { spec: "bench/counter.kc", defines: {}, memo: false },
];

function run(c: Case): string[] {
  const r = loadProgram(join(root, c.spec), { defines: c.defines });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
  const sys = new System(r.program);
  (globalThis as { gc?: () => void }).gc?.();
  const o = explore(sys, { keepGoing: true, memo: c.memo });
  const s = o.stats;
  return [
    [
      c.spec,
      ...Object.entries(c.defines).map(([k, v]) => `${k}=${v}`),
      ...(c.memo ? [] : ["--no-memo"]),
    ].join(" "),
    o.verdict,
    num(s.states),
    num(s.transitions),
    s.seconds.toFixed(2),
    num(s.statesPerSecond),
    `${s.stateWords * 4}`,
    (s.bytes / s.states).toFixed(0),
    bytes(s.peakRss),
    `${((100 * s.remembered) / Math.max(1, s.transitions)).toFixed(1)}%`,
  ];
}

const header = [
  "spec",
  "verdict",
  "states",
  "transitions",
  "seconds",
  "states/s",
  "state B",
  "stored B/state",
  "peak RSS",
  "remembered",
];
const rows = [header];
for (const c of cases) rows.push(run(c));
const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
for (const r of rows)
  console.log(
    r.map((x, i) => (i === 0 ? x.padEnd(widths[i] as number) : x.padStart(widths[i] as number))).join("  "),
  );
console.log(
  `node ${process.version}, one core; stored B/state counts the state store, frontier, graph edges and step memo; peak RSS is the process's so far; remembered: steps answered by the step memo`,
);
