// The command line against hostile input: every run ends with a documented exit code and never a
// stack trace, a raw control character or a hang; outputs never overwrite inputs; options
// without values and odd -D values are usage errors.
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { MAX_FILE_BYTES, MAX_FILES, MAX_INCLUDE_DEPTH, MAX_PROGRAM_BYTES } from "../model/load";
import { STEPS_SHOWN } from "../reports/text";
import { main } from "./cli";
import { captureOutput } from "./cliCapture";

const root = join(__dirname, "..");
const downUp = join(root, "specs/ksem/down-up.kc");
const io = captureOutput();

function tmp(): string {
  return mkdtempSync(join(tmpdir(), "ipcmc-hostile-"));
}

/** Writes `text` to `name` in a fresh directory; returns its path. */
function file(name: string, text: string | Uint8Array, dir = tmp()): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** A small spec that holds, with an include of `inc` when given. */
function spec(dir: string, inc?: string): string {
  return file(
    "v.kc",
    `${inc ? `#include "${inc}"\n` : ""}const N = 2;\nint x;\nprocess p[N] { x = 1; }\ninvariant ok: x <= 1;\nexpect holds;\n`,
    dir,
  );
}

/** What every run must satisfy, whatever its input. */
function expectClean(code: number): void {
  expect([0, 1, 2, 3, 4, 5]).toContain(code);
  expect(io.err).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/); // no stack trace
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for raw control characters
  expect(io.out + io.err).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
}

describe("an option without its value is a usage error (item 15)", () => {
  const cases: Array<[string, string[]]> = [
    ...["-D", "-I", "--json", "--strategy", "--max-states", "--max-depth", "--time-limit", "--memory"].map(
      (o): [string, string[]] => [`check ${o}`, ["check", downUp, o]],
    ),
    ...["--json", "--junit", "--max-states"].map((o): [string, string[]] => [
      `suite ${o}`,
      ["suite", tmp(), o],
    ]),
    ["replay --property", ["replay", "x.json", "--property"]],
  ];
  for (const [name, argv] of cases) {
    it(name, () => {
      expect(main(argv)).toBe(2);
      expect(io.err).toMatch(/^ipcmc: -?-\S+ needs a value/);
      expect(io.err.trim().split("\n")).toHaveLength(1);
    });
  }
});

describe("outputs never overwrite inputs, and are checked before the search (item 17)", () => {
  it("refuses --json naming the spec itself, through a link, or a hard link", () => {
    const dir = tmp();
    const v = spec(dir);
    const before = readFileSync(v, "utf8");
    symlinkSync(v, join(dir, "sym.json"));
    linkSync(v, join(dir, "hard.json"));
    for (const target of [v, join(dir, "sym.json"), join(dir, "hard.json"), join(dir, ".", "v.kc")]) {
      io.err = "";
      expect(main(["check", v, "--json", target, "--no-progress"])).toBe(2);
      expect(io.err).toMatch(/an input of this run; refusing to overwrite it/);
    }
    expect(readFileSync(v, "utf8")).toBe(before);
    expect(io.out).toBe("");
  });

  it("refuses --json naming an included file", () => {
    const dir = tmp();
    const lib = file("lib.kc", "int y;\n", dir);
    const v = spec(dir, "lib.kc");
    expect(main(["check", v, "--json", lib, "--no-progress"])).toBe(2);
    expect(readFileSync(lib, "utf8")).toBe("int y;\n");
  });

  it("refuses an output in a missing or unwritable directory before searching", () => {
    // Nothing on stdout: refused before the search, not after it printed a verdict.
    expect(main(["check", downUp, "-D", "N=3", "--json", join(tmp(), "no/such/dir/t.json")])).toBe(2);
    expect(io.err).toMatch(/does not exist/);
    expect(io.out).toBe("");
    if (process.getuid?.() === 0) return; // root may write anywhere
    const ro = tmp();
    chmodSync(ro, 0o500);
    io.err = "";
    expect(main(["check", downUp, "-D", "N=3", "--json", join(ro, "t.json")])).toBe(2);
    expect(io.err).toMatch(/cannot be written/);
    expect(io.out).toBe("");
  });

  it("suite refuses --json or --junit naming a spec, or both naming one file, and writes nothing", () => {
    const dir = tmp();
    const v = spec(dir);
    const before = readFileSync(v, "utf8");
    expect(main(["suite", dir, "--junit", v])).toBe(2);
    expect(readFileSync(v, "utf8")).toBe(before);
    const out1 = join(tmp(), "r.xml");
    io.err = "";
    expect(main(["suite", dir, "--json", out1, "--junit", out1])).toBe(2);
    expect(io.err).toContain("the same file as --json");
    expect(() => statSync(out1)).toThrow();
  });
});

