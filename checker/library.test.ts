// The IPC library as a course uses it: a student's edited copy of a library file in an -I
// directory replaces the bundled one (and says so), the bug variants still replace one
// function of it, and `suite` takes -I as `check` does.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LIBRARY_DIR } from "../model/load";
import { main } from "./cli";
import { captureOutput } from "./cliCapture";

const io = captureOutput();
const SPECS = join(__dirname, "..", "specs", "pipe");

/** A directory holding a copy of the library's linux/pipe.kc, edited by `edit`. */
function course(edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), "ipcmc-course-"));
  mkdirSync(join(dir, "linux"));
  const text = readFileSync(join(LIBRARY_DIR, "linux", "pipe.kc"), "utf8");
  writeFileSync(join(dir, "linux", "pipe.kc"), edit(text));
  return dir;
}

describe("a course's edited library file", () => {
  it("an unchanged copy passes, and a bug variant still replaces one function of it", () => {
    const dir = course((t) => t);
    expect(main(["check", join(SPECS, "pipe.epipe.kc"), "-I", dir, "--no-progress"])).toBe(0);
    expect(io.out).toMatch(/replaced: linux\/pipe\.kc of specs\/lib by .*linux\/pipe\.kc/);
    expect(
      main(["check", join(SPECS, "pipe.epipe.bug-writable-ignores-readers.kc"), "-I", dir, "--no-progress"]),
    ).toBe(1);
    expect(io.out).toMatch(/replaced: pipe_writable of .*ipcmc-course-.*linux\/pipe\.kc:\d+ by /);
  });

  it("an edit that loses a wake-up is found, and the replay line carries -I", () => {
    // pipe_writable without `|| !pipe->readers`: the writer sleeps on after the last reader went.
    const dir = course((t) => {
      const out = t.replace(
        "return !pipe_full(head, tail, max_usage) || !READ_ONCE(pipe->readers);",
        "return !pipe_full(head, tail, max_usage);",
      );
      expect(out).not.toBe(t);
      return out;
    });
    expect(main(["check", join(SPECS, "pipe.epipe.kc"), "-I", dir, "--no-progress"])).toBe(1);
    expect(io.out).toMatch(/(stuck_waiter|deadlock) violated/);
    expect(io.out).toMatch(/ipcmc replay trace\.json -I /);
  });

  it("suite takes -I", () => {
    const dir = course((t) => t);
    const one = mkdtempSync(join(tmpdir(), "ipcmc-suite-"));
    copyFileSync(join(SPECS, "pipe.nonblock.kc"), join(one, "pipe.nonblock.kc"));
    expect(main(["suite", one, "-I", dir])).toBe(0);
    expect(io.out).toContain("1 passed, 0 failed");
  });
});
