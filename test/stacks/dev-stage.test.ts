import { beforeAll, describe, expect, it } from "vitest";
import { IrflowConfig } from "../../functions/contract/config.js";
import { buildStack, type BuiltStack } from "./build-stack.js";
import { ofType } from "./pulumi-harness.js";

/** A non-production stage that brings its own evidence bucket and topics. */
let stack: BuiltStack;
beforeAll(async () => {
  stack = await buildStack({
    stage: "dev",
    production: false,
    raw: {
      stages: {
        dev: {
          evidenceBucket: "corp-ir-evidence",
          topics: { responders: "arn:aws:sns:eu-west-1:123456789012:oncall", owner: "arn:aws:sns:eu-west-1:123456789012:owners", "security-lead": "arn:aws:sns:eu-west-1:123456789012:lead" },
        },
      },
    },
  });
}, 120_000);

describe("a non-production stage with its own evidence bucket and topics", () => {
  it("creates no evidence bucket or alert topic, and points the tasks and their IAM at the configured ones", () => {
    expect(ofType(stack.created, "aws:s3/bucket:Bucket").map((bucket) => bucket.name)).toEqual(["audit-bucket"]);
    expect(ofType(stack.created, "aws:sns/topic:Topic").map((topic) => topic.inputs.name)).toEqual(["irflow-dev-approvals"]);
    const capture = ofType(stack.created, "aws:lambda/function:Function").find((fn) => fn.inputs.name === "irflow-dev-ec2-capture-memory")!;
    const env = (capture.inputs.environment as { variables: Record<string, string> }).variables;
    expect(env.IRFLOW_EVIDENCE_BUCKET).toBe("corp-ir-evidence");
    expect(IrflowConfig.parse(JSON.parse(env.IRFLOW_CONFIG!)).topics.responders).toBe("arn:aws:sns:eu-west-1:123456789012:oncall");
    const policies = ofType(stack.created, "aws:iam/rolePolicy:RolePolicy").map((policy) => policy.inputs.policy as string);
    expect(policies.some((policy) => policy.includes("arn:aws:s3:::corp-ir-evidence/*"))).toBe(true);
    expect(policies.some((policy) => policy.includes("arn:aws:sns:eu-west-1:123456789012:lead"))).toBe(true);
  });

  it("leaves tables deletable and attaches no policies when no roles are configured", () => {
    for (const table of ofType(stack.created, "aws:dynamodb/table:Table")) expect(table.inputs.deletionProtectionEnabled).toBe(false);
    expect(ofType(stack.created, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")).toEqual([]);
    expect(ofType(stack.created, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")[0]!.inputs).toMatchObject({ rule: { defaultRetention: { mode: "GOVERNANCE", days: 365 } } });
  });
});
