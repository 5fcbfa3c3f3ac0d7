import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { IamPolicyName, IamUserName } from "../contract/aws-ids.js";

export default defineTaskContract({
  name: "iam.revoke-user-sessions",
  summary: "Deny every temporary session of a user issued before now, with an inline policy on aws:TokenIssueTime",
  risk: "reversible",
  csf: ["RS.MI-01"],
  input: z.object({
    userName: IamUserName,
  }),
  output: z.object({
    userName: IamUserName,
    policyName: IamPolicyName,
    revokedBefore: z.iso.datetime(),
  }),
  // aws:TokenIssueTime exists only on temporary credentials (GetSessionToken, GetFederationToken,
  // console sessions), which live up to 36 hours; the deny ends those and leaves long-term access
  // keys alone, so a compromised key is deactivated by its own step.
  iam: [
    {
      actions: ["iam:GetUser", "iam:ListUserTags", "iam:GetUserPolicy", "iam:PutUserPolicy"],
      resources: ["arn:{partition}:iam::{account}:user/*"],
    },
  ],
  plan: "GetUser, ListUserTags (exempt guard) and GetUserPolicy (IAM has no DryRun); shows the deny policy and its cut-off time",
  undo: { by: "iam.remove-session-revocation" },
});
