// Bundles the command line and the benchmark into dist/ with esbuild (run by `npm ci` via "prepare").
import { build } from "esbuild";

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  sourcemap: true,
  packages: "external",
  logLevel: "warning",
};
await build({
  ...common,
  entryPoints: ["checker/cli.ts"],
  outfile: "dist/ipcmc.js",
  banner: { js: "#!/usr/bin/env node" },
});
await build({ ...common, entryPoints: ["bench/bench.ts"], outfile: "dist/bench.js" });