describe("file names from the command line", () => {
  it("refuses an -I that is not a directory, and escapes the output path it reports", () => {
    expect(main(["check", downUp, "-I", join(tmp(), "nope")])).toBe(2);
    expect(io.err).toMatch(/^ipcmc: -I \S+nope: no such directory\n$/);
    const json = join(tmp(), "t\x1b[2J.json");
    expect(main(["check", spec(tmp()), "--json", json, "--no-progress"])).toBe(0);
    expect(io.out).toContain("wrote ");
    expectClean(0);
  });
});

describe("-D values (item 18)", () => {
  it("reads a value as the spec would read the same constant: 010 is 8, 0x10 is 16", () => {
    const v = spec(tmp());
    expect(main(["check", v, "-D", "N=010", "--no-progress"])).toBe(0);
    expect(io.out).toContain("(N=8)");
    io.out = "";
    expect(main(["check", v, "-D", "N=0x3", "--no-progress"])).toBe(0);
    expect(io.out).toContain("(N=3)");
  });

  it("refuses __proto__, constructor and other unknown names, and a name given twice", () => {
    const v = spec(tmp());
    for (const d of ["__proto__=5", "constructor=1", "toString=2"]) {
      io.err = "";
      expect(main(["check", v, "-D", d, "--no-progress"])).toBe(2);
      expect(io.err).toContain("KC402");
    }
    io.err = "";
    expect(main(["check", v, "-D", "N=1", "-D", "N=2"])).toBe(2);
    expect(io.err).toContain("-D N is given twice");
  });

  it("refuses values that are not one KC integer constant", () => {
    const v = spec(tmp());
    for (const d of ["N=08", "N=1.5", "N=1e3", "N=0x", "N=99999999999", "N=3) + (1", "N= 3", "N=", "N=--1"]) {
      io.err = "";
      expect(main(["check", v, "-D", d, "--no-progress"]), d).toBe(2);
      expect(io.err.trim().split("\n"), d).toHaveLength(1);
    }
  });
});

describe("expect in the exit code", () => {
  it("exits 5 when the spec expects a violation that the search does not find", () => {
    const v = file("v.kc", "int x;\nprocess p { x = 1; }\ninvariant ok: x <= 1;\nexpect violation ok;\n");
    expect(main(["check", v, "--no-progress"])).toBe(5);
    expect(io.out).toContain("expect violation ok: NOT met (every property holds)");
  });

  it("exits 5 also when another property is left undecided but the expected one holds", () => {
    const v = file(
      "d.kc",
      "int x;\nprocess a { await(x == 1); }\nprocess b { for (;;) { x = 0; } }\nexpect violation deadlock;\n",
    );
    expect(main(["check", v, "--no-progress", "--no-stuck-waiters"])).toBe(5);
    expect(io.out).toContain("expect violation deadlock: NOT met (deadlock holds)");
  });
});

