import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Compiling every runbook is shared work; keep the suite on real worker threads.
    pool: "threads",
  },
});
