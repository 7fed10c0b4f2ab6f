// The prelude's headers (model/prelude/**/*.h) by relative path in sorted order, as
// model/preludeFiles.ts reads them; shared by the bundle and the reference page's generator.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export function preludeTree(dir) {
  const out = [];
  const walk = (rel) => {
    const entries = readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const e of entries) {
      const p = rel === "" ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".h")) out.push([p, readFileSync(join(dir, p), "utf8")]);
    }
  };
  walk("");
  return out;
}
