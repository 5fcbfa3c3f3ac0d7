import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { Cidr, IpProtocol, Port, SecurityGroupId, SecurityGroupRuleId } from "../contract/aws-ids.js";
import { RevokedRule } from "./revoke-security-group-rule.contract.js";

export default defineTaskContract({
  name: "ec2.restore-security-group-rule",
  summary: "Re-create a revoked security group rule exactly as it was",
  risk: "reversible",
  csf: ["RC.RP"],
  input: RevokedRule.partial({ ruleId: true }),
  output: z.object({
    groupId: SecurityGroupId,
    /** The new rule's id: EC2 gives a re-created rule a new one. */
    ruleId: SecurityGroupRuleId,
    direction: z.enum(["ingress", "egress"]),
    protocol: IpProtocol,
    fromPort: Port.optional(),
    toPort: Port.optional(),
    cidr: Cidr,
  }),
  iam: [
    { actions: ["ec2:DescribeSecurityGroupRules"], resources: ["*"] },
    {
      actions: ["ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress"],
      resources: [
        "arn:{partition}:ec2:{region}:{account}:security-group/*",
        "arn:{partition}:ec2:{region}:{account}:security-group-rule/*",
      ],
    },
  ],
  plan: "DescribeSecurityGroupRules (the rule must not already exist), then AuthorizeSecurityGroupIngress/Egress with DryRun; shows the rule",
  undo: { by: "ec2.revoke-security-group-rule" },
});
