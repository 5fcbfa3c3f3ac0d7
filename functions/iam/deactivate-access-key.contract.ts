import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { IamUserName, UserAccessKeyId } from "../contract/aws-ids.js";
import { AccessKeyStatus } from "./describe-access-key.contract.js";

export default defineTaskContract({
  name: "iam.deactivate-access-key",
  summary: "Deactivate (never delete) an IAM user's access key",
  risk: "reversible",
  csf: ["RS.MI-01"],
  input: z.object({
    /** Found from the key (GetAccessKeyLastUsed) when absent. */
    userName: IamUserName.optional(),
    accessKeyId: UserAccessKeyId,
  }),
  output: z.object({
    userName: IamUserName,
    accessKeyId: UserAccessKeyId,
    previousStatus: AccessKeyStatus,
  }),
  // Deactivate, never delete: a deleted key cannot come back if it was the wrong one, and its id
  // stays the handle for CloudTrail queries about what it did. Sessions already minted with the key
  // (GetSessionToken) outlive its deactivation: revoke the user's sessions as well.
  iam: [
    {
      actions: ["iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:ListUserTags", "iam:UpdateAccessKey"],
      resources: ["arn:{partition}:iam::{account}:user/*"],
    },
  ],
  plan: "GetAccessKeyLastUsed, ListAccessKeys and ListUserTags (exempt guard; IAM has no DryRun); shows the key's owner, last use and status change",
  undo: { by: "iam.activate-access-key" },
});
