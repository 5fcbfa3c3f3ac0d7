import * as z from "zod";
import { AmiId, Cidr, InstanceProfileArn, InstanceId, NetworkAclId, NetworkInterfaceId, SecurityGroupId, SecurityGroupRuleId, SnapshotId, SubnetId, VolumeId, VpcId } from "../../../functions/contract/aws-ids.js";

/** The EC2 part of a scenario: what exists before the run, in the shape a responder would write it. */

export const Tags = z.record(z.string().min(1).max(128), z.string().max(256)).default({});
const AvailabilityZone = z.string().regex(/^[a-z]{2}(?:-gov)?-[a-z]+-\d[a-z]$/, "must be an availability zone such as us-east-1a");
const Ipv4 = z.ipv4();
const Protocol = z.union([z.enum(["tcp", "udp", "icmp", "icmpv6", "-1"]), z.string().regex(/^\d{1,3}$/)]);

export const SecurityGroupRuleSeed = z
  .strictObject({
    ruleId: SecurityGroupRuleId.optional(),
    protocol: Protocol.default("-1"),
    fromPort: z.number().int().min(-1).max(65535).optional(),
    toPort: z.number().int().min(-1).max(65535).optional(),
    cidr: Cidr.optional(),
    /** Another security group as the source (ingress) or destination (egress). */
    groupId: SecurityGroupId.optional(),
    prefixListId: z.string().regex(/^pl-[0-9a-f]{8,17}$/).optional(),
    description: z.string().max(255).optional(),
    tags: Tags,
  })
  .refine((r) => [r.cidr, r.groupId, r.prefixListId].filter((v) => v !== undefined).length === 1, "give exactly one of cidr, groupId, prefixListId")
  .refine((r) => !["tcp", "udp", "6", "17"].includes(r.protocol) || (r.fromPort !== undefined && r.toPort !== undefined), "a tcp or udp rule needs fromPort and toPort");

export const VpcEndpointSeed = z
  .strictObject({
    vpcEndpointId: z.string().regex(/^vpce-(?:[0-9a-f]{8}|[0-9a-f]{17})$/, "must be a VPC endpoint id (vpce-…)"),
    vpcId: VpcId,
    /** The service's short name: `ssm` stands for com.amazonaws.<region>.ssm. */
    service: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,60}$/),
    type: z.enum(["Interface", "Gateway"]).optional(),
    /** Interface endpoints: one address per subnet, behind these groups. */
    subnets: z.array(SubnetId).default([]),
    securityGroups: z.array(SecurityGroupId).max(5).default([]),
    /** Gateway endpoints: the service's prefix list (pl-…), the destination of egress rules. */
    prefixListId: z.string().regex(/^pl-[0-9a-f]{8,17}$/).optional(),
    tags: Tags,
  })
  .transform((e) => ({ ...e, type: e.type ?? (e.service === "s3" || e.service === "dynamodb" ? "Gateway" : "Interface") }))
  .refine((e) => e.type === "Interface" || e.prefixListId !== undefined, "a gateway endpoint needs prefixListId")
  .refine((e) => e.type === "Gateway" || (e.subnets.length > 0 && e.securityGroups.length > 0), "an interface endpoint needs subnets and securityGroups");
export type VpcEndpointSeed = z.output<typeof VpcEndpointSeed>;

