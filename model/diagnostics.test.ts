// One bad KC file per error code: each compiles to exactly that code, its message pinned.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CODES, type Code, formatDiagnostic } from "./diagnostics";
import { loadProgram } from "./load";

const dir = join(__dirname, "testdata", "bad");
const files = readdirSync(dir).filter((f) => f.endsWith(".kc"));

/** `// ipcmc: -D NAME=VALUE` lines at the top of a bad file give its command-line defines. */
function definesOf(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^\/\/ ipcmc: -D (\w+)=(-?\d+)$/gm)) out[m[1] as string] = Number(m[2]);
  return out;
}

/**
 * Codes that no file can produce: KC502 is about the main file itself being unreadable; KC505
 * needs input over the size caps, tested in load.test.ts rather than kept as a golden file;
 * KC421 comes from running init, after loading (checker/world.test.ts).
 */
const NOT_FROM_A_FILE: Code[] = ["KC502", "KC505", "KC421"];

describe("error codes", () => {
  it("every code has a golden bad file, and every bad file names a real code", () => {
    const covered = new Set(files.map((f) => f.slice(0, 5)));
    const missing = (Object.keys(CODES) as Code[]).filter(
      (c) => !covered.has(c) && !NOT_FROM_A_FILE.includes(c),
    );
    expect(missing).toEqual([]);
    for (const c of covered) expect(Object.keys(CODES)).toContain(c);
  });

  for (const f of files) {
    it(`${f} fails with ${f.slice(0, 5)}`, () => {
      const text = readFileSync(join(dir, f), "utf8");
      const r = loadProgram(`model/testdata/bad/${f}`, { defines: definesOf(text) }, text);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.diagnostics.map((d) => d.code)).toContain(f.slice(0, 5));
      const first = r.diagnostics.find((d) => d.code === f.slice(0, 5));
      expect(first && formatDiagnostic(first, r.sources)).toMatchSnapshot();
    });
  }

  it("KC502: a main file that does not exist", () => {
    const r = loadProgram("model/testdata/bad/no-such-file.kc");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics[0]?.code).toBe("KC502");
  });
});
