// The library's claims files (specs/lib/*/claims.json) are what a later issue checks against a
// real kernel, rule by rule: each must be well formed, each id stable and unique, each rule cite
// the kernel, and every spec a rule names must exist (a renamed spec would leave the rule
// claiming a check that no longer runs).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..", "..");
const files = readdirSync(__dirname, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(__dirname, e.name, "claims.json")))
  .map((e) => join(__dirname, e.name, "claims.json"));

interface Rule {
  id: string;
  claim: string;
  kernel: string[];
  era: string;
  specs?: string[];
}

describe("the library's claims", () => {
  it("there is a claims file for each era", () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
  });

  const seen = new Map<string, string>();
  for (const f of files) {
    it(`${f.slice(ROOT.length + 1)}: every rule well formed, its id unique, its specs present`, () => {
      const rules = (JSON.parse(readFileSync(f, "utf8")) as { rules: Rule[] }).rules;
      expect(rules.length).toBeGreaterThan(0);
      for (const r of rules) {
        expect(r.id, JSON.stringify(r)).toMatch(/^[a-z0-9]+(\.[a-z0-9_-]+)+$/);
        expect(seen.get(r.id), `${r.id} is claimed twice`).toBeUndefined();
        seen.set(r.id, f);
        expect(r.claim.length, r.id).toBeGreaterThan(10);
        expect(r.kernel.length, `${r.id} cites no kernel source`).toBeGreaterThan(0);
        for (const k of r.kernel) expect(k, r.id).toMatch(/^[a-z0-9_/.-]+\.[chS]\b/);
        expect(["modern", "2.0"], r.id).toContain(r.era);
        for (const s of r.specs ?? []) {
          expect(s, r.id).toMatch(/^specs\/.*\.kc$/);
          expect(existsSync(join(ROOT, s)), `${r.id} names ${s}, which does not exist`).toBe(true);
        }
      }
    });
  }
});
