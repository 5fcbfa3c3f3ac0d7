import * as z from "zod";

// AWS resource identifiers, validated before any value reaches an AWS call. Patterns follow the
// formats the services document (8 or 17 hex digits for EC2 ids).
const ec2Id = (prefix: string, label: string) =>
  z.string().regex(new RegExp(`^${prefix}-(?:[0-9a-f]{8}|[0-9a-f]{17})$`), `must be ${label} id (${prefix}-…)`);

export const InstanceId = ec2Id("i", "an EC2 instance");
export const SecurityGroupId = ec2Id("sg", "a security group");
export const SecurityGroupRuleId = ec2Id("sgr", "a security group rule");
export const VolumeId = ec2Id("vol", "an EBS volume");
export const SnapshotId = ec2Id("snap", "an EBS snapshot");
export const SubnetId = ec2Id("subnet", "a subnet");
export const VpcId = ec2Id("vpc", "a VPC");
export const NetworkAclId = ec2Id("acl", "a network ACL");
export const AmiId = ec2Id("ami", "an AMI");

export const AccountId = z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account id");
export const Region = z.string().regex(/^[a-z]{2}(?:-gov)?-[a-z]+-\d$/, "must be an AWS region such as us-east-1");
export const Arn = z.string().regex(/^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(?:\d{12})?:[^\s]{1,1024}$/, "must be an ARN");
export const RoleArn = z.string().regex(/^arn:aws[a-z-]*:iam::(?:\d{12}|\*):role\/[\w+=,.@\-/*]{1,512}$/, "must be an IAM role ARN");
export const SnsTopicArn = z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/, "must be an SNS topic ARN");

export const IamUserName = z.string().regex(/^[\w+=,.@-]{1,64}$/, "must be an IAM user name");
export const IamRoleName = z.string().regex(/^[\w+=,.@-]{1,64}$/, "must be an IAM role name");
export const AccessKeyId = z.string().regex(/^(?:AKIA|ASIA)[A-Z0-9]{16}$/, "must be an IAM access key id (AKIA…)");
export const BucketName = z
  .string()
  .regex(/^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name");

export const GuardDutyDetectorId = z.string().regex(/^[0-9a-f]{32}$/, "must be a GuardDuty detector id");
export const GuardDutyFindingId = z.string().regex(/^[0-9a-f]{32}$/, "must be a GuardDuty finding id");

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
export const Ipv4Address = z.string().regex(IPV4, "must be an IPv4 address");
export const IpAddress = z.union([Ipv4Address, z.ipv6()]);
export const Cidr = z.union([z.cidrv4(), z.cidrv6()]);
export const Port = z.number().int().min(0).max(65535);
export const IpProtocol = z.enum(["tcp", "udp", "icmp", "icmpv6", "-1"]);

/** Tag keys and values as EC2 and IAM accept them. */
export const TagKey = z.string().min(1).max(128).regex(/^(?!aws:)[\p{L}\p{N}\s_.:/=+\-@]+$/u, "must be a tag key");
export const TagValue = z.string().max(256).regex(/^[\p{L}\p{N}\s_.:/=+\-@]*$/u, "must be a tag value");

export const NetworkInterfaceId = ec2Id("eni", "a network interface");
/** Rule numbers a network ACL entry may take; 32767 is the default deny that cannot be changed. */
export const NetworkAclRuleNumber = z.number().int().min(1).max(32766);

// ASCII 33–126 without ":", as Auto Scaling documents (the colon would break its ARN).
export const AutoScalingGroupName = z.string().regex(/^[!-9;-~]{1,255}$/, "must be an Auto Scaling group name");
export const TargetGroupArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/, "must be a target group ARN");
export const InstanceProfileArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:iam::\d{12}:instance-profile\/[\w+=,.@\-/]{1,512}$/, "must be an IAM instance profile ARN");
export const IamPolicyName = z.string().regex(/^[\w+=,.@-]{1,128}$/, "must be an IAM policy name");
/** Long-term keys only: temporary (ASIA…) keys belong to sessions, which are revoked, not deactivated. */
export const UserAccessKeyId = z.string().regex(/^AKIA[A-Z0-9]{16}$/, "must be an IAM user's access key id (AKIA…)");
export const SsmCommandId = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "must be an SSM command id");
export const S3CanonicalUserId = z.string().regex(/^[0-9a-f]{64}$/, "must be an S3 canonical user id");