describe("suite", () => {
  it("gives the reason when there is nothing to check", () => {
    expect(main(["suite", tmp()])).toBe(2);
    expect(io.err).toMatch(/no \.kc files to check/);
    const dir = tmp();
    file("a.kc", "int x;\nprocess p { x = 1; }\n", dir);
    file("b.kc", "int x;\nprocess p { x = x +; }\n", dir);
    io.err = "";
    expect(main(["suite", dir])).toBe(2);
    // Both lack expect: both are skipped, whether or not they compile.
    expect(io.out).toMatch(/skip\s+\S*a\.kc: no expect declaration/);
    expect(io.out).toMatch(/skip\s+\S*b\.kc: no expect declaration/);
    expect(io.out).toContain("0 passed, 0 failed, 2 skipped (no expect declaration)");
    expect(io.err).toContain("nothing was checked: no .kc file under");
  });

  it("follows no link out of its directory, so a downloaded suite cannot get a file quoted", () => {
    const outside = tmp();
    const secret = file("key.kc", "SECRET_TOKEN=hunter2 expect holds;\n", outside);
    const dir = tmp();
    symlinkSync(secret, join(dir, "evil.kc"));
    file("inner.kc", "int x;\nprocess p { x = 1; }\nexpect holds;\n", dir);
    symlinkSync(join(dir, "inner.kc"), join(dir, "alias.kc"));
    io.out = "";
    io.err = "";
    main(["suite", dir]);
    expect(io.out + io.err).not.toContain("SECRET_TOKEN");
    // A link that stays inside the directory is a spec like any other.
    expect(io.out).toMatch(/PASS\s+\S*alias\.kc/);
  });
});

/** The hostile corpus: name, the file's contents, and the exit code each must end with. */
const MiB = 1024 * 1024;
const corpus: Array<{ name: string; text: string | Uint8Array; code: number; fails?: string }> = [
  { name: "empty", text: "", code: 2 },
  { name: "bom only", text: "\ufeff", code: 2 },
  { name: "binary garbage", text: Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256), code: 2 },
  { name: "NUL bytes", text: "int x;\0\0\0process p { }\n", code: 2 },
  { name: "invalid UTF-8", text: Uint8Array.from([0x69, 0x6e, 0x74, 0xff, 0xfe, 0x3b]), code: 2 },
  { name: "over the size cap", text: `int x;\n//${"x".repeat(MAX_FILE_BYTES)}\n`, code: 2 },
  { name: "one 900 KiB line", text: `int x; process p { x = 1; } ${"@".repeat(0.9 * MiB)}\n`, code: 2 },
  { name: "unterminated comment", text: "int x; /* process p { }\n", code: 2 },
  { name: "unterminated string", text: 'process p { assert(1, "abc); }\n', code: 2 },
  {
    name: "escape sequences in a diagnostic",
    text: "int x;\x1b[2J\x1b]0;pwned\x07\nprocess p { }\n",
    code: 2,
  },
  {
    name: "escape sequences in an assert message",
    text: 'int x;\nprocess p { x = 1; assert(x == 0, "\\x1b[2J\\nevery property holds"); }\n',
    code: 1,
  },
  { name: "include /dev/zero", text: '#include "/dev/zero"\nprocess p { }\n', code: 2 },
  { name: "include /proc/self/environ", text: '#include "/proc/self/environ"\nprocess p { }\n', code: 2 },
  {
    name: "include ../../etc/passwd",
    text: '#include "../../../../../../etc/passwd"\nprocess p { }\n',
    code: 2,
  },
  {
    // Read again at each level, as in C, until the include depth cap (KC505).
    name: "include itself",
    text: '#include "spec.kc"\nint x;\nprocess p { x = 1; }\nexpect holds;\n',
    code: 2,
  },
  {
    name: "20,000 nested parentheses",
    text: `int x;\nprocess p { x = ${"(".repeat(2e4)}1${")".repeat(2e4)}; }\n`,
    code: 2,
  },
  {
    name: "20,000 nested blocks",
    text: `int x;\nprocess p { ${"{".repeat(2e4)}x = 1;${"}".repeat(2e4)} }\n`,
    code: 2,
  },
  {
    name: "20,000 operands of +",
    text: `int x;\nprocess p { x = ${Array(2e4).fill("1").join("+")}; }\n`,
    code: 2,
  },
  {
    name: "7,000 levels of pointer",
    text: `int ${"*".repeat(7000)}p;\nprocess q { }\n`,
    code: 2,
  },
  {
    name: "7,000 array dimensions",
    text: `int a${"[1]".repeat(7000)};\nprocess q { }\n`,
    code: 2,
  },
  {
    // Attack 8 #5: 100,000 uses of a parameter whose argument is empty, 95 times; 4.5 minutes once.
    name: "a long macro body of empty parameters, used often",
    text: `#define M(${Array.from({ length: 5000 }, (_, i) => `a${i}`).join(",")}) ${"a4999 ".repeat(100_000)}\n#define N M(${",".repeat(4999)})\nint x;\n${"N ".repeat(95)}\nprocess p { x = 1; }\n`,
    code: 2,
  },
];

