import type { Plugin } from "esbuild";
/** The esbuild plugin that bundles the prelude's headers (see bundledPrelude.mjs); root is the repository. */
export function bundledPrelude(root: string): Plugin;
