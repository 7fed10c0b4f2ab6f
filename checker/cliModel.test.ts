// The execution model on the command line: `--model` overrides the spec's declaration, and the
// text report, the JSON, the JUnit file and replay all carry the model the run used.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateJson } from "../reports/json";
import { main } from "./cli";
import { captureOutput } from "./cliCapture";

const ksem = join(__dirname, "..", "specs", "ksem");
const upNotAtomic = join(ksem, "down-up.bug-up-not-atomic.kc");
const irqSleepOn = join(ksem, "down-up.irq.bug-sleep-on.kc");
const io = captureOutput();

function run(...args: string[]): number {
  io.out = "";
  io.err = "";
  return main(args);
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "ipcmc-model-"));
}

describe("--model", () => {
  it("overrides the spec: a race inside a system call is found under smp, not under up", () => {
    expect(run("check", upNotAtomic, "--no-progress")).toBe(1);
    expect(io.out).toContain("model: smp (any runnable task may take the next step)");
    expect(run("check", upNotAtomic, "--no-progress", "--model", "up")).toBe(5);
    expect(io.out).toContain("model: uniprocessor (a task in the kernel keeps the CPU");
    expect(io.out).toContain("expect violation mutual_exclusion: NOT met (every property holds)");
  });

  it("the spec's model declaration is used, and --model smp overrides it", () => {
    const dir = tmp();
    const spec = join(dir, "up.kc");
    writeFileSync(spec, `${readFileSync(upNotAtomic, "utf8")}\nmodel uniprocessor;\n`);
    expect(run("check", spec, "--no-progress")).toBe(5);
    expect(io.out).toContain("model: uniprocessor");
    expect(run("check", spec, "--no-progress", "--model", "smp")).toBe(1);
  });

  it("refuses a model it does not know", () => {
    expect(run("check", upNotAtomic, "--model", "numa")).toBe(2);
    expect(io.err).toMatch(/^ipcmc: .*numa/);
  });

  it("a trace shows who holds the CPU, and records the model; replay uses the trace's", () => {
    const dir = tmp();
    const json = join(dir, "trace.json");
    expect(run("check", irqSleepOn, "--no-progress", "--model", "up", "--json", json)).toBe(1);
    expect(io.out).toContain("<cpu>: free → worker[0]");
    expect(io.out).toContain("replay: ipcmc replay");
    const data = JSON.parse(readFileSync(json, "utf8")) as Record<string, unknown>;
    expect(validateJson(data)).toBeNull();
    expect(data.model).toBe("up");
    expect(run("replay", json)).toBe(1);
    expect(io.out).toContain("--model up");
    expect(run("replay", json, "--model", "up")).toBe(1);
    // Another model is refused, not silently replayed in the trace's.
    expect(run("replay", json, "--model", "smp")).toBe(2);
    expect(io.err).toContain("was made in the uniprocessor model, not smp");
    // Editing the trace's model breaks its spec hash: the same spec in another model is another spec.
    writeFileSync(json, JSON.stringify({ ...data, model: "smp" }));
    expect(run("replay", json)).toBe(2);
    expect(io.err).toContain("--fine or the model differ");
    // A trace from before the field existed is smp.
    const { model: _, ...old } = data;
    writeFileSync(json, JSON.stringify(old));
    expect(validateJson(old)).toBeNull();
    expect(run("replay", json)).toBe(2);
    expect(run("replay", json, "--model", "up")).toBe(2);
    expect(io.err).toContain("was made in the smp model, not uniprocessor");
  });

  it("the JSON of an smp run says smp", () => {
    const json = join(tmp(), "t.json");
    expect(run("check", upNotAtomic, "--no-progress", "--json", json)).toBe(1);
    expect((JSON.parse(readFileSync(json, "utf8")) as { model: string }).model).toBe("smp");
  });

  it("suite names each spec's model in the JUnit file and the JSON summary", () => {
    const dir = tmp();
    writeFileSync(join(dir, "a.kc"), "int x; process p { x = 1; } model uniprocessor; expect holds;\n");
    writeFileSync(join(dir, "b.kc"), "int x; process p { x = 1; } expect holds;\n");
    const junit = join(dir, "out.xml");
    const json = join(dir, "out.json");
    expect(run("suite", dir, "--junit", junit, "--json", json)).toBe(0);
    expect(existsSync(junit)).toBe(true);
    const xml = readFileSync(junit, "utf8");
    expect(xml).toMatch(
      /name="[^"]*a\.kc"[^>]*>\n {4}<properties><property name="model" value="uniprocessor"\/>/,
    );
    expect(xml).toMatch(/name="[^"]*b\.kc"[^>]*>\n {4}<properties><property name="model" value="smp"\/>/);
    const summary = JSON.parse(readFileSync(json, "utf8")) as { specs: Array<{ model: string }> };
    expect(summary.specs.map((s) => s.model)).toEqual(["up", "smp"]);
  });
});
