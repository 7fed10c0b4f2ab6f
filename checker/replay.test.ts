// `ipcmc replay` against hostile and mismatched traces: the spec's hash, the property decided
// again on the replayed path, the trace's schema, and the files a trace may point at.
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadProgram } from "../model/load";
import { validateJson } from "../reports/json";
import { main } from "./cli";
import { captureOutput } from "./cliCapture";
import { specHash } from "./replay";

const root = join(__dirname, "..");
const ksem = join(root, "specs/ksem");
const downUp = join(ksem, "down-up.kc");
const missingWakeUp = join(ksem, "down-up.bug-missing-wake-up.kc");
const io = captureOutput();

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "ipcmc-replay-"));
}

type Json = Record<string, unknown> & {
  properties: Array<{
    name: string;
    kind: string;
    counterexample: { choices: Array<Record<string, unknown>> } | null;
  }>;
};

/** Checks `spec` with --json into a fresh directory; returns the trace path and its parsed JSON. */
function saved(spec: string, args: string[] = []): { json: string; data: Json; dir: string } {
  const dir = tmp();
  const json = join(dir, "trace.json");
  main(["check", spec, "--json", json, "--no-progress", ...args]);
  expect(existsSync(json)).toBe(true);
  const data = JSON.parse(readFileSync(json, "utf8")) as Json;
  expect(validateJson(data)).toBeNull();
  return { json, data, dir };
}

function rewrite(json: string, data: unknown): void {
  writeFileSync(json, typeof data === "string" ? data : JSON.stringify(data));
}

function replay(...args: string[]): number {
  io.out = "";
  io.err = "";
  return main(["replay", ...args]);
}

/** A refused input: exit 2, one line on stderr naming the problem, no stack trace. */
function refused(code: number, message: string | RegExp): void {
  expect(code).toBe(2);
  expect(io.err.trim().split("\n")).toHaveLength(1);
  expect(io.err).toMatch(/^ipcmc: /);
  if (typeof message === "string") expect(io.err).toContain(message);
  else expect(io.err).toMatch(message);
  expect(io.err).not.toMatch(/\n\s+at /);
  expect(io.out).not.toContain("reproduced");
}

