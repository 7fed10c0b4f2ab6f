// The command line end to end, in process: exit codes, reports, JSON and replay, the suite.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "./cli";
import { captureOutput } from "./cliCapture";

const root = join(__dirname, "..");
const downUp = join(root, "specs/ksem/down-up.kc");
const io = captureOutput();

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "ipcmc-cli-"));
}

/** down-up.kc with the wake_up in __up removed: a sleeper is never woken. */
function missingWakeUp(dir: string): string {
  const text = readFileSync(downUp, "utf8").replace("    wake_up(&s->wait);\n", "");
  expect(text).not.toContain("wake_up(&s->wait)");
  const f = join(dir, "missing-wake-up.kc");
  writeFileSync(f, text);
  return f;
}

describe("ipcmc check", () => {
  it("exits 0 when every property holds", () => {
    expect(main(["check", downUp, "-D", "N=2", "--no-progress"])).toBe(0);
    expect(io.out).toContain("every property holds");
    expect(io.out).toMatch(/mutual_exclusion\s+invariant\s+holds/);
    expect(io.out).toContain("expect holds: met");
  });

  it("exits 1 with a readable counterexample when a property is violated", () => {
    const f = missingWakeUp(tmp());
    expect(main(["check", f, "-D", "N=2", "--no-progress"])).toBe(1);
    expect(io.out).toContain("stuck_waiter violated: worker[1] sleeps on sem.wait forever");
    expect(io.out).toMatch(/sem\.count: 0 → -1/);
    expect(io.out).toContain("worker[1].state: TASK_RUNNING → TASK_UNINTERRUPTIBLE");
    expect(io.out).toContain("replay: ipcmc check");
  });

  it("exits 2 with file:line:col, the line and a caret on a bad spec", () => {
    const f = join(tmp(), "broken.kc");
    writeFileSync(f, "int x;\nprocess p {\n    x = x +;\n}\n");
    expect(main(["check", f])).toBe(2);
    expect(io.err).toMatch(/broken\.kc:3:12: error KC111: expected an expression, found ';'/);
    expect(io.err).toContain("    x = x +;");
    expect(io.err).toMatch(/\|\s+\^/);
    expect(io.out).toBe("");
  });

  it("exits 3 with counts when a limit ends the search", () => {
    expect(main(["check", downUp, "-D", "N=3", "--max-states", "1000", "--no-progress"])).toBe(3);
    expect(io.out).toContain("inconclusive: the search stopped at --max-states 1000");
    expect(io.out).toMatch(/[\d,]+ states, [\d,]+ transitions/);
    // The spec expects `holds`: a cut search neither meets nor breaks that.
    expect(io.out).toContain("expect holds: not decided (the search stopped early)");
  });

  it("exits 3 when no run ends: a final property was never checked, so it does not hold (attack 14)", () => {
    const f = join(tmp(), "loops.kc");
    writeFileSync(f, "int x;\nprocess p { for (;;) x = 1 - x; }\nfinal impossible: 0;\nexpect holds;\n");
    expect(main(["check", f, "--no-progress"])).toBe(3);
    expect(io.out).toMatch(/impossible +final +inconclusive/);
    expect(io.out).toContain("no run ends with every process exited, so no final property was checked");
    expect(io.out).toContain("expect holds: not decided: no run ends");
    // One run that ends is enough for the property to be checked, and found false.
    const g = join(tmp(), "ends.kc");
    writeFileSync(
      g,
      "int x;\nprocess p { if (choose(0, 1)) for (;;) x = 1 - x; }\nfinal impossible: 0;\nexpect holds;\n",
    );
    expect(main(["check", g, "--no-progress"])).toBe(1);
    expect(io.out).toContain("final impossible is false when every process has exited");
  });

  it("exits 3 when --max-depth cuts the search, and names the limit", () => {
    expect(main(["check", downUp, "-D", "N=2", "--max-depth", "5", "--no-progress"])).toBe(3);
    expect(io.out).toContain("inconclusive: the search stopped at --max-depth 5");
  });

  it("finds the same verdict depth-first, without claiming a shortest counterexample", () => {
    const f = missingWakeUp(tmp());
    expect(main(["check", f, "-D", "N=2", "--strategy", "dfs", "--no-progress"])).toBe(1);
    expect(io.out).toContain("stuck_waiter violated");
    expect(io.out).not.toContain("no shorter one exists");
  });

  it("exits 2 with one line on an unknown flag, a missing file or a bad -D", () => {
    expect(main(["check", downUp, "--frobnicate"])).toBe(2);
    expect(io.err.trim().split("\n")).toHaveLength(1);
    io.err = "";
    expect(main(["check", "no/such/file.kc"])).toBe(2);
    expect(io.err).toBe("ipcmc: no/such/file.kc: no such file\n");
    io.err = "";
    expect(main(["check", downUp, "-D", "N"])).toBe(2);
    expect(io.err).toContain("expected NAME=INTEGER");
    io.err = "";
    expect(main(["check", downUp, "--max-states", "abc"])).toBe(2);
    expect(io.err).toBe("ipcmc: --max-states expects a number >= 0\n");
    io.err = "";
    expect(main(["check", downUp, "-D", "M=2"])).toBe(2);
    expect(io.err).toContain("error KC402: -D M=2: the program has no constant named 'M'");
  });
});

