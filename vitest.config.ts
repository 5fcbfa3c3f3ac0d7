import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Compiling every runbook is shared work; keep the suite on real worker threads.
    pool: "threads",
    // Node 20 runs the suite; the AWS SDK's "needs Node 22 from 2027" notice would otherwise repeat
    // in every worker and every CLI the tests start (they inherit this environment).
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
