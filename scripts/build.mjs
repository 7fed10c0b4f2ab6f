// Bundles the command line and the benchmark into dist/ with esbuild (run by `npm ci` via "prepare").
import { chmodSync } from "node:fs";
import { build } from "esbuild";
import { preludeTree } from "./preludeTree.mjs";

// The bundle carries the headers' text: model/preludeFiles.ts, which reads them from the tree,
// is replaced by a module that holds them, so dist/ipcmc.js reads no file of its own.
const bundledPrelude = {
  name: "bundled-prelude",
  setup(b) {
    b.onLoad({ filter: /[\\/]model[\\/]preludeFiles\.ts$/ }, () => ({
      loader: "js",
      contents: [
        'export const PRELUDE_DIR = "<bundled>";',
        'export function readPreludeTree() { throw new Error("the bundled prelude has no tree"); }',
        `export const PRELUDE_FILES = new Map(${JSON.stringify(preludeTree("model/prelude"))});`,
      ].join("\n"),
    }));
  },
};

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  packages: "external",
  logLevel: "warning",
  plugins: [bundledPrelude],
};
await build({
  ...common,
  entryPoints: ["checker/cli.ts"],
  outfile: "dist/ipcmc.js",
  banner: { js: "#!/usr/bin/env node" },
});
await build({ ...common, entryPoints: ["bench/bench.ts"], outfile: "dist/bench.js" });
// The bin must be executable: npx runs it directly, and esbuild writes files 0644.
chmodSync("dist/ipcmc.js", 0o755);
