import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "model/**/*.test.ts",
      "checker/**/*.test.ts",
      "properties/**/*.test.ts",
      "reports/**/*.test.ts",
      "specs/**/*.test.ts",
    ],
    testTimeout: 60_000,
  },
});