describe("hostile corpus through the command line", () => {
  for (const c of corpus) {
    // Known limits are tests too (STYLE.md): these must start passing when item 14 lands.
    const test = c.fails ? it.fails : it;
    test(`${c.name}: exit ${c.code}, no stack trace, no raw control character${c.fails ? ` (open: ${c.fails})` : ""}`, () => {
      const dir = tmp();
      const f = file("spec.kc", c.text, dir);
      const code = main(["check", f, "--no-progress", "--max-states", "20000"]);
      expectClean(code);
      expect(code).toBe(c.code);
    }, 10_000);
  }

  it("a FIFO or a device as the spec ends at once with exit 2", () => {
    const dir = tmp();
    execFileSync("mkfifo", [join(dir, "pipe.kc")]);
    for (const f of [join(dir, "pipe.kc"), "/dev/zero", "/dev/null"]) {
      io.err = "";
      const code = main(["check", f, "--no-progress"]);
      expectClean(code);
      expect(code, f).toBe(2);
    }
  });

  it("a file name with control characters is printed escaped", () => {
    const dir = tmp();
    mkdirSync(join(dir, "a\x1b[31m"));
    const f = file("x\x1b]0;t\x07.kc", "int x;\nprocess p { x = x +; }\n", join(dir, "a\x1b[31m"));
    const code = main(["check", f, "--no-progress"]);
    expectClean(code);
    expect(code).toBe(2);
    expect(io.err).toContain("\\x1b[31m");
  });

  it("every hostile file in one suite: each gets a verdict, the suite writes both reports", () => {
    const dir = tmp();
    corpus.forEach((c, i) => {
      if (c.fails) return;
      file(`c${i}.kc`, typeof c.text === "string" ? `${c.text}\nexpect holds;\n` : c.text, dir);
    });
    const reports = tmp();
    const code = main([
      "suite",
      dir,
      "--max-states",
      "20000",
      "--json",
      join(reports, "s.json"),
      "--junit",
      join(reports, "s.xml"),
    ]);
    expectClean(code);
    expect(code).toBe(1);
    const summary = JSON.parse(readFileSync(join(reports, "s.json"), "utf8"));
    expect(summary.passed + summary.failed + summary.skipped).toBe(corpus.filter((c) => !c.fails).length);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: XML must hold no raw control character
    expect(readFileSync(join(reports, "s.xml"), "utf8")).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f]/);
  }, 30_000);
});

