import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { AccessKeyId, IamUserName, UserAccessKeyId } from "../contract/aws-ids.js";

export const AccessKeyStatus = z.enum(["Active", "Inactive"]);

export default defineTaskContract({
  name: "iam.describe-access-key",
  summary: "Find an access key's owner, status, age and last use (service, region, time)",
  risk: "read",
  csf: ["DE.AE", "RS.AN"],
  input: z.object({
    accessKeyId: UserAccessKeyId,
    /** Found from the key when absent. */
    userName: IamUserName.optional(),
  }),
  output: z.object({
    accessKeyId: UserAccessKeyId,
    userName: IamUserName,
    status: AccessKeyStatus,
    createdAt: z.iso.datetime(),
    ageDays: z.number().int().min(0),
    /** Absent when the key was never used (IAM reports N/A). */
    lastUsedAt: z.iso.datetime().optional(),
    lastUsedService: z.string().max(128).optional(),
    lastUsedRegion: z.string().max(64).optional(),
    // An attacker holding iam:CreateAccessKey adds a second key to keep access after the first is
    // deactivated; the user's other key is listed so the runbook can look at it too.
    otherKeys: z
      .array(z.object({ accessKeyId: AccessKeyId, status: AccessKeyStatus, createdAt: z.iso.datetime() }))
      .max(1),
  }),
  iam: [
    {
      actions: ["iam:GetAccessKeyLastUsed", "iam:ListAccessKeys"],
      resources: ["arn:{partition}:iam::{account}:user/*"],
    },
  ],
  evidence: { captures: ["iam-key-activity"] },
});
