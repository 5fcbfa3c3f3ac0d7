import type { DescribeInstancesCommandOutput, Instance, InstanceStateName } from "@aws-sdk/client-ec2";

/** Ids and DescribeInstances answers shared by the EC2 instance task tests. */
export const INSTANCE = "i-0123456789abcdef0";
export const VPC = "vpc-0123456789abcdef0";
export const OTHER_VPC = "vpc-0fedcba9876543210";
export const SUBNET = "subnet-0123456789abcdef0";
export const ENI = "eni-0123456789abcdef0";
export const ENI_2 = "eni-0123456789abcdef1";
export const SG_WEB = "sg-0123456789abcdef0";
export const SG_DB = "sg-0123456789abcdef1";
export const SG_ADMIN = "sg-0123456789abcdef2";
export const SG_QUARANTINE = "sg-0aaaaaaaaaaaaaaa0";
export const SG_UNTRACK = "sg-0bbbbbbbbbbbbbbb0";
export const VOL_ROOT = "vol-0123456789abcdef0";
export const VOL_DATA = "vol-0123456789abcdef1";
export const AMI = "ami-0123456789abcdef0";
export const PROFILE_ARN = "arn:aws:iam::123456789012:instance-profile/web-profile";

export interface InterfaceSpec {
  readonly id: string;
  readonly groups: readonly string[];
  readonly deviceIndex?: number;
  readonly ips?: readonly string[];
}

export interface VolumeSpec {
  readonly device: string;
  readonly id: string;
  readonly deleteOnTermination?: boolean;
}

export interface InstanceSpec {
  readonly id?: string;
  readonly state?: InstanceStateName;
  readonly tags?: Record<string, string>;
  readonly interfaces?: readonly InterfaceSpec[];
  readonly volumes?: readonly VolumeSpec[];
  readonly vpcId?: string | null;
  readonly subnetId?: string | null;
  readonly extra?: Partial<Instance>;
}

export function instance(spec: InstanceSpec = {}): Instance {
  const interfaces = spec.interfaces ?? [{ id: ENI, groups: [SG_WEB, SG_DB] }];
  const volumes = spec.volumes ?? [
    { device: "/dev/xvda", id: VOL_ROOT, deleteOnTermination: true },
    { device: "/dev/sdf", id: VOL_DATA, deleteOnTermination: false },
  ];
  return {
    InstanceId: spec.id ?? INSTANCE,
    State: { Name: spec.state ?? "running", Code: 16 },
    InstanceType: "t3.large",
    ImageId: AMI,
    LaunchTime: new Date("2026-11-01T08:00:00.000Z"),
    Placement: { AvailabilityZone: "us-east-1a" },
    ...(spec.vpcId === null ? {} : { VpcId: spec.vpcId ?? VPC }),
    ...(spec.subnetId === null ? {} : { SubnetId: spec.subnetId ?? SUBNET }),
    PrivateIpAddress: "10.0.1.15",
    RootDeviceName: "/dev/xvda",
    RootDeviceType: "ebs",
    Tags: Object.entries(spec.tags ?? { Name: "web-1" }).map(([Key, Value]) => ({ Key, Value })),
    NetworkInterfaces: interfaces.map((n, index) => ({
      NetworkInterfaceId: n.id,
      Attachment: { DeviceIndex: n.deviceIndex ?? index, NetworkCardIndex: 0 },
      Groups: n.groups.map((GroupId) => ({ GroupId, GroupName: GroupId })),
      PrivateIpAddresses: (n.ips ?? [index === 0 ? "10.0.1.15" : `10.0.2.${index}`]).map((PrivateIpAddress) => ({ PrivateIpAddress })),
    })),
    SecurityGroups: interfaces[0] ? interfaces[0].groups.map((GroupId) => ({ GroupId })) : [],
    BlockDeviceMappings: volumes.map((v) => ({ DeviceName: v.device, Ebs: { VolumeId: v.id, DeleteOnTermination: v.deleteOnTermination ?? false } })),
    ...spec.extra,
  };
}

export function described(...instances: Instance[]): DescribeInstancesCommandOutput {
  return { Reservations: [{ Instances: instances }], $metadata: {} };
}
