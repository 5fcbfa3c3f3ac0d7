import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadStageConfig, stageConfig } from "../../stacks/config.js";
import { loadManifest, parseManifest } from "../../stacks/manifest.js";
import { ROOT, TEST_CONFIG } from "./build-stack.js";
import { tempDir } from "../support/temp-dir.js";

const manifest = loadManifest(ROOT);
const withStage = (stage: Record<string, unknown>) => ({ stages: { prod: stage } });

describe("stage configuration", () => {
  it("fills defaults for an empty stage", () => {
    expect(stageConfig(withStage({}), "prod", manifest)).toEqual({
      quarantineGroups: {},
      topics: {},
      approvers: {},
      auditors: [],
      audit: { objectLockMode: "GOVERNANCE", retentionDays: 365 },
      logRetentionDays: 365,
    });
  });

  it("the example file shipped at the top level is valid", () => {
    expect(() => loadStageConfig(join(ROOT, "irflow.config.example.json"), "prod", manifest)).not.toThrow();
    expect(() => stageConfig(TEST_CONFIG, "test", manifest)).not.toThrow();
  });

  it.each([
    [{ quarantineGroups: { "vpc-0a1b2c3d4e5f60718": "group-1" } }, /stages\.prod\.quarantineGroups\.vpc-0a1b2c3d4e5f60718: must be a security group/],
    [{ quarantineGroups: { "subnet-0a1b2c3d": "sg-0a1b2c3d4e5f60718" } }, /stages\.prod\.quarantineGroups/],
    [{ evidenceBucket: "Not_A_Bucket" }, /stages\.prod\.evidenceBucket/],
    [{ topics: { responders: "arn:aws:sqs:eu-west-1:123456789012:q" } }, /stages\.prod\.topics\.responders: must be an SNS topic ARN/],
    [{ approvers: { "ec2-instance-compromise": { default: ["arn:aws:iam::*:role/IncidentResponder"] } } }, /stages\.prod\.approvers\.ec2-instance-compromise\.default\.0: must be an IAM role ARN with a 12-digit account id/],
    [{ approvers: { "no-such-runbook": { default: ["arn:aws:iam::123456789012:role/R"] } } }, /stages\.prod\.approvers\.no-such-runbook: no runbook has this id/],
    [{ audit: { objectLockMode: "LEGAL" } }, /stages\.prod\.audit\.objectLockMode/],
    [{ logRetentionDays: 10 }, /stages\.prod\.logRetentionDays: must be one of CloudWatch Logs' retention values/],
    [{ memoryCaptureDocument: "my-doc" }, /stages\.prod\.memoryCaptureDocument: must be "irflow-capture-memory"/],
    [{ surprise: true }, /stages\.prod: Unrecognized key: "surprise"/],
  ])("refuses %j naming the field", (stage, message) => {
    expect(() => stageConfig(withStage(stage), "prod", manifest)).toThrow(ConfigError);
    expect(() => stageConfig(withStage(stage), "prod", manifest)).toThrow(message);
  });

  it("names a missing stage and the configured ones, and refuses a bad stage name", () => {
    expect(() => stageConfig(withStage({}), "dev", manifest)).toThrow(/stages\.dev is missing \(configured: prod\)/);
    expect(() => stageConfig(withStage({}), "Prod!", manifest)).toThrow(/stage "Prod!": must be a stage name/);
  });

  it("explains a missing or unreadable file", () => {
    const dir = tempDir("irflow-config-");
    expect(() => loadStageConfig(join(dir, "irflow.config.json"), "prod", manifest)).toThrow(/not found: copy irflow.config.example.json/);
    writeFileSync(join(dir, "irflow.config.json"), "{ stages: ");
    expect(() => loadStageConfig(join(dir, "irflow.config.json"), "prod", manifest)).toThrow(/is not valid JSON/);
  });
});

describe("manifest", () => {
  it("refuses a manifest whose machine uses an undeclared task, naming both", () => {
    const raw = structuredClone(manifest) as { machines: { tasks: string[] }[] };
    raw.machines[0]!.tasks.push("ec2.no-such-task");
    expect(() => parseManifest(raw)).toThrow(/uses task ec2.no-such-task, which the manifest does not declare/);
  });

  it("refuses a wildcard IAM action with the field's path", () => {
    const raw = structuredClone(manifest) as { tasks: Record<string, { iam: { actions: string[] }[] }> };
    raw.tasks["sns.notify"]!.iam[0]!.actions = ["sns:*"];
    expect(() => parseManifest(raw)).toThrow(/tasks\.sns\.notify\.iam\.0\.actions\.0: must be an exact IAM action/);
  });
});
