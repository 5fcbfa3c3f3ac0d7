import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { IamPolicyName, IamRoleName, IamUserName } from "../contract/aws-ids.js";

export default defineTaskContract({
  name: "iam.remove-session-revocation",
  summary: "Remove a session-revocation deny policy from a user or role",
  risk: "reversible",
  csf: ["RC.RP"],
  input: z
    .object({
      userName: IamUserName.optional(),
      roleName: IamRoleName.optional(),
      policyName: IamPolicyName,
    })
    .refine((input) => (input.userName === undefined) !== (input.roleName === undefined), "give userName or roleName, not both"),
  output: z.object({
    userName: IamUserName.optional(),
    roleName: IamRoleName.optional(),
    policyName: IamPolicyName,
    /** False when the policy was already gone. */
    removed: z.boolean(),
    revokedBefore: z.iso.datetime().optional(),
  }),
  // The policy is deleted only if it is a pure Deny on aws:TokenIssueTime, so a wrong name cannot
  // remove someone's permissions policy. Removing it revives every session issued before its
  // cut-off that has not yet expired, stolen ones included: approvers see the cut-off in the plan.
  iam: [
    { actions: ["iam:ListUserTags", "iam:GetUserPolicy", "iam:DeleteUserPolicy"], resources: ["arn:{partition}:iam::{account}:user/*"] },
    { actions: ["iam:ListRoleTags", "iam:GetRolePolicy", "iam:DeleteRolePolicy"], resources: ["arn:{partition}:iam::{account}:role/*"] },
  ],
  plan: "ListUserTags or ListRoleTags (exempt guard), then GetUserPolicy or GetRolePolicy (IAM has no DryRun); shows the policy, checks it is a session revocation, and its cut-off",
  undo: { none: "re-revoking cuts off at a new time, not the original; run iam.revoke-user-sessions or iam.revoke-role-sessions again" },
});
