import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Everything the stacks decide about one Lambda; a factory turns it into a resource. */
export interface FunctionSpec {
  /** Logical (Pulumi) name, unique in the stack. */
  readonly key: string;
  /** Deployed function name; its log group is `/aws/lambda/<name>`. */
  readonly name: string;
  readonly description: string;
  /** The entry file, relative to the repository root (exports `handler`). */
  readonly entry: string;
  /** The role the stacks built for it: the function gets no other permissions. */
  readonly roleArn: pulumi.Input<string>;
  readonly environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly logRetentionDays: number;
}

export interface DeployedFunction {
  readonly arn: pulumi.Output<string>;
  readonly name: pulumi.Output<string>;
}

/**
 * The seam between the stacks and the thing that builds and uploads a function. The app passes
 * one built on `sst.aws.Function` (it bundles the entry file); tests pass `plainFunctionFactory`,
 * which builds the same graph from plain Pulumi resources under mocks.
 */
export type FunctionFactory = (spec: FunctionSpec) => DeployedFunction;

export const LAMBDA_RUNTIME = "nodejs22.x" as const;

/**
 * Plain `aws.lambda.Function` plus its log group. The code is a stub naming the entry file: this
 * factory exists to test the graph, not to ship code (SST bundles in the app).
 */
export const plainFunctionFactory: FunctionFactory = (spec) => {
  const logGroup = new aws.cloudwatch.LogGroup(`${spec.key}-logs`, { name: `/aws/lambda/${spec.name}`, retentionInDays: spec.logRetentionDays });
  const fn = new aws.lambda.Function(
    spec.key,
    {
      name: spec.name,
      description: spec.description,
      runtime: LAMBDA_RUNTIME,
      handler: "index.handler",
      code: new pulumi.asset.AssetArchive({ "index.mjs": new pulumi.asset.StringAsset(`// bundled from ${spec.entry} by the app\n`) }),
      role: spec.roleArn,
      timeout: spec.timeoutSeconds,
      memorySize: spec.memoryMb,
      environment: { variables: spec.environment },
      loggingConfig: { logFormat: "JSON", logGroup: logGroup.name },
      tags: { "irflow:entry": spec.entry },
    },
    { dependsOn: [logGroup] },
  );
  return { arn: fn.arn, name: fn.name };
};

/** CloudWatch retention in days as SST's `logging.retention` spells it. */
export function sstRetention(days: number): string {
  const named: Record<number, string> = {
    1: "1 day", 3: "3 days", 5: "5 days", 7: "1 week", 14: "2 weeks", 30: "1 month", 60: "2 months", 90: "3 months", 120: "4 months", 150: "5 months",
    180: "6 months", 365: "1 year", 400: "13 months", 545: "18 months", 731: "2 years", 1096: "3 years", 1827: "5 years", 2192: "6 years", 2557: "7 years",
    2922: "8 years", 3288: "9 years", 3653: "10 years",
  };
  const value = named[days];
  if (!value) throw new Error(`log retention of ${days} days has no SST spelling`);
  return value;
}

/** The CloudWatch Logs retention values AWS accepts (days). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
