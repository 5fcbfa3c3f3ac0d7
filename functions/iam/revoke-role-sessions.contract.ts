import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { IamPolicyName, IamRoleName } from "../contract/aws-ids.js";

export default defineTaskContract({
  name: "iam.revoke-role-sessions",
  summary: "Deny every session of a role issued before now, with an inline policy on aws:TokenIssueTime",
  risk: "reversible",
  csf: ["RS.MI-01"],
  input: z.object({
    roleName: IamRoleName,
  }),
  output: z.object({
    roleName: IamRoleName,
    policyName: IamPolicyName,
    /** Sessions issued before this instant are denied every action. */
    revokedBefore: z.iso.datetime(),
  }),
  // Stolen role credentials stay valid until they expire (up to 12 hours) and cannot be recalled;
  // a Deny on aws:TokenIssueTime before now makes them useless at once, while sessions issued
  // afterwards (EC2 refreshes instance credentials on its own) keep working. The policy is named
  // AWSRevokeOlderSessions, as the console names it, so both update one policy instead of stacking.
  iam: [
    {
      actions: ["iam:GetRole", "iam:ListRoleTags", "iam:GetRolePolicy", "iam:PutRolePolicy"],
      resources: ["arn:{partition}:iam::{account}:role/*"],
    },
  ],
  plan: "GetRole, ListRoleTags (exempt guard) and GetRolePolicy (IAM has no DryRun); shows the deny policy and its cut-off time",
  undo: { by: "iam.remove-session-revocation" },
});
