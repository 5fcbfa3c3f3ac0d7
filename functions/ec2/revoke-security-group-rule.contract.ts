import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { Cidr, IpProtocol, Port, SecurityGroupId, SecurityGroupRuleId } from "../contract/aws-ids.js";
import { IncidentPermission } from "../incident/document.js";

/** A rule exactly as it stood, so that restoring it recreates it and nothing more. */
export const RevokedRule = z.object({
  groupId: SecurityGroupId,
  ruleId: SecurityGroupRuleId,
  direction: z.enum(["ingress", "egress"]),
  protocol: IpProtocol,
  fromPort: Port.optional(),
  toPort: Port.optional(),
  cidr: Cidr,
  description: z.string().max(255).optional(),
});

export default defineTaskContract({
  name: "ec2.revoke-security-group-rule",
  summary: "Revoke exactly the security group rule that was added (by rule id or exact permission)",
  risk: "reversible",
  csf: ["RS.MI-01"],
  // The incident document's `permission`, as CloudTrail reported the rule being added.
  input: IncidentPermission,
  output: RevokedRule,
  // A rule id is checked against the permission before use, so a stale id cannot revoke another
  // rule; without an id, only a rule matching protocol, ports and cidr exactly is revoked, and a
  // rule that also holds other ranges loses only this one. EC2 answers a revoke that matches
  // nothing with success (UnknownIpPermissions): the task reports that as NotFound, never as done.
  // The matched rule is revoked by its id, so the call can only ever remove that one rule. A rule
  // named by id that is already gone is done (nothing changes, no undo); DescribeSecurityGroups
  // reads the group's tags for the exempt guard.
  iam: [
    { actions: ["ec2:DescribeSecurityGroupRules", "ec2:DescribeSecurityGroups"], resources: ["*"] },
    {
      actions: ["ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress"],
      resources: [
        "arn:{partition}:ec2:{region}:{account}:security-group/*",
        "arn:{partition}:ec2:{region}:{account}:security-group-rule/*",
      ],
    },
  ],
  plan: "DescribeSecurityGroupRules to find the one matching rule, then RevokeSecurityGroupIngress/Egress with DryRun; shows the rule",
  undo: { by: "ec2.restore-security-group-rule" },
});