describe("ipcmc replay", () => {
  it("replays a saved counterexample to the same violation", () => {
    const dir = tmp();
    const f = missingWakeUp(dir);
    const json = join(dir, "trace.json");
    expect(main(["check", f, "-D", "N=2", "--json", json, "--no-progress"])).toBe(1);
    const saved = JSON.parse(readFileSync(json, "utf8"));
    const stuck = saved.properties.find((p: { name: string }) => p.name === "stuck_waiter");
    expect(stuck.status).toBe("violated");
    expect(stuck.counterexample.choices.length).toBeGreaterThan(0);
    io.out = "";
    expect(main(["replay", json])).toBe(1);
    expect(io.out).toContain("reproduced: worker[1] asleep");
  });

  it("refuses a trace whose spec has changed", () => {
    const dir = tmp();
    const f = missingWakeUp(dir);
    const json = join(dir, "trace.json");
    main(["check", f, "-D", "N=2", "--json", json, "--no-progress"]);
    // Swap which worker steps first in the saved trace.
    const saved = JSON.parse(readFileSync(json, "utf8"));
    const cx = saved.properties.find((p: { name: string }) => p.name === "stuck_waiter").counterexample;
    cx.choices[0].slot = cx.choices[0].slot === 0 ? 1 : 0;
    writeFileSync(json, JSON.stringify(saved));
    io.err = "";
    expect(main(["replay", json])).toBe(2);
    expect(io.err).toContain("the spec changed since the trace was saved");
  });

  it("reports an unwritable --json path or an unreadable trace in one line", () => {
    const dir = tmp();
    expect(main(["check", downUp, "-D", "N=2", "--json", dir, "--no-progress"])).toBe(2);
    expect(io.err).toMatch(/^ipcmc: --json \S+: is a directory/);
    expect(io.err.trim().split("\n")).toHaveLength(1);
    io.err = "";
    expect(main(["replay", dir])).toBe(2);
    expect(io.err.trim().split("\n")).toHaveLength(1);
  });

  it("rejects a file that is not a trace", () => {
    const f = join(tmp(), "x.json");
    writeFileSync(f, "{}");
    expect(main(["replay", f])).toBe(2);
    expect(io.err).toContain("not an ipcmc trace");
  });
});

describe("ipcmc suite", () => {
  it("checks each spec against its expect and ends with a count line", () => {
    const dir = tmp();
    writeFileSync(join(dir, "a.kc"), readFileSync(downUp, "utf8").replace("const N = 3;", "const N = 2;"));
    writeFileSync(
      join(dir, "b.kc"),
      readFileSync(missingWakeUp(tmp()), "utf8").replace("const N = 3;", "const N = 2;"),
    );
    expect(main(["suite", dir])).toBe(1);
    expect(io.out).toMatch(/PASS\s+\S*a\.kc/);
    expect(io.out).toMatch(/FAIL\s+\S*b\.kc\s+expect holds; got violated: stuck_waiter/);
    expect(io.out).toContain("\n1 passed, 1 failed\n");
  });

  it("writes JUnit XML with one test case per spec", () => {
    const dir = tmp();
    writeFileSync(join(dir, "a.kc"), readFileSync(downUp, "utf8").replace("const N = 3;", "const N = 2;"));
    writeFileSync(join(dir, "b.kc"), "int x;\nprocess p { x = x +; }\nexpect holds;\n");
    const xml = join(dir, "suite.xml");
    expect(main(["suite", dir, "--junit", xml])).toBe(1);
    const text = readFileSync(xml, "utf8");
    expect(text).toMatch(/<testsuite name="ipcmc [^"]*" tests="2" failures="1" errors="0" skipped="0"/);
    expect(text).toMatch(/<testcase classname="ipcmc" name="[^"]*a\.kc" time="[\d.]+">/);
    expect(text).toMatch(/<failure message="does not compile">[^<]*KC111/);
  });
});

describe("README", () => {
  it("shows the real output of its worked example (timing figures aside)", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const cmd = "$ npx ipcmc check specs/ksem/down-up.bug-missing-wake-up.kc\n";
    const start = readme.indexOf(cmd);
    expect(start).toBeGreaterThan(0);
    const shown = readme.slice(start + cmd.length, readme.indexOf("$ echo $?", start)).trimEnd();
    const cwd = process.cwd();
    process.chdir(root);
    try {
      expect(main(["check", "specs/ksem/down-up.bug-missing-wake-up.kc", "--no-progress"])).toBe(1);
    } finally {
      process.chdir(cwd);
    }
    // Seconds, states/s and memory differ from run to run; everything else must match.
    const norm = (t: string) =>
      t
        .trimEnd()
        .replace(/[\d.]+ s \([\d,]+ states\/s\)/g, "T s (R states/s)")
        .replace(/peak memory [\d.]+ [KMG]iB/g, "peak memory M")
        .replace(/[\d.]+ (B|KiB)\/state/g, "S/state");
    expect(norm(io.out)).toBe(norm(shown));
  });
});
