import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { AmiId, InstanceId, InstanceProfileArn, Ipv4Address, SecurityGroupId, SubnetId } from "../contract/aws-ids.js";

export default defineTaskContract({
  name: "ec2.launch-replacement-instance",
  summary: "Launch a clean replacement for a compromised instance in its subnet, with its profile and new groups",
  risk: "reversible",
  csf: ["RC.RP"],
  input: z.object({
    /** The compromised instance, whose subnet, type and instance profile the replacement takes. */
    instanceId: InstanceId,
    /**
     * Defaults to the AMI the compromised instance launched from; pass a patched one when the
     * compromise came through the image's own software.
     */
    amiId: AmiId.optional(),
    /** Clean groups for the replacement; the compromised instance's groups may have been altered. */
    securityGroupIds: z.array(SecurityGroupId).min(1).max(16),
    instanceType: z.string().regex(/^[a-z0-9-]+\.[a-z0-9-]+$/).optional(),
    /** User data is a known persistence point for an attacker; copy it only after reviewing it. */
    copyUserData: z.boolean().default(false),
  }),
  output: z.object({
    instanceId: InstanceId,
    replacesInstanceId: InstanceId,
    imageId: AmiId,
    subnetId: SubnetId,
    securityGroupIds: z.array(SecurityGroupId).min(1).max(16),
    instanceProfileArn: InstanceProfileArn.optional(),
    privateIp: Ipv4Address.optional(),
  }),
  // The key pair is not carried over (it may be what the attacker holds; use Session Manager), and
  // the replacement requires IMDSv2 tokens so that an SSRF cannot read its role credentials.
  // KMS: encrypted AMIs and default EBS encryption need EC2 to use the key on the caller's behalf.
  iam: [
    { actions: ["ec2:DescribeInstances", "ec2:DescribeImages"], resources: ["*"] },
    { actions: ["ec2:DescribeInstanceAttribute"], resources: ["arn:{partition}:ec2:{region}:{account}:instance/*"] },
    {
      actions: ["ec2:RunInstances"],
      resources: [
        "arn:{partition}:ec2:{region}::image/*",
        "arn:{partition}:ec2:{region}:{account}:instance/*",
        "arn:{partition}:ec2:{region}:{account}:volume/*",
        "arn:{partition}:ec2:{region}:{account}:network-interface/*",
        "arn:{partition}:ec2:{region}:{account}:security-group/*",
        "arn:{partition}:ec2:{region}:{account}:subnet/*",
      ],
    },
    {
      actions: ["ec2:CreateTags"],
      resources: [
        "arn:{partition}:ec2:{region}:{account}:instance/*",
        "arn:{partition}:ec2:{region}:{account}:volume/*",
        "arn:{partition}:ec2:{region}:{account}:network-interface/*",
      ],
      conditions: { StringEquals: { "ec2:CreateAction": "RunInstances" } },
    },
    {
      actions: ["iam:PassRole"],
      resources: ["arn:{partition}:iam::{account}:role/*"],
      conditions: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } },
    },
    {
      actions: ["kms:CreateGrant"],
      resources: ["arn:{partition}:kms:{region}:{account}:key/*"],
      conditions: { Bool: { "kms:GrantIsForAWSResource": "true" } },
    },
    {
      actions: ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo"],
      resources: ["arn:{partition}:kms:{region}:{account}:key/*"],
      conditions: { StringLike: { "kms:ViaService": "ec2.*.amazonaws.com" } },
    },
  ],
  plan: "DescribeInstances and DescribeImages, then RunInstances with DryRun; lists the AMI, subnet, type, profile, groups and incident tags",
  undo: { by: "ec2.terminate-instance" },
});
