import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import {
  AmiId,
  AutoScalingGroupName,
  Cidr,
  IamRoleName,
  InstanceId,
  InstanceProfileArn,
  Ipv4Address,
  NetworkInterfaceId,
  Port,
  SecurityGroupId,
  SecurityGroupRuleId,
  SubnetId,
  TargetGroupArn,
  VolumeId,
  VpcId,
} from "../contract/aws-ids.js";

export const InstanceState = z.enum(["pending", "running", "shutting-down", "terminated", "stopping", "stopped"]);

/**
 * An ingress rule that lets the whole internet reach a port over TCP, shaped as
 * ec2.revoke-security-group-rule takes it (its rule id is checked against the rest before use).
 */
export const WorldOpenRule = z.object({
  groupId: SecurityGroupId,
  ruleId: SecurityGroupRuleId,
  direction: z.enum(["ingress"]),
  protocol: z.enum(["tcp"]),
  fromPort: Port,
  toPort: Port,
  cidr: Cidr,
});

export default defineTaskContract({
  name: "ec2.describe-instance",
  summary: "Enrich the incident with an instance's network, volumes, role, owner, group and load-balancer membership",
  risk: "read",
  csf: ["DE.AE", "RS.AN"],
  input: z.object({
    instanceId: InstanceId,
    /** A port a finding names (e.g. the one being brute-forced): the output then lists the rules that open it to the world. */
    exposedPort: Port.optional(),
  }),
  output: z.object({
    instanceId: InstanceId,
    state: InstanceState,
    instanceType: z.string().min(1).max(64),
    platform: z.enum(["linux", "windows"]),
    imageId: AmiId,
    launchTime: z.iso.datetime(),
    availabilityZone: z.string().min(1).max(64),
    vpcId: VpcId,
    subnetId: SubnetId,
    securityGroupIds: z.array(SecurityGroupId).max(16),
    // ModifyInstanceAttribute refuses a group change on an instance with more than one interface;
    // isolation then has to change each interface.
    networkInterfaceIds: z.array(NetworkInterfaceId).max(64),
    volumeIds: z.array(VolumeId).max(128),
    privateIp: Ipv4Address.optional(),
    publicIp: Ipv4Address.optional(),
    instanceProfileArn: InstanceProfileArn.optional(),
    iamRoleName: IamRoleName.optional(),
    // Asked of Auto Scaling, not read from the aws:autoscaling:groupName tag, which survives a detach.
    autoScalingGroupName: AutoScalingGroupName.optional(),
    // EC2 does not know its target groups; each group in the region is asked (DescribeTargetHealth).
    targetGroupArns: z.array(TargetGroupArn).max(100),
    tags: z.record(z.string().min(1).max(128), z.string().max(256)),
    owner: z.string().max(256).optional(),
    environment: z.string().max(256).optional(),
    /**
     * True when tagged irflow:exempt=true or critical=true. Anyone who can tag can set it, so
     * runbooks should route an exempt instance to a human rather than skip it silently.
     */
    exempt: z.boolean(),
    /**
     * Only when asked with exposedPort: the TCP ingress rules of any of its groups (every interface)
     * that admit 0.0.0.0/0 or ::/0 to that port. All-traffic rules are not listed: revoking one
     * closes every port, which is a different decision from closing this one.
     */
    openToWorld: z.array(WorldOpenRule).max(64).optional(),
  }),
  iam: [
    {
      actions: [
        "ec2:DescribeInstances",
        "ec2:DescribeSecurityGroupRules",
        "autoscaling:DescribeAutoScalingInstances",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
      ],
      resources: ["*"],
    },
    { actions: ["iam:GetInstanceProfile"], resources: ["arn:{partition}:iam::{account}:instance-profile/*"] },
  ],
  evidence: { captures: ["ec2-instance-metadata"] },
});
