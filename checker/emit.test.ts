// The typed emitter: generated code holds only the compiler's text, checked integers and pieces,
// so nothing from a spec, a trace or a -D value can ever run as JavaScript.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadProgram } from "../model/load";
import { compileProgram } from "./compile";
import { buildFunction, EmitError, type Js, js } from "./emit";

const PAYLOAD = "3) + (globalThis.__ipcmcPwned = 1, 0";

describe("js", () => {
  it("splices integers and pieces", () => {
    expect(js`a${1}b${js`c`}d${-2}`.src).toBe("a1bcd(-2)");
  });

  it("refuses strings, non-integers and objects it did not make", () => {
    const bad: unknown[] = [
      PAYLOAD,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 60,
      { src: PAYLOAD },
      null,
      undefined,
      1n,
    ];
    for (const v of bad) expect(() => js`x = ${v as Js};`).toThrow(EmitError);
  });

  it("refuses template text that is not a literal", () => {
    const forged = Object.assign([PAYLOAD], { raw: [PAYLOAD] }) as unknown as TemplateStringsArray;
    expect(() => js(forged)).toThrow(EmitError);
  });

  it("buildFunction runs only pieces", () => {
    expect(() => buildFunction([], { src: "return 1" } as unknown as Js)).toThrow(EmitError);
    expect(buildFunction([js`a`], js`return a + 1;`, 41)).toBe(42);
  });
});

describe("compileProgram", () => {
  it("refuses an IR constant that is not an int32 instead of running it", () => {
    const r = loadProgram("t.kc", {}, "const N = 3;\nint x;\nprocess p { x = N; }\n");
    if (!r.ok) throw new Error("did not compile");
    // Poison every constant, as a -D value that skipped validation would.
    const poison = (o: unknown): void => {
      if (typeof o !== "object" || o === null) return;
      const rec = o as Record<string, unknown>;
      if (rec.k === "const" && typeof rec.v === "number" && rec.v === 3) rec.v = PAYLOAD;
      for (const v of Object.values(rec)) poison(v);
    };
    poison(r.program.code);
    const g = globalThis as Record<string, unknown>;
    delete g.__ipcmcPwned;
    expect(() => compileProgram(r.program, 64)).toThrow(/internal error/);
    expect(g.__ipcmcPwned).toBeUndefined();
  });

  it("keeps assertion messages out of the code", () => {
    const msg = `"); globalThis.__ipcmcPwned = 1; ("`;
    const r = loadProgram("t.kc", {}, `int x;\nprocess p { assert(x == 1, ${JSON.stringify(msg)}); }\n`);
    if (!r.ok) throw new Error("did not compile");
    const c = compileProgram(r.program, 64);
    expect(c.source).not.toContain("__ipcmcPwned");
  });
});

describe("the source tree", () => {
  it("has no other way of running text as code than checker/emit.ts", () => {
    const root = join(__dirname, "..");
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (
          /\.(ts|mjs|js)$/.test(name) &&
          !name.endsWith(".test.ts") &&
          path !== join(root, "checker/emit.ts")
        ) {
          const text = readFileSync(path, "utf8");
          if (/new Function\b|\beval\(|\bFunction\(|vm\.run|runInContext|runInNewContext/.test(text))
            offenders.push(path);
        }
      }
    };
    walk(root);
    expect(offenders).toEqual([]);
  });
});
