// Writes docs/kernel-api.md from the prelude's headers (npm run docs:api): bundles the pure
// renderer model/kernelApiDoc.ts with esbuild and runs it over the tree.
import { writeFileSync } from "node:fs";
import { build } from "esbuild";
import { preludeTree } from "./preludeTree.mjs";

const bundle = await build({
  entryPoints: ["model/kernelApiDoc.ts"],
  bundle: true,
  write: false,
  format: "esm",
  platform: "node",
  logLevel: "warning",
});
const code = bundle.outputFiles[0].text;
const { renderKernelApi } = await import(
  `data:text/javascript;base64,${Buffer.from(code).toString("base64")}`
);
writeFileSync("docs/kernel-api.md", renderKernelApi(new Map(preludeTree("model/prelude"))));
console.log("wrote docs/kernel-api.md");