describe("SECURITY.md", () => {
  it("states the limits the code enforces", () => {
    const doc = readFileSync(join(root, "SECURITY.md"), "utf8");
    expect(doc).toContain(`| one source file | ${MAX_FILE_BYTES / 1024 / 1024} MiB |`);
    expect(doc).toContain(
      `| all files of a program | ${MAX_PROGRAM_BYTES / 1024 / 1024} MiB, ${MAX_FILES.toLocaleString("en-US")} files, includes ${MAX_INCLUDE_DEPTH} deep |`,
    );
    expect(doc).toContain(`first ${STEPS_SHOWN.head} and last ${STEPS_SHOWN.tail} steps`);
  });

  it("says that --time-limit does not cut loading short, and what suite's exit 3 means (issue 7 review)", () => {
    const doc = readFileSync(join(root, "SECURITY.md"), "utf8").replace(/\s+/g, " ");
    const readme = readFileSync(join(root, "README.md"), "utf8").replace(/\s+/g, " ");
    expect(doc).toContain("loading and compiling count toward it but are not interrupted");
    expect(readme).toContain("loading and compiling count toward it but are not cut short");
    expect(doc).toContain("3 none fails but some spec is inconclusive");
    expect(readme).toContain("3 when none fails but some spec is inconclusive");
    expect(doc).toContain("A refused trace file's contents are never echoed");
  });
});

