// Re-adds lockfile entries for @biomejs/biome's platform packages that the package registry
// reachable here does not serve (404), so `npm ci` accepts the lockfile. npm never installs
// them on Linux x64 (their os/cpu/libc fields exclude it). Run after `npm install` changes the lock.
import { readFileSync, writeFileSync } from "node:fs";

const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const biome = lock.packages["node_modules/@biomejs/biome"];
if (!biome) throw new Error("no @biomejs/biome in package-lock.json");
const platforms = {
  "android-arm64": ["android", "arm64"],
  "android-x64": ["android", "x64"],
  "darwin-arm64": ["darwin", "arm64"],
  "darwin-x64": ["darwin", "x64"],
  "linux-arm64-musl": ["linux", "arm64", "musl"],
  "linux-x64-musl": ["linux", "x64", "musl"],
  "win32-arm64": ["win32", "arm64"],
  "win32-x64": ["win32", "x64"],
};
const out = {};
for (const [key, value] of Object.entries(lock.packages)) {
  out[key] = value;
  if (key !== "node_modules/@biomejs/biome") continue;
  for (const [name, [os, cpu, libc]] of Object.entries(platforms)) {
    const k = `node_modules/@biomejs/cli-${name}`;
    if (lock.packages[k]) continue;
    out[k] = {
      version: biome.version,
      cpu: [cpu],
      dev: true,
      ...(libc ? { libc: [libc] } : {}),
      license: "MIT OR Apache-2.0",
      optional: true,
      os: [os],
      engines: { node: ">=14.21.3" },
    };
  }
}
lock.packages = out;
writeFileSync("package-lock.json", `${JSON.stringify(lock, null, 2)}\n`);
