import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { InstanceId, SecurityGroupId, VpcId } from "../contract/aws-ids.js";

export default defineTaskContract({
  name: "ec2.isolate-instance",
  summary: "Move an instance into a no-rule quarantine security group, cutting tracked connections",
  risk: "reversible",
  csf: ["RS.MI-01"],
  input: z.object({
    instanceId: InstanceId,
    /** The VPC's quarantine group; created (and tagged) in the instance's VPC when absent. */
    quarantineGroupId: SecurityGroupId.optional(),
  }),
  output: z.object({
    instanceId: InstanceId,
    vpcId: VpcId,
    originalGroupIds: z.array(SecurityGroupId).min(1),
    quarantineGroupId: SecurityGroupId,
    terminationProtection: z.boolean(),
    volumesKeptOnTermination: z.number().int().min(0),
  }),
  // Swapping first to an allow-all group and then to the no-rule group turns tracked connections
  // into untracked ones that the empty group then drops; a direct swap leaves them open.
  iam: [
    { actions: ["ec2:DescribeInstances", "ec2:DescribeSecurityGroups"], resources: ["*"] },
    {
      actions: ["ec2:CreateSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress", "ec2:CreateTags"],
      resources: ["arn:{partition}:ec2:{region}:{account}:security-group/*", "arn:{partition}:ec2:{region}:{account}:vpc/*"],
    },
    {
      actions: ["ec2:ModifyInstanceAttribute"],
      resources: ["arn:{partition}:ec2:{region}:{account}:instance/*"],
    },
  ],
  plan: "DescribeInstances, then ModifyInstanceAttribute with DryRun to prove permission; lists the group swap and the attribute changes",
  undo: { by: "ec2.restore-security-groups" },
});