function withSpec(dir: string, name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

describe("the spec a trace was made from", () => {
  it("is the one replayed: a buggy spec's trace pointed at the correct spec is refused", () => {
    const { json, data } = saved(missingWakeUp);
    expect(replay(json)).toBe(1);
    expect(io.out).toContain("reproduced: worker[1], worker[2] asleep");
    rewrite(json, { ...data, spec: downUp, specFromTrace: downUp });
    refused(replay(json), "was made from a different spec than");
    expect(io.err).toContain("--force");
  });

  it("with --force, decides the stuck waiter afresh: the correct spec wakes the sleepers", () => {
    const { json, data } = saved(missingWakeUp);
    rewrite(json, { ...data, spec: downUp, specFromTrace: downUp });
    expect(replay(json, "--force")).toBe(2);
    expect(io.err).toContain("warning:");
    expect(io.out).toContain(
      "NOT reproduced on this spec: worker[1], worker[2] asleep at the end, but a wake-up is reachable",
    );
  });

  it("a forged hash does not make a stuck waiter out of a sleeper that can wake", () => {
    const { json, data } = saved(missingWakeUp);
    const r = loadProgram(downUp);
    if (!r.ok) throw new Error("down-up.kc does not load");
    rewrite(json, { ...data, spec: downUp, specFromTrace: downUp, specHash: specHash(r.sources, {}, false) });
    expect(replay(json)).toBe(2);
    expect(io.out).toContain(
      "NOT reproduced: worker[1], worker[2] asleep at the end, but a wake-up is reachable",
    );
  });

  it("covers the defines and --fine", () => {
    const { json, data } = saved(missingWakeUp, ["-D", "N=2"]);
    expect(replay(json)).toBe(1);
    rewrite(json, { ...data, defines: { N: 3 } });
    refused(replay(json), "different spec");
    rewrite(json, { ...data, fine: true });
    refused(replay(json), "different spec");
  });

  it("covers included files", () => {
    const dir = tmp();
    withSpec(dir, "lib.kc", "int x;\n");
    const spec = withSpec(dir, "main.kc", '#include "lib.kc"\nprocess p { x = 1; assert(x == 0); }\n');
    const { json } = saved(spec);
    expect(replay(json)).toBe(1);
    withSpec(dir, "lib.kc", "int x; int y;\n");
    refused(replay(json), "different spec");
  });

  it("is found beside the trace when both moved, and when only the trace moved", () => {
    const dir = tmp();
    mkdirSync(join(dir, "specs"));
    mkdirSync(join(dir, "out"));
    const spec = join(dir, "specs", "m.kc");
    copyFileSync(missingWakeUp, spec);
    const json = join(dir, "out", "t.json");
    main(["check", spec, "--json", json, "--no-progress"]);
    const data = JSON.parse(readFileSync(json, "utf8")) as Json;
    expect(data.specFromTrace).toBe(join("..", "specs", "m.kc"));
    // Both moved together: the path as given no longer exists, the relative one does.
    const moved = tmp();
    mkdirSync(join(moved, "specs"));
    mkdirSync(join(moved, "out"));
    copyFileSync(spec, join(moved, "specs", "m.kc"));
    rewrite(join(moved, "out", "t.json"), { ...data, spec: "specs/not-here.kc" });
    expect(replay(join(moved, "out", "t.json"))).toBe(1);
    expect(io.out).toContain(`of ${join(moved, "specs", "m.kc")}`);
    // Only the trace moved: the spec as given is used.
    const alone = join(tmp(), "t.json");
    copyFileSync(json, alone);
    expect(replay(alone)).toBe(1);
    // Neither exists.
    rewrite(alone, { ...data, spec: "nowhere/x.kc", specFromTrace: "nowhere/x.kc" });
    refused(replay(alone), "its spec nowhere/x.kc cannot be found");
  });

  it("must be a regular .kc file: not /dev/zero, not a directory, not a FIFO, not another file", () => {
    const { json, data, dir } = saved(missingWakeUp);
    rewrite(json, { ...data, spec: "/dev/zero", specFromTrace: "/dev/zero" });
    refused(replay(json), "/dev/zero is not a .kc file");
    symlinkSync("/dev/zero", join(dir, "zero.kc"));
    rewrite(json, { ...data, spec: join(dir, "zero.kc"), specFromTrace: "zero.kc" });
    refused(replay(json), "zero.kc is not a regular file");
    mkdirSync(join(dir, "d.kc"));
    rewrite(json, { ...data, spec: join(dir, "d.kc"), specFromTrace: "d.kc" });
    refused(replay(json), "d.kc is a directory");
    execFileSync("mkfifo", [join(dir, "fifo.kc")]);
    rewrite(json, { ...data, spec: join(dir, "fifo.kc"), specFromTrace: "fifo.kc" });
    refused(replay(json), "fifo.kc is not a regular file");
    // A secret that fails to parse would be quoted in the diagnostics.
    writeFileSync(join(dir, "secret.txt"), "password = hunter2\n");
    rewrite(json, { ...data, spec: join(dir, "secret.txt"), specFromTrace: "secret.txt" });
    refused(replay(json), "secret.txt is not a .kc file");
    expect(io.err).not.toContain("hunter2");
  });

  it("takes -I from the command line, never from the trace", () => {
    const dir = tmp();
    mkdirSync(join(dir, "inc"));
    withSpec(join(dir, "inc"), "lib.kc", "int x;\n");
    const spec = withSpec(dir, "main.kc", '#include "lib.kc"\nprocess p { x = 1; assert(x == 0); }\n');
    const { json, data } = saved(spec, ["-I", join(dir, "inc")]);
    expect(data.includeDirs).toEqual([join(dir, "inc")]);
    expect(replay(json)).toBe(2);
    // The spec's errors are not quoted (the path came from the trace); the hint says what to do.
    expect(io.err).toContain("does not compile (1 error; run ipcmc check on it to see them)");
    expect(io.err).not.toContain('cannot find include file "lib.kc"');
    expect(io.err).toContain(`the trace was made with -I ${join(dir, "inc")}; replay takes -I too`);
    expect(replay(json, "-I", join(dir, "inc"))).toBe(1);
  });
});

describe("the property is decided again on the replayed path", () => {
  const specs: Record<string, string> = {
    assertion: "int x;\nprocess a { x = 1; }\nprocess b { assert(x == 0); }\n",
    runtime_error: "int *p; int x;\nprocess a { x = 1; }\nprocess b { if (x) *p = 1; }\n",
    invariant: "int x;\nprocess a { x = 1; x = 2; x = 0; }\ninvariant small: x < 2;\n",
    final: "int x;\nprocess a { x = 1; }\nprocess b { x = 2; }\nfinal one: x == 1;\n",
    deadlock: "int x;\nprocess a { x = 1; await(x == 2); }\n",
  };
  for (const [kind, text] of Object.entries(specs)) {
    it(`${kind}: reproduced, and not once the path is cut short`, () => {
      const dir = tmp();
      const { json, data } = saved(withSpec(dir, `${kind}.kc`, text), ["--no-stuck-waiters"]);
      const p = data.properties.find((q) => q.kind === kind && q.counterexample);
      if (!p?.counterexample) throw new Error(`no ${kind} counterexample`);
      expect(replay(json, "--property", p.name)).toBe(1);
      expect(io.out).toMatch(/\nreproduced: /);
      p.counterexample.choices.pop();
      rewrite(json, data);
      expect(replay(json, "--property", p.name)).toBe(2);
      expect(io.out).toMatch(/\nNOT reproduced: /);
    });
  }

  it("a fault inside a macro expansion: check --json writes a trace that replays (attack 8 #4)", () => {
    const dir = tmp();
    const text =
      "#define DIV(a, b) ((a) / (b))\n#define INC(p) ({ int _t = (p)->c; assert(_t == 0); (p)->c = _t + 1; _t; })\n" +
      "struct s { int c; };\nstruct s S;\nint z; int r;\nprocess p { r = DIV(1, z); }\nprocess w[2] { INC(&S); }\n";
    const { json, data } = saved(withSpec(dir, "m.kc", text), ["--keep-going", "--no-stuck-waiters"]);
    for (const kind of ["runtime_error", "assertion"]) {
      const p = data.properties.find((q) => q.kind === kind && q.counterexample);
      if (!p) throw new Error(`no ${kind} counterexample`);
      expect(replay(json, "--property", p.name)).toBe(1);
      expect(io.out).toMatch(/\nreproduced: /);
    }
  });

  it("reads the fault's macro expansion that earlier versions wrote, and bounds its nesting", () => {
    const dir = tmp();
    const { json, data } = saved(
      withSpec(dir, "m.kc", "#define DIV(a, b) ((a) / (b))\nint z; int r;\nprocess p { r = DIV(1, z); }\n"),
    );
    const p = data.properties.find((q) => q.kind === "runtime_error");
    if (!p?.counterexample) throw new Error("no runtime_error counterexample");
    type Steps = Array<{ fault: { span: Record<string, unknown> } | null }>;
    const steps = (p.counterexample as unknown as { steps: Steps }).steps;
    const fault = steps[steps.length - 1]?.fault;
    if (!fault) throw new Error("no fault");
    expect(Object.keys(fault.span).sort()).toEqual(["end", "file", "start"]);
    const link = (outer: unknown): unknown => ({
      macro: "DIV",
      defined: { file: 1, start: 8, end: 11 },
      outer,
    });
    fault.span.expansion = link(link(null));
    rewrite(json, data);
    expect(replay(json)).toBe(1);
    const one = '{"macro":"DIV","defined":{"file":1,"start":8,"end":11},"outer":';
    fault.span.expansion = "DEEP";
    rewrite(json, JSON.stringify(data).replace('"DEEP"', `${one.repeat(100_000)}null${"}".repeat(100_000)}`));
    refused(replay(json), "more than 256 nested entries");
    fault.span.expansion = { macro: "DIV", defined: { file: 1, start: 8, end: 11 }, outer: null, x: 1 };
    rewrite(json, data);
    refused(replay(json), 'expansion: unknown field "x"');
  });

  it("a fault in the middle of a trace does not stand for a later property", () => {
    const dir = tmp();
    const { json, data } = saved(withSpec(dir, "a.kc", specs.assertion as string));
    const p = data.properties.find((q) => q.kind === "assertion");
    if (!p?.counterexample) throw new Error("no assertion counterexample");
    p.counterexample.choices.push({ ...p.counterexample.choices[0] });
    rewrite(json, data);
    refused(replay(json), "the trace goes on for 1 more steps");
  });

  it("a stuck waiter whose wake-up search hits --max-states is inconclusive, exit 3", () => {
    const { json } = saved(missingWakeUp);
    expect(replay(json, "--max-states", "1")).toBe(3);
    expect(io.out).toContain("inconclusive: the search for a wake-up");
    expect(io.out).not.toMatch(/\nreproduced/);
  });

  it("a reachable property has no path to replay", () => {
    const { json, data } = saved(missingWakeUp);
    const p = data.properties.find((q) => q.kind === "stuck_waiter");
    if (!p) throw new Error("no stuck waiter");
    p.kind = "reachable";
    rewrite(json, data);
    refused(replay(json), "violated by the absence of a path");
  });
});

describe("a hostile trace file", () => {
  /** A valid trace of the buggy spec, to be spoiled by each test. */
  let base: { json: string; data: Json; dir: string } | null = null;
  /** A copy of it in a directory of its own. */
  const fresh = (): { json: string; data: Json; dir: string } => {
    base ??= saved(missingWakeUp, ["-D", "N=2"]);
    const dir = tmp();
    const json = join(dir, "trace.json");
    const data = structuredClone(base.data);
    rewrite(json, { ...data, specFromTrace: missingWakeUp });
    return { json, data: { ...data, specFromTrace: missingWakeUp }, dir };
  };
  /** The trace with one field of the stuck waiter's choice `i` set to `value`. */
  const setChoice = (data: Json, i: number, field: string, value: unknown): Json => {
    const choice = data.properties.find((p) => p.kind === "stuck_waiter")?.counterexample?.choices[i];
    if (!choice) throw new Error(`no choice ${i}`);
    choice[field] = value;
    return data;
  };

  it("never runs code from a define", () => {
    const { json, data, dir } = fresh();
    const marker = join(dir, "pwned");
    const payload = `2) + (process.getBuiltinModule('fs').writeFileSync(${JSON.stringify(marker)}, 'x'), 0`;
    rewrite(json, { ...data, defines: { N: payload } });
    refused(replay(json), "defines.N: expected an integer from -2147483648 to 4294967295, found a string");
    expect(existsSync(marker)).toBe(false);
    rewrite(json, { ...data, defines: { "N) + (1": 2 } });
    refused(replay(json), 'defines: "N) + (1" is not a constant\'s name');
  });

  const spoiled: Array<[string, (d: Json) => unknown, string]> = [
    ["a huge define", (d) => ({ ...d, defines: { N: 1e300 } }), "defines.N: expected an integer"],
    // An unsigned constant may be as large as 2^32 - 1 (-D M=0xffffffff), no larger.
    ["a define of 2^32", (d) => ({ ...d, defines: { N: 2 ** 32 } }), "found 4294967296"],
    ["a fractional define", (d) => ({ ...d, defines: { N: 2.5 } }), "found a fraction"],
    [
      "a __proto__ define",
      (d) => JSON.parse(JSON.stringify(d).replace('"defines":{', '"defines":{"__proto__":2,')),
      '"__proto__" is not',
    ],
    [
      "a __proto__ field",
      (d) => JSON.parse(JSON.stringify(d).replace("{", '{"__proto__":{"polluted":1},')),
      'unknown field "__proto__"',
    ],
    ["an unknown field", (d) => ({ ...d, extra: 1 }), 'the file: unknown field "extra"'],
    ["a missing field", (d) => ({ ...d, specHash: undefined }), "specHash: missing"],
    ["a bad hash", (d) => ({ ...d, specHash: "md5:00" }), 'specHash: "md5:00" is not sha256:'],
    [
      "a negative choice",
      (d) => setChoice(d, 0, "index", -1),
      "choices[0].index: expected an integer from 0 to 65535, found -1",
    ],
    ["a huge choice", (d) => setChoice(d, 0, "index", 1e9), "found 1000000000"],
    ["a string choice", (d) => setChoice(d, 0, "index", "NaN"), "found a string"],
    ["a null slot", (d) => setChoice(d, 1, "slot", null), "choices[1].slot: expected an integer"],
    [
      "a __proto__ in a choice",
      (d) => JSON.parse(JSON.stringify(d).replace('"index":', '"__proto__":null,"index":')),
      'unknown field "__proto__"',
    ],
    [
      "a control character in the spec path",
      (d) => ({ ...d, spec: "a\u001b[2Jb.kc" }),
      'spec: "a\\u001b[2Jb.kc" is not printable text',
    ],
    ["too many values", (d) => setChoice(d, 0, "values", new Array(5000).fill(0)), "more than 1024 entries"],
    ["an older format", (d) => ({ ...d, ipcmc: 1 }), "made by an older ipcmc"],
    ["not an object", () => [1, 2], "not an ipcmc trace (expected a JSON object, found a list)"],
  ];
  for (const [what, spoil, message] of spoiled) {
    it(`refuses ${what} in one line`, () => {
      const { json, data } = fresh();
      rewrite(json, spoil(data));
      refused(replay(json), message);
    });
  }

  it("refuses a deeply nested value without a stack overflow", () => {
    const { json, data } = fresh();
    const deep = `${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}`;
    rewrite(json, JSON.stringify(data).replace('"limit":null', `"limit":${deep}`));
    refused(replay(json), "limit: expected a string, found a list");
    rewrite(json, JSON.stringify(data).replace('"defines":{"N":2}', `"defines":{"N":${deep}}`));
    refused(replay(json), "defines.N: expected an integer");
  });

  it("refuses a 100 MB file before reading it", () => {
    const f = join(tmp(), "big.json");
    writeFileSync(f, "");
    truncateSync(f, 100 * 1024 * 1024); // sparse: nothing is written
    refused(replay(f), "a trace file may hold at most 64 MiB");
  });

  it("refuses a trace that is not JSON, /dev/zero, a directory, or missing", () => {
    const f = join(tmp(), "x.json");
    writeFileSync(f, '{"ipcmc": 2,');
    refused(replay(f), "not valid JSON");
    refused(replay("/dev/zero"), "/dev/zero is not a regular file");
    refused(replay(tmp()), "is a directory");
    refused(replay(join(tmp(), "none.json")), "no such file");
  });

  it("refuses an unknown property and a bad --max-states", () => {
    const { json } = fresh();
    refused(replay(json, "--property", "nope"), "no counterexample for property nope");
    refused(replay(json, "--max-states", "abc"), "--max-states expects a whole number >= 1");
  });
});

describe("a refused trace file is never quoted (issue 7 review)", () => {
  // JSON.parse's own message quotes the text it choked on: `replay secret.txt` printed
  // `"SECRET_TOK"…` and `replay /etc/passwd` `"root:x:0:0"`.
  const secrets: Array<[string, string]> = [
    ["a token file", "SECRET_TOKEN=hunter2hunter2\n"],
    ["a passwd file", "root:x:0:0:root:/root:/bin/bash\n"],
    ["a JSON object with a bad value", '{"ipcmc": 2, "token": SECRET_VALUE}'],
    ["a JSON value with garbage after it", '{"ipcmc": 2} SECRET_TRAILER'],
    ["text that begins like JSON", "nothing SECRET here"],
  ];
  for (const [what, text] of secrets) {
    it(`${what}: says where the JSON stops, not what it holds`, () => {
      const f = withSpec(tmp(), "trace.json", text);
      refused(replay(f), /not valid JSON/);
      expect(io.err).not.toMatch(/SECRET|hunter2|root:x|nothing/);
    });
  }

  it("names the byte at which the JSON stops", () => {
    const f = withSpec(tmp(), "t.json", '{"ipcmc": 2, x}');
    refused(replay(f), "not valid JSON (at byte 13)");
    const g = withSpec(tmp(), "t.json", '{"ipcmc": ');
    refused(replay(g), "not valid JSON: it ends too soon");
  });

  it("prints a trace file name with a newline as one line", () => {
    const f = withSpec(tmp(), "a\nreproduced: fake.json", "not json");
    refused(replay(f), "a\\x0areproduced: fake.json");
  });
});

describe("a trace cannot make replay quote a file", () => {
  it("a spec named by the trace that does not compile is not quoted", () => {
    const dir = tmp();
    const spec = withSpec(dir, "v.kc", "int x;\nprocess p { x = 1; assert(x == 0); }\n");
    const { json } = saved(spec, []);
    writeFileSync(spec, "SECRET_TOKEN=hunter2\n");
    expect(replay(json)).toBe(2);
    expect(io.err).not.toContain("SECRET_TOKEN");
    expect(io.err).toContain("does not compile");
  });
});
