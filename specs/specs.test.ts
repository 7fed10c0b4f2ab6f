// Every bundled spec: its `expect` is met by the explorer's verdict, and its state count is
// pinned, so a change that silently shrinks or grows the explored space shows up.
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { explore } from "../checker/explore";
import { System } from "../checker/system";
import { formatDiagnostic } from "../model/diagnostics";
import { loadProgram } from "../model/load";

function specFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== "lib") out.push(...specFiles(p));
    else if (e.name.endsWith(".kc")) out.push(p);
  }
  return out.sort();
}

const files = specFiles(__dirname);

describe("bundled specs", () => {
  it("there are specs to check", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const f of files) {
    const name = relative(join(__dirname, ".."), f);
    it(name, () => {
      const r = loadProgram(f);
      if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d, r.sources)).join("\n"));
      const e = r.program.expect;
      expect(e, `${name} has no expect declaration`).not.toBeNull();
      if (!e) return;
      const o = explore(new System(r.program), { keepGoing: true, maxStates: 2_000_000 });
      const violated = o.properties.filter((p) => p.status === "violated").map((p) => p.name);
      if (e.verdict === "holds")
        expect({ verdict: o.verdict, violated }).toEqual({ verdict: "holds", violated: [] });
      else expect(violated).toContain(e.property);
      expect({
        verdict: o.verdict,
        violated,
        states: o.stats.states,
        transitions: o.stats.transitions,
      }).toMatchSnapshot();
    });
  }
});