export const Ec2Resources = z.strictObject({
  /** DescribeInstances calls an instance stays in a transitional state (pending, stopping, shutting-down). */
  transitionPolls: z.number().int().min(1).max(50).default(1),
  /** DescribeSnapshots calls a new snapshot stays pending. */
  snapshotPolls: z.number().int().min(1).max(50).default(1),
  vpcs: z
    .array(
      z.strictObject({
        vpcId: VpcId,
        cidr: z.cidrv4(),
        ipv6Cidr: z.cidrv6().optional(),
        isDefault: z.boolean().default(false),
        tags: Tags,
      }),
    )
    .default([]),
  subnets: z
    .array(
      z.strictObject({
        subnetId: SubnetId,
        vpcId: VpcId,
        cidr: z.cidrv4(),
        availabilityZone: AvailabilityZone,
        /** A subnet whose route table sends 0.0.0.0/0 to an internet gateway. */
        public: z.boolean().default(false),
        tags: Tags,
      }),
    )
    .default([]),
  securityGroups: z
    .array(
      z.strictObject({
        groupId: SecurityGroupId,
        name: z.string().min(1).max(255),
        description: z.string().max(255).default("managed by the scenario"),
        vpcId: VpcId,
        tags: Tags,
        ingress: z.array(SecurityGroupRuleSeed).default([]),
        /** Absent: the allow-all egress every new group gets (IPv6 too when the VPC has IPv6). */
        egress: z.array(SecurityGroupRuleSeed).optional(),
      }),
    )
    .default([]),
  networkAcls: z
    .array(
      z.strictObject({
        networkAclId: NetworkAclId,
        vpcId: VpcId,
        isDefault: z.boolean().default(false),
        subnets: z.array(SubnetId).default([]),
        /** Numbered entries; the fixed `*` deny entries are always there. Absent on a default ACL: allow all at 100. */
        entries: z
          .array(
            z.strictObject({
              ruleNumber: z.number().int().min(1).max(32766),
              egress: z.boolean(),
              action: z.enum(["allow", "deny"]),
              protocol: z.union([z.literal("-1"), z.string().regex(/^\d{1,3}$/), z.enum(["tcp", "udp", "icmp"])]).default("-1"),
              cidr: Cidr,
              fromPort: z.number().int().min(0).max(65535).optional(),
              toPort: z.number().int().min(0).max(65535).optional(),
            }),
          )
          .optional(),
        /** Entries allowed per direction and address family (the account's quota: 20, at most 40). */
        entryQuota: z.number().int().min(1).max(40).default(20),
        tags: Tags,
      }),
    )
    .default([]),
  images: z
    .array(
      z.strictObject({
        imageId: AmiId,
        name: z.string().min(1),
        state: z.enum(["available", "pending", "deregistered", "failed"]).default("available"),
        platform: z.literal("windows").optional(),
        rootDeviceName: z.string().default("/dev/xvda"),
        rootVolumeSizeGib: z.number().int().min(1).default(8),
        ownerId: z.string().regex(/^\d{12}$/).optional(),
      }),
    )
    .default([]),
  instances: z
    .array(
      z.strictObject({
        instanceId: InstanceId,
        imageId: AmiId,
        instanceType: z.string().regex(/^[a-z0-9-]+\.[a-z0-9-]+$/).default("t3.micro"),
        state: z.enum(["pending", "running", "stopping", "stopped", "shutting-down", "terminated"]).default("running"),
        subnetId: SubnetId,
        privateIp: Ipv4.optional(),
        publicIp: Ipv4.optional(),
        /** Short form: the primary interface's groups (and id). Or give networkInterfaces. */
        securityGroups: z.array(SecurityGroupId).min(1).max(5).optional(),
        networkInterfaceId: NetworkInterfaceId.optional(),
        networkInterfaces: z
          .array(
            z.strictObject({
              networkInterfaceId: NetworkInterfaceId,
              deviceIndex: z.number().int().min(0).max(15),
              subnetId: SubnetId.optional(),
              securityGroups: z.array(SecurityGroupId).min(1).max(5),
              privateIp: Ipv4.optional(),
            }),
          )
          .min(1)
          .optional(),
        iamInstanceProfile: InstanceProfileArn.optional(),
        disableApiTermination: z.boolean().default(false),
        rootDeviceType: z.enum(["ebs", "instance-store"]).default("ebs"),
        rootDeviceName: z.string().optional(),
        volumes: z
          .array(
            z.strictObject({
              volumeId: VolumeId,
              deviceName: z.string().regex(/^\/dev\/[a-z0-9]+$/),
              sizeGib: z.number().int().min(1).max(65536).default(8),
              deleteOnTermination: z.boolean().default(true),
              encrypted: z.boolean().default(false),
              volumeType: z.enum(["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"]).default("gp3"),
              tags: Tags,
            }),
          )
          .default([]),
        tags: Tags,
        /** Plain text; EC2 hands it out base64-encoded. */
        userData: z.string().max(16384).optional(),
        launchTime: z.iso.datetime({ offset: true }).optional(),
        platform: z.literal("windows").optional(),
        keyName: z.string().optional(),
        metadataHttpTokens: z.enum(["optional", "required"]).default("required"),
        /** StartInstances goes pending, then back to stopped with this state reason (e.g. an unusable KMS key). */
        failStartWith: z.string().optional(),
      }),
    )
    .default([]),
  vpcEndpoints: z.array(VpcEndpointSeed).default([]),
  snapshots: z
    .array(
      z.strictObject({
        snapshotId: SnapshotId,
        volumeId: VolumeId,
        sizeGib: z.number().int().min(1).default(8),
        state: z.enum(["pending", "completed", "error"]).default("completed"),
        startTime: z.iso.datetime({ offset: true }),
        description: z.string().default(""),
        tags: Tags,
      }),
    )
    .default([]),
});
export type Ec2Resources = z.output<typeof Ec2Resources>;
