// The command line as a separate process, on the inputs that once killed it: what only a child
// process can show (a V8 abort, a signal, a heap exhaustion, a hang) never happens; each run
// ends with a documented exit code (0-5) within its time bound and prints no stack trace.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { bundledPrelude } from "../scripts/bundledPrelude.mjs";

const root = join(__dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "ipcmc-process-"));
// Inside node_modules, so that the bundle finds its packages (yargs) as dist/ipcmc.js does.
const cli = join(root, "node_modules/.cache/ipcmc-process-test/ipcmc.mjs");

beforeAll(async () => {
  // The CLI as it is in this tree (dist/ may be stale while developing).
  await build({
    entryPoints: [join(root, "checker/cli.ts")],
    outfile: cli,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    packages: "external",
    absWorkingDir: root,
    logLevel: "error",
    plugins: [bundledPrelude(root)],
  });
});

function spec(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const downUp = join(root, "specs/ksem/down-up.kc");

/** Each case: arguments, the exit code it must end with, and a bound in seconds. */
const cases: Array<{ name: string; args: () => string[]; code: number; seconds: number }> = [
  // Item 13: V8 aborted (exit 133) allocating the state.
  {
    name: "int a[2000000000]",
    args: () => ["check", spec("huge.kc", "int a[2000000000];\nprocess p { a[0] = 1; }\n")],
    code: 2,
    seconds: 20,
  },
  {
    name: "int a[100000000]",
    args: () => ["check", spec("big.kc", "int a[100000000];\nprocess p { a[0] = 1; }\n")],
    code: 2,
    seconds: 20,
  },
  // Item 13: ran out of memory; a 900 KiB state with 10,000 successors.
  {
    name: "down-up -D N=10000 --memory 300",
    args: () => ["check", downUp, "-D", "N=10000", "--memory", "300"],
    code: 3,
    seconds: 60,
  },
  // Item 12: stored a million states, ran 39 s and reached 4 GiB.
  {
    name: "down-up -D N=1000 --max-states 1000 --memory 200 --time-limit 5",
    args: () => [
      "check",
      downUp,
      "-D",
      "N=1000",
      "--max-states",
      "1000",
      "--memory",
      "200",
      "--time-limit",
      "5",
    ],
    code: 3,
    seconds: 30,
  },
  // Item 14: deep input overflowed the stack; an operator chain deeper than the nesting limit is KC114.
  {
    name: "1,416 operands of +",
    args: () => ["check", spec("plus.kc", `int x;\nprocess p { x = ${Array(1416).fill("1").join("+")}; }\n`)],
    code: 2,
    seconds: 30,
  },
  {
    name: "100,000 operands of +",
    args: () => ["check", spec("plus2.kc", `int x;\nprocess p { x = ${Array(1e5).fill("1").join("+")}; }\n`)],
    code: 2,
    seconds: 30,
  },
  {
    name: "6,816 levels of pointer",
    args: () => ["check", spec("ptr.kc", `int ${"*".repeat(6816)}p;\nprocess q { }\n`)],
    code: 2,
    seconds: 30,
  },
  // Item 9: an include that never ends.
  {
    name: "#include /dev/zero",
    args: () => ["check", spec("zero.kc", '#include "/dev/zero"\nprocess p { }\n')],
    code: 2,
    seconds: 20,
  },
  // Item 15: an option without its value.
  { name: "-D last on the line", args: () => ["check", downUp, "-D"], code: 2, seconds: 20 },
];

describe("the command line in a process of its own", () => {
  for (const c of cases) {
    it(`${c.name}: exit ${c.code}, no signal, no stack trace, within ${c.seconds} s`, () => {
      const r = spawnSync(process.execPath, [cli, ...c.args()], {
        cwd: root,
        encoding: "utf8",
        timeout: c.seconds * 1000,
        maxBuffer: 64 * 2 ** 20,
      });
      expect(r.error, String(r.error)).toBeUndefined(); // a timeout shows up here
      expect(r.signal).toBeNull();
      expect(`${r.stderr}`).not.toMatch(/\n\s+at .*:\d+:\d+\)?\n/);
      expect(r.status, r.stderr.slice(0, 2000)).toBe(c.code);
    });
  }
});