describe("suite limits, as check's, per spec (issue 7 review)", () => {
  /** A spec whose search needs thousands of states: down-up with N=3, expecting it holds. */
  function bigSuite(): string {
    const dir = tmp();
    file("big.kc", readFileSync(downUp, "utf8"), dir);
    return dir;
  }

  it("--time-limit, --memory and --max-depth are taken, and a spec that hits one is inconclusive, exit 3", () => {
    const cases: Array<[string[], RegExp]> = [
      [["--time-limit", "0.001"], /--time-limit 0\.001/],
      [["--max-states", "500"], /--max-states 500/],
      [["--max-depth", "3"], /--max-depth 3/],
      [["--memory", "0.01"], /--memory/],
    ];
    for (const [flags, limit] of cases) {
      io.out = "";
      io.err = "";
      const reports = tmp();
      const code = main([
        "suite",
        bigSuite(),
        ...flags,
        "--json",
        join(reports, "s.json"),
        "--junit",
        join(reports, "s.xml"),
      ]);
      expectClean(code);
      expect(code, flags.join(" ")).toBe(3);
      expect(io.out).toMatch(
        /^INCONCLUSIVE\s+\S*big\.kc\s+expect holds; got inconclusive \(the search stopped at /m,
      );
      expect(io.out).toMatch(limit);
      expect(io.out).not.toMatch(/^(PASS|FAIL)/m);
      expect(io.out).toContain("0 passed, 0 failed, 1 inconclusive");
      const summary = JSON.parse(readFileSync(join(reports, "s.json"), "utf8"));
      expect([summary.passed, summary.failed, summary.inconclusive]).toEqual([0, 0, 1]);
      expect(readFileSync(join(reports, "s.xml"), "utf8")).toMatch(/failures="1"[\s\S]*type="inconclusive"/);
    }
  }, 30_000);

  it("a failing spec outweighs an inconclusive one (exit 1); the limits apply to each spec", () => {
    const dir = bigSuite();
    file("bad.kc", "int x;\nprocess p { x = 1; }\ninvariant ok: x == 0;\nexpect holds;\n", dir);
    file("small.kc", "int x;\nprocess p { x = 1; }\ninvariant ok: x <= 1;\nexpect holds;\n", dir);
    expect(main(["suite", dir, "--max-states", "500"])).toBe(1);
    expect(io.out).toMatch(/^FAIL\s+\S*bad\.kc/m);
    expect(io.out).toMatch(/^INCONCLUSIVE\s+\S*big\.kc/m);
    expect(io.out).toMatch(/^PASS\s+\S*small\.kc/m);
    expect(io.out).toContain("1 passed, 1 failed, 1 inconclusive");
  });

  it("a found violation that was expected passes although a limit ended the search", () => {
    const dir = tmp();
    file("b.kc", readFileSync(join(root, "specs/ksem/down-up.bug-missing-wake-up.kc"), "utf8"), dir);
    expect(main(["suite", dir, "--max-states", "1000000", "--time-limit", "60"])).toBe(0);
    expect(io.out).toMatch(/^PASS\s+\S*b\.kc/m);
  });

  it("refuses a limit that is not a number, and --help lists the limits", () => {
    expect(main(["suite", tmp(), "--time-limit", "soon"])).toBe(2);
    expect(io.err).toContain("--time-limit expects a number >= 0");
    // yargs prints help through console.log.
    let help = "";
    vi.spyOn(console, "log").mockImplementation((s) => {
      help += String(s);
    });
    expect(main(["suite", "--help"])).toBe(0);
    for (const flag of ["--max-states", "--max-depth", "--time-limit", "--memory"])
      expect(help).toMatch(new RegExp(`${flag}\\s+per spec: `));
  });
});

describe("names from input are printed on one line (issue 7 review)", () => {
  const evil = "a\nPASS  evil.kc\n\n9 passed, 0 failed, 0 skipped\nx.kc";

  it("suite: a file name cannot forge PASS or summary lines, in skip, PASS or FAIL lines", () => {
    const dir = tmp();
    file(evil, "int x;\nprocess p { x = 1; }\n", dir); // no expect: skipped
    file(
      `${evil.replace("x.kc", "y.kc")}`,
      "int x;\nprocess p { x = 1; }\ninvariant ok: x <= 1;\nexpect holds;\n",
      dir,
    );
    file(
      `${evil.replace("x.kc", "z.kc")}`,
      "int x;\nprocess p { x = 1; }\ninvariant ok: x == 0;\nexpect holds;\n",
      dir,
    );
    file(`${evil.replace("x.kc", "w.kc")}`, "int x;\nprocess p { x = x +; }\nexpect holds;\n", dir);
    expect(main(["suite", dir])).toBe(1);
    expectClean(1);
    const lines = io.out.split("\n");
    expect(lines.filter((l) => /^PASS/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /^\d+ passed,/.test(l))).toEqual([
      "1 passed, 2 failed, 1 skipped (no expect declaration)",
    ]);
    expect(io.out).toContain("a\\x0aPASS  evil.kc\\x0a\\x0a9 passed");
  });

  it("check: the spec's name in the report and the replay hint stays on its line", () => {
    const f = file("v\nevery property holds\n.kc", "int x;\nprocess p { x = 1; }\ninvariant ok: x == 0;\n");
    expect(main(["check", f, "--no-progress"])).toBe(1);
    expectClean(1);
    expect(io.out.split("\n").filter((l) => l.startsWith("every property holds"))).toEqual([]);
    expect(io.out).toMatch(/^replay: .*v\\x0aevery property holds\\x0a\.kc/m);
  });
});

describe("--no-stuck-waiters says why the verdict is inconclusive (issue 7 review)", () => {
  it("text and JSON name the skipped check, not a limit; stuck_waiter alone is undecided, exit 3", () => {
    const json = join(tmp(), "o.json");
    expect(main(["check", downUp, "-D", "N=2", "--no-stuck-waiters", "--no-progress", "--json", json])).toBe(
      3,
    );
    expect(io.out).not.toContain("stopped at");
    expect(io.out).toContain(
      "inconclusive: stuck waiters were not checked (--no-stuck-waiters); every other property holds",
    );
    expect(io.out).toMatch(/stuck_waiter\s+stuck_waiter\s+not checked \(--no-stuck-waiters\)/);
    expect(io.out).toMatch(/mutual_exclusion\s+invariant\s+holds/);
    expect(io.out).toContain("expect holds: not decided: stuck waiters were not checked");
    const data = JSON.parse(readFileSync(json, "utf8"));
    expect(data.limit).toBeNull();
    expect(data.inconclusiveReason).toMatch(/^stuck waiters were not checked/);
  });

  it("a limit is still named as the reason", () => {
    expect(
      main(["check", downUp, "-D", "N=3", "--no-stuck-waiters", "--max-states", "100", "--no-progress"]),
    ).toBe(3);
    expect(io.out).toContain("inconclusive: the search stopped at --max-states 100 before it was complete");
  });
});
