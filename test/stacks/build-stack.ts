import { resolve } from "node:path";
import { stageConfig, type StageConfig } from "../../stacks/config.js";
import { plainFunctionFactory } from "../../stacks/function-factory.js";
import { deployIrflow, type IrflowOutputs } from "../../stacks/irflow.js";
import { loadManifest, type Manifest } from "../../stacks/manifest.js";
import { installMocks, settled, type MockedResource } from "./pulumi-harness.js";

export const ROOT = resolve(import.meta.dirname, "../..");

export const TEST_CONFIG = {
  stages: {
    test: {
      quarantineGroups: { "vpc-0a1b2c3d4e5f60718": "sg-0a1b2c3d4e5f60718" },
      topics: { owner: "arn:aws:sns:eu-west-1:123456789012:resource-owners" },
      approvers: {
        "ec2-instance-compromise": { default: ["arn:aws:iam::123456789012:role/IncidentResponder"], destructive: ["arn:aws:iam::123456789012:role/IncidentLead"] },
      },
      auditors: ["arn:aws:iam::123456789012:role/SecurityAuditor"],
      audit: { objectLockMode: "COMPLIANCE", retentionDays: 400 },
      logRetentionDays: 90,
    },
  },
};

export interface BuiltStack {
  readonly manifest: Manifest;
  readonly config: StageConfig;
  readonly created: MockedResource[];
  readonly outputs: IrflowOutputs;
}

/** Builds the whole stage under Pulumi's mocks, once, and waits until every resource is registered. */
export async function buildStack({ stage = "test", production = true, raw = TEST_CONFIG }: { stage?: string; production?: boolean; raw?: unknown } = {}): Promise<BuiltStack> {
  const created = installMocks();
  const manifest = loadManifest(ROOT);
  const config = stageConfig(raw, stage, manifest);
  const outputs = deployIrflow({ stage, production, config, manifest, root: ROOT, functions: plainFunctionFactory });
  await settled(created);
  return { manifest, config, created, outputs };
}
