import * as z from "zod";
import { BucketName, Region, SecurityGroupId, SnsTopicArn, VpcId } from "./aws-ids.js";

/**
 * Deployment configuration every task may read: where evidence goes, which quarantine group each
 * VPC uses, which topic each audience listens on. Validated once at cold start; a bad value fails
 * loudly there instead of halfway through a containment.
 */
export const IrflowConfig = z.object({
  region: Region,
  evidenceBucket: BucketName.optional(),
  quarantineGroups: z.record(VpcId, SecurityGroupId).default({}),
  topics: z
    .object({
      responders: SnsTopicArn.optional(),
      owner: SnsTopicArn.optional(),
      "security-lead": SnsTopicArn.optional(),
    })
    .default({}),
  memoryCaptureDocument: z.string().regex(/^[\w.-]{3,128}$/).default("irflow-capture-memory"),
  /** Changes one step may make unless the runbook says otherwise (`max-changes`). */
  defaultMaxChanges: z.number().int().min(1).max(1000).default(10),
});
export type IrflowConfig = z.infer<typeof IrflowConfig>;
