import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { IamUserName } from "../contract/aws-ids.js";

export default defineTaskContract({
  name: "iam.enable-console-login",
  summary: "Give an IAM user a console password again, which must be reset at first sign-in",
  risk: "reversible",
  csf: ["RC.RP"],
  input: z.object({
    userName: IamUserName,
  }),
  output: z.object({
    userName: IamUserName,
    /** False when a login profile already existed (left as it was). */
    created: z.boolean(),
    passwordResetRequired: z.literal(true),
  }),
  // The generated password meets the account password policy and never appears in the output:
  // execution history would keep it for 90 days. An administrator hands out access out of band.
  iam: [
    { actions: ["iam:GetAccountPasswordPolicy"], resources: ["*"] },
    {
      actions: ["iam:ListUserTags", "iam:GetLoginProfile", "iam:CreateLoginProfile"],
      resources: ["arn:{partition}:iam::{account}:user/*"],
    },
  ],
  plan: "ListUserTags (exempt guard) and GetLoginProfile (IAM has no DryRun); shows that a login profile will be created with a password reset required",
  undo: { by: "iam.disable-console-login" },
});
