// SST's globals ($config, $app, sst.*) are declared for tsc and eslint in stacks/sst-platform.d.ts:
// the SST CLI generates the real ones into .sst/platform/ only when it runs (it needs the internet).

// Kept in step with PRODUCTION_STAGES in stacks/app.ts (app() runs before any import is allowed).
const PRODUCTION = ["prod", "production"];

export default $config({
  app(input) {
    const production = PRODUCTION.includes(input.stage);
    return { name: "irflow", home: "aws", removal: production ? "retain" : "remove", protect: production };
  },
  async run() {
    const { deployFromCheckout } = await import("./stacks/app.js");
    const { sstHandler } = await import("./stacks/handlers.js");
    const { LAMBDA_RUNTIME, sstRetention } = await import("./stacks/function-factory.js");
    return deployFromCheckout({
      stage: $app.stage,
      // SST bundles each entry file; the role, environment and limits are the stacks' decisions.
      functions: (spec) =>
        new sst.aws.Function(spec.key, {
          name: spec.name,
          description: spec.description,
          handler: sstHandler(spec.entry),
          runtime: LAMBDA_RUNTIME,
          role: spec.roleArn,
          environment: spec.environment,
          timeout: `${spec.timeoutSeconds} seconds`,
          memory: `${spec.memoryMb} MB`,
          logging: { retention: sstRetention(spec.logRetentionDays), format: "json" },
        }),
    });
  },
});
