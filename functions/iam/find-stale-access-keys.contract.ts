import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { IamUserName, UserAccessKeyId } from "../contract/aws-ids.js";

const StaleKey = z.object({
  userName: IamUserName,
  accessKeyId: UserAccessKeyId,
  ageDays: z.number().int().min(0),
  lastUsedAt: z.iso.datetime().optional(),
});

export default defineTaskContract({
  name: "iam.find-stale-access-keys",
  summary: "List active access keys older than the warning and deactivation ages",
  risk: "read",
  csf: ["DE.AE", "ID.IM"],
  input: z
    .object({
      warnAfterDays: z.number().int().min(1).max(3650).default(80),
      deactivateAfterDays: z.number().int().min(1).max(3650).default(90),
    })
    .refine((input) => input.warnAfterDays < input.deactivateAfterDays, "warnAfterDays must be less than deactivateAfterDays"),
  output: z.object({
    /** Older than warnAfterDays but not yet deactivateAfterDays. */
    warn: z.array(StaleKey).max(1000),
    deactivate: z.array(StaleKey).max(1000),
    usersChecked: z.number().int().min(0),
    /** More keys qualified than the lists hold; the next run picks up the rest. */
    truncated: z.boolean(),
  }),
  // Age counts from the key's creation (rotation), not its last use: a key used daily for years is
  // still one that may have leaked. Inactive keys are skipped.
  iam: [
    { actions: ["iam:ListUsers"], resources: ["*"] },
    {
      actions: ["iam:ListAccessKeys", "iam:GetAccessKeyLastUsed"],
      resources: ["arn:{partition}:iam::{account}:user/*"],
    },
  ],
  timeoutSeconds: 300,
});
