import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { InstanceId, SecurityGroupId, VpcId } from "../contract/aws-ids.js";

export default defineTaskContract({
  name: "ec2.isolate-instance",
  summary: "Move an instance into a quarantine security group (nothing in; HTTPS out to the VPC's SSM and S3 endpoints only), cutting tracked connections",
  risk: "reversible",
  csf: ["RS.MI-01"],
  input: z.object({
    instanceId: InstanceId,
    /**
     * The VPC's quarantine group; created (and tagged) in the instance's VPC when absent. A named
     * group (here or in the deployment's quarantineGroups) is refused when it allows anything in,
     * or anything out beyond HTTPS to the VPC's ssm, ssmmessages, ec2messages and S3 endpoints.
     */
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
  // An instance with several interfaces cannot change groups through ModifyInstanceAttribute, so
  // each interface is moved (ModifyNetworkInterfaceAttribute). The instance's own tags record the
  // original groups (irflow:isolated-from), so a second isolation keeps the true originals.
  // The quarantine group keeps egress HTTPS to the VPC endpoints of ssm, ssmmessages and
  // ec2messages (by their security groups) and S3's gateway endpoint (its prefix list), found with
  // DescribeVpcEndpoints and DescribePrefixLists: memory capture after isolation needs the SSM agent
  // online and the upload to reach S3; nothing else leaves the instance.
  iam: [
    { actions: ["ec2:DescribeInstances", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcEndpoints", "ec2:DescribePrefixLists"], resources: ["*"] },
    {
      actions: [
        "ec2:CreateSecurityGroup",
        "ec2:AuthorizeSecurityGroupIngress",
        "ec2:AuthorizeSecurityGroupEgress",
        "ec2:RevokeSecurityGroupIngress",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:CreateTags",
      ],
      resources: ["arn:{partition}:ec2:{region}:{account}:security-group/*", "arn:{partition}:ec2:{region}:{account}:vpc/*"],
    },
    {
      actions: ["ec2:ModifyNetworkInterfaceAttribute"],
      resources: ["arn:{partition}:ec2:{region}:{account}:network-interface/*", "arn:{partition}:ec2:{region}:{account}:security-group/*"],
    },
    {
      actions: ["ec2:DescribeInstanceAttribute", "ec2:ModifyInstanceAttribute"],
      resources: ["arn:{partition}:ec2:{region}:{account}:instance/*", "arn:{partition}:ec2:{region}:{account}:volume/*"],
    },
    { actions: ["ec2:CreateTags", "ec2:DeleteTags"], resources: ["arn:{partition}:ec2:{region}:{account}:instance/*"] },
  ],
  plan: "DescribeInstances, DescribeVpcEndpoints, DescribeSecurityGroups (a named quarantine group must allow only HTTPS to the VPC endpoints) and DescribeInstanceAttribute, then DryRun of CreateSecurityGroup (when the quarantine group is missing), ModifyNetworkInterfaceAttribute and ModifyInstanceAttribute; lists group creation, the per-interface moves with their original groups, the isolation tags and the protection changes",
  undo: { by: "ec2.restore-security-groups" },
});
