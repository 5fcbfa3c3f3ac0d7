/**
 * The few SST globals sst.config.ts uses. The SST CLI generates the real declarations into
 * `.sst/platform/` when it runs, which needs the internet (it downloads Pulumi), so the type check
 * and lint here rely on this subset instead; the CLI itself does not type-check.
 */
import type * as pulumi from "@pulumi/pulumi";

declare global {
  interface IrflowSstAppInput {
    readonly stage: string;
  }

  interface IrflowSstApp {
    readonly name: string;
    readonly home: "aws";
    readonly removal: "remove" | "retain" | "retain-all";
    readonly protect: boolean;
  }

  function $config(config: {
    app(input: IrflowSstAppInput): IrflowSstApp;
    run(): Promise<unknown>;
  }): unknown;

  const $app: { readonly name: string; readonly stage: string };

  namespace sst.aws {
    interface FunctionArgs {
      readonly handler: string;
      readonly name?: pulumi.Input<string>;
      readonly description?: pulumi.Input<string>;
      readonly runtime: "nodejs22.x";
      readonly role: pulumi.Input<string>;
      readonly environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
      readonly timeout?: `${number} seconds`;
      readonly memory?: `${number} MB`;
      readonly logging?: { readonly retention?: string; readonly format?: "json" | "text" };
    }
    class Function {
      constructor(name: string, args: FunctionArgs);
      readonly arn: pulumi.Output<string>;
      readonly name: pulumi.Output<string>;
    }
  }
}

export {};
