// An esbuild plugin that replaces model/preludeFiles.ts, which reads the prelude's headers from
// the tree, by a module that holds their text: a bundle of the command line reads no file of
// its own at run time. Used by scripts/build.mjs and by tests that bundle the CLI.
import { join } from "node:path";
import { preludeTree } from "./preludeTree.mjs";

export function bundledPrelude(root) {
  return {
    name: "bundled-prelude",
    setup(b) {
      b.onLoad({ filter: /[\\/]model[\\/]preludeFiles\.ts$/ }, () => ({
        loader: "js",
        contents: [
          'export const PRELUDE_DIR = "<bundled>";',
          'export function readPreludeTree() { throw new Error("the bundled prelude has no tree"); }',
          `export const PRELUDE_FILES = new Map(${JSON.stringify(preludeTree(join(root, "model/prelude")))});`,
        ].join("\n"),
      }));
    },
  };
}
