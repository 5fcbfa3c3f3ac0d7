import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { IamUserName, UserAccessKeyId } from "../contract/aws-ids.js";
import { AccessKeyStatus } from "./describe-access-key.contract.js";

export default defineTaskContract({
  name: "iam.activate-access-key",
  summary: "Reactivate an IAM user's access key",
  risk: "reversible",
  csf: ["RC.RP"],
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
  iam: [
    {
      actions: ["iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:ListUserTags", "iam:UpdateAccessKey"],
      resources: ["arn:{partition}:iam::{account}:user/*"],
    },
  ],
  plan: "GetAccessKeyLastUsed, ListAccessKeys and ListUserTags (exempt guard; IAM has no DryRun); shows the key's owner and status change",
  undo: { by: "iam.deactivate-access-key" },
});
