import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "./context.js";
import type { DeployedFunction } from "./function-factory.js";
import { logWriteStatement, policyDocument, trustPolicy, type PolicyStatement } from "./iam.js";
import { deployedName } from "./names.js";

export interface LambdaSpec {
  /** Logical name and name fragment (`ec2-isolate-instance`, `approval-respond`). */
  readonly slug: string;
  readonly description: string;
  readonly entry: string;
  /** The function's permissions, all of them (its log stream writes are added here). */
  readonly statements: pulumi.Input<readonly PolicyStatement[]>;
  readonly environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
  readonly timeoutSeconds: number;
  readonly memoryMb?: number;
}

export interface Lambda {
  readonly fn: DeployedFunction;
  readonly role: aws.iam.Role;
}

/** One function with its own role: the role holds exactly `statements` plus writing its log group. */
export function lambdaWithRole(ctx: StackContext, spec: LambdaSpec): Lambda {
  const name = deployedName(ctx.stage, spec.slug);
  const role = new aws.iam.Role(`${spec.slug}-role`, {
    name,
    description: `irflow ${ctx.stage}: ${spec.description}`.slice(0, 1000),
    assumeRolePolicy: trustPolicy("lambda.amazonaws.com"),
    tags: ctx.tags,
  });
  const logGroupArn = pulumi.interpolate`arn:${ctx.partition}:logs:${ctx.region}:${ctx.account}:log-group:/aws/lambda/${name}`;
  const policy = new aws.iam.RolePolicy(`${spec.slug}-policy`, {
    role: role.id,
    name: "irflow",
    policy: pulumi.all([spec.statements, logGroupArn]).apply(([statements, logs]) => JSON.stringify(policyDocument([...statements, logWriteStatement(logs)]))),
  });
  const fn = ctx.functions({
    key: spec.slug,
    name,
    description: spec.description.slice(0, 256),
    entry: spec.entry,
    // The ARN only once the policy exists, so no first invocation runs without its permissions.
    roleArn: pulumi.all([role.arn, policy.id]).apply(([arn]) => arn),
    environment: spec.environment,
    timeoutSeconds: spec.timeoutSeconds,
    memoryMb: spec.memoryMb ?? 512,
    logRetentionDays: ctx.config.logRetentionDays,
  });
  return { fn, role };
}
