// The kernel prelude's header files (model/prelude/), by their path under that folder. Tests and
// `tsx` read them from the tree; scripts/build.mjs replaces this module in dist/ by one that holds
// their text, so the command line reads no file of its own at run time.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The folder the headers live in, in the source tree. */
export const PRELUDE_DIR = fileURLToPath(new URL("./prelude/", import.meta.url));

/** Every `.h` file under `dir`, keyed by its `/`-separated path relative to `dir`, in sorted order. */
export function readPreludeTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string): void => {
    const entries = readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      const p = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".h")) out.set(p, readFileSync(join(dir, p), "utf8"));
    }
  };
  walk("");
  return out;
}

/** The prelude's headers: `linux/wait.h` → its text. */
export const PRELUDE_FILES: ReadonlyMap<string, string> = readPreludeTree(PRELUDE_DIR);
