// Bad input never crashes ipcmc: mutated specs either compile or get diagnostics, and whatever
// compiles explores (within a bound) without an exception escaping.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { explore } from "../checker/explore";
import { System } from "../checker/system";
import { CODES } from "./diagnostics";
import { loadProgram } from "./load";

const seeds = [
  "specs/ksem/down-up.kc",
  "specs/ksem/down-up.irq.kc",
  "specs/ksem/down-up.bug-no-remove-wait-queue.kc",
].map((f) => readFileSync(join(__dirname, "..", f), "utf8"));

/** Splits C-like text into tokens and the whitespace between them, so a mutation stays token-shaped. */
function tokens(text: string): string[] {
  return text.match(/\s+|[A-Za-z_]\w*|\d+|->|\+\+|--|&&|\|\||[<>=!]=|\S/g) ?? [];
}

const mutation = fc.record({
  seed: fc.nat(seeds.length - 1),
  edits: fc.array(
    fc.record({
      kind: fc.constantFrom("delete", "duplicate", "swap", "replace"),
      at: fc.nat(),
      with: fc.constantFrom(
        "*",
        "&",
        "NULL",
        "0",
        ";",
        "{",
        "}",
        "(",
        ")",
        "->",
        "x",
        "atomic",
        "schedule()",
        "-1",
        "int",
      ),
    }),
    { minLength: 1, maxLength: 4 },
  ),
});

describe("robustness", () => {
  it("mutated specs compile or fail with diagnostics, and what compiles explores without a crash", () => {
    fc.assert(
      fc.property(mutation, ({ seed, edits }) => {
        const toks = tokens(seeds[seed] as string);
        for (const e of edits) {
          const i = e.at % toks.length;
          if (e.kind === "delete") toks.splice(i, 1);
          else if (e.kind === "duplicate") toks.splice(i, 0, toks[i] as string);
          else if (e.kind === "swap" && i + 1 < toks.length)
            [toks[i], toks[i + 1]] = [toks[i + 1] as string, toks[i] as string];
          else toks[i] = e.with;
        }
        const r = loadProgram("mutant.kc", { defines: { N: 2 } }, toks.join(""));
        if (!r.ok) {
          expect(r.diagnostics.length).toBeGreaterThan(0);
          for (const d of r.diagnostics) expect(Object.keys(CODES)).toContain(d.code);
          return;
        }
        const o = explore(new System(r.program), { keepGoing: true, maxStates: 3000, maxDepth: 200 });
        expect(["holds", "violated", "inconclusive"]).toContain(o.verdict);
      }),
      { numRuns: 300 },
    );
  });
});
