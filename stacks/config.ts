import { existsSync, readFileSync } from "node:fs";
import * as z from "zod";
import { BucketName, SecurityGroupId, SnsTopicArn, VpcId } from "../functions/contract/aws-ids.js";
import { LOG_RETENTION_DAYS } from "./function-factory.js";
import type { Manifest } from "./manifest.js";

/**
 * The deployment configuration, `irflow.config.json` at the repository root: one entry per stage
 * (see irflow.config.example.json and docs/deploy.md). Everything here is validated before a
 * single resource is declared, with errors that name the field.
 */
export const CONFIG_FILE = "irflow.config.json";

/** An approver or auditor role in a real account (the runbooks may use `*`; a deployment may not). */
const ConcreteRoleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\-/]{1,512}$/, "must be an IAM role ARN with a 12-digit account id");
const RoleList = z.array(ConcreteRoleArn).min(1, "must name at least one role");

export const StageName = z.string().regex(/^[a-z][a-z0-9-]{0,15}$/, "must be a stage name: lower case letters, digits and -, at most 16 characters");

/** The document ec2.capture-memory's IAM grant names; another name would be denied at run time. */
const MEMORY_CAPTURE_DOCUMENT = "irflow-capture-memory";

export const StageConfig = z.strictObject({
  /** Quarantine security group per VPC (ec2.isolate-instance creates one when a VPC has none). */
  quarantineGroups: z.record(VpcId, SecurityGroupId).default({}),
  /** An existing bucket for evidence (memory images, configuration snapshots); irflow creates one if unset. */
  evidenceBucket: BucketName.optional(),
  /** Alert topics by audience (sns.notify); irflow creates a KMS-encrypted topic for each one unset. */
  topics: z
    .strictObject({ responders: SnsTopicArn.optional(), owner: SnsTopicArn.optional(), "security-lead": SnsTopicArn.optional() })
    .prefault({}),
  /** Approver roles per runbook id: given the approval API (execute-api:Invoke) and passed to the respond function. */
  approvers: z
    .record(
      z.string(),
      z.strictObject({ default: RoleList.optional(), destructive: RoleList.optional(), escalation: RoleList.optional() }),
    )
    .default({}),
  /** Auditor roles: read the audit bucket and execution history. */
  auditors: z.array(ConcreteRoleArn).default([]),
  audit: z
    .strictObject({
      /** GOVERNANCE can be lifted by a principal with s3:BypassGovernanceRetention; COMPLIANCE by no one. */
      objectLockMode: z.enum(["GOVERNANCE", "COMPLIANCE"]).default("GOVERNANCE"),
      retentionDays: z.number().int().min(1).max(36500).default(365),
    })
    .prefault({}),
  /** Retention of every log group irflow creates (a CloudWatch Logs value). */
  logRetentionDays: z
    .number()
    .int()
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), `must be one of CloudWatch Logs' retention values: ${LOG_RETENTION_DAYS.join(", ")}`)
    .default(365),
  memoryCaptureDocument: z.literal(MEMORY_CAPTURE_DOCUMENT, `must be "${MEMORY_CAPTURE_DOCUMENT}": ec2.capture-memory's IAM grant names that SSM document`).optional(),
  defaultMaxChanges: z.number().int().min(1).max(1000).optional(),
});
export type StageConfig = z.infer<typeof StageConfig>;

export const DeployConfig = z.strictObject({
  $schema: z.string().optional(),
  stages: z.record(StageName, StageConfig),
});
export type DeployConfig = z.infer<typeof DeployConfig>;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** The configuration of one stage from the file's parsed JSON, checked against the manifest. */
export function stageConfig(raw: unknown, stage: string, manifest: Manifest, source = CONFIG_FILE): StageConfig {
  const name = StageName.safeParse(stage);
  if (!name.success) throw new ConfigError(`stage "${stage}": ${name.error.issues[0]?.message ?? "invalid"}`);
  const parsed = DeployConfig.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`);
    throw new ConfigError(`${source} is invalid:\n  ${issues.join("\n  ")}`);
  }
  const config = parsed.data.stages[stage];
  if (!config) {
    const known = Object.keys(parsed.data.stages);
    throw new ConfigError(`${source}: stages.${stage} is missing (configured: ${known.length > 0 ? known.join(", ") : "none"}); add it, see docs/deploy.md`);
  }
  const runbooks = new Set(manifest.runbooks.map((runbook) => runbook.id));
  for (const id of Object.keys(config.approvers)) {
    if (!runbooks.has(id)) throw new ConfigError(`${source}: stages.${stage}.approvers.${id}: no runbook has this id (runbooks: ${[...runbooks].join(", ")})`);
  }
  return config;
}

/** Reads `irflow.config.json` (or `file`) for one stage. */
export function loadStageConfig(file: string, stage: string, manifest: Manifest): StageConfig {
  if (!existsSync(file)) throw new ConfigError(`${file} not found: copy irflow.config.example.json to ${CONFIG_FILE} and add stages.${stage} (docs/deploy.md)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8")) as unknown;
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return stageConfig(raw, stage, manifest, file);
}
