import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { IamUserName } from "../contract/aws-ids.js";

export default defineTaskContract({
  name: "iam.disable-console-login",
  summary: "Remove an IAM user's console password (login profile), recording whether one existed",
  risk: "reversible",
  csf: ["RS.MI-01"],
  input: z.object({
    userName: IamUserName,
  }),
  output: z.object({
    userName: IamUserName,
    /** False when the user had no console access; then there is nothing to enable again. */
    hadLoginProfile: z.boolean(),
    profileCreatedAt: z.iso.datetime().optional(),
  }),
  // IAM has no disabled state for a password: deleting the login profile is how console access is
  // turned off, and the old password cannot come back (re-enabling sets a new one).
  iam: [
    {
      actions: ["iam:ListUserTags", "iam:GetLoginProfile", "iam:DeleteLoginProfile"],
      resources: ["arn:{partition}:iam::{account}:user/*"],
    },
  ],
  plan: "ListUserTags (exempt guard) and GetLoginProfile (IAM has no DryRun); shows whether a console password exists and will be removed",
  undo: { by: "iam.enable-console-login" },
});
