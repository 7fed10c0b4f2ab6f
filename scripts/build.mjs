// Bundles the command line and the benchmark into dist/ with esbuild (run by `npm ci` via "prepare").
import { chmodSync } from "node:fs";
import { build } from "esbuild";
import { bundledPrelude } from "./bundledPrelude.mjs";

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  packages: "external",
  logLevel: "warning",
  // The bundle carries the prelude headers' text (scripts/bundledPrelude.mjs).
  plugins: [bundledPrelude(".")],
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
