// An internal error of ipcmc is never a verdict: exit 4 and one line asking to report it; a suite
// records the spec that crashed as failed, checks the others and still writes its reports.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { main } from "./cli";
import { captureOutput } from "./cliCapture";

// The search crashes on any spec that declares `int crash;`, as a bug in ipcmc would.
vi.mock("./explore", async (real) => {
  const mod = await real<typeof import("./explore")>();
  return {
    ...mod,
    explore: (...args: Parameters<typeof mod.explore>) => {
      if (args[0].program.globals.some((g: { name: string }) => g.name === "crash"))
        throw new TypeError("Cannot read properties of undefined (reading 'x')");
      return mod.explore(...args);
    },
  };
});

const io = captureOutput();

const CRASH = "int crash;\nprocess p { crash = 1; }\nexpect holds;\n";
const FINE = "int x;\nprocess p { x = 1; }\nexpect holds;\n";

describe("internal errors (item 16)", () => {
  it("check exits 4 with one line asking to report it, and no stack", () => {
    const dir = mkdtempSync(join(tmpdir(), "ipcmc-internal-"));
    writeFileSync(join(dir, "c.kc"), CRASH);
    expect(main(["check", join(dir, "c.kc"), "--no-progress"])).toBe(4);
    expect(io.err.trim().split("\n")).toHaveLength(1);
    expect(io.err).toMatch(
      /^ipcmc: internal error: this is a bug in ipcmc, not a verdict on your spec; please report it/,
    );
    expect(io.err).toContain("TypeError: Cannot read properties of undefined");
    expect(io.err).not.toMatch(/\n\s+at /);
    expect(io.out).toBe("");
  });

  it("--debug adds the stack", () => {
    const dir = mkdtempSync(join(tmpdir(), "ipcmc-internal-"));
    writeFileSync(join(dir, "c.kc"), CRASH);
    expect(main(["check", join(dir, "c.kc"), "--no-progress", "--debug"])).toBe(4);
    expect(io.err).toMatch(/\n\s+at /);
  });

  it("suite records the crash as failed, checks the rest, writes JSON and JUnit, and exits 4", () => {
    const dir = mkdtempSync(join(tmpdir(), "ipcmc-internal-"));
    writeFileSync(join(dir, "a-crash.kc"), CRASH);
    writeFileSync(join(dir, "b-fine.kc"), FINE);
    const reports = mkdtempSync(join(tmpdir(), "ipcmc-internal-out-"));
    const json = join(reports, "s.json");
    const xml = join(reports, "s.xml");
    expect(main(["suite", dir, "--json", json, "--junit", xml])).toBe(4);
    expect(io.out).toMatch(/FAIL\s+\S*a-crash\.kc\s+expect holds; got internal error of ipcmc/);
    expect(io.out).toMatch(/PASS\s+\S*b-fine\.kc/);
    expect(io.out).toContain("1 passed, 1 failed");
    const summary = JSON.parse(readFileSync(json, "utf8"));
    expect(summary).toMatchObject({ passed: 1, failed: 1, internalErrors: 1 });
    expect(readFileSync(xml, "utf8")).toMatch(
      /<failure message="expect holds; got internal error of ipcmc">TypeError/,
    );
    expect(io.err).toMatch(/internal error: this is a bug in ipcmc.*\(1 spec above\)/);
  });
});
