import type * as z from "zod";
import {
  AccessKeyId,
  AmiId,
  AutoScalingGroupName,
  BucketName,
  Cidr,
  GuardDutyDetectorId,
  GuardDutyFindingId,
  IamPolicyName,
  IamRoleName,
  IamUserName,
  InstanceId,
  NetworkAclId,
  NetworkInterfaceId,
  SecurityGroupId,
  SecurityGroupRuleId,
  SnapshotId,
  SnsTopicArn,
  SsmCommandId,
  SubnetId,
  TargetGroupArn,
  VolumeId,
  VpcId,
} from "../../functions/contract/aws-ids.js";

/** Any EC2 resource id (CreateTags' Resources names several kinds). */
const EC2_ANY = /^(?:i|sg|sgr|vol|snap|subnet|vpc|acl|ami|eni)-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/** Request fields that carry an AWS id, and the format AWS gives it. */
const FORMATS: Readonly<Record<string, z.ZodType<string>>> = {
  InstanceId,
  InstanceIds: InstanceId,
  GroupId: SecurityGroupId,
  GroupIds: SecurityGroupId,
  Groups: SecurityGroupId,
  SecurityGroupRuleIds: SecurityGroupRuleId,
  NetworkAclId,
  NetworkInterfaceId,
  VolumeId,
  SnapshotId,
  SnapshotIds: SnapshotId,
  SubnetId,
  VpcId,
  ImageId: AmiId,
  UserName: IamUserName,
  RoleName: IamRoleName,
  AccessKeyId,
  PolicyName: IamPolicyName,
  Bucket: BucketName,
  DetectorId: GuardDutyDetectorId,
  FindingIds: GuardDutyFindingId,
  TopicArn: SnsTopicArn,
  AutoScalingGroupName,
  TargetGroupArn,
  CommandId: SsmCommandId,
  CidrBlock: Cidr,
  CidrIp: Cidr,
};

/**
 * Every id in a call's input (at any depth) that is not in AWS's format, as "service:Command
 * field=value": the proof that nothing hostile reached an AWS call unvalidated.
 */
export function awsIdProblems(service: string, command: string, input: unknown): string[] {
  const problems: string[] = [];
  const check = (key: string, value: unknown) => {
    const values = Array.isArray(value) ? (value as unknown[]) : [value];
    for (const v of values) {
      if (typeof v !== "string") continue;
      const ok = key === "Resources" ? EC2_ANY.test(v) : key === "Key" ? !/(?:^|\/)\.\.(?:\/|$)|[\p{Cc}\p{Cf}]/u.test(v) : FORMATS[key]!.safeParse(v).success;
      if (!ok) problems.push(`${service}:${command} ${key}=${JSON.stringify(v).slice(0, 80)}`);
    }
  };
  const stack: unknown[] = [input];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== "object") continue;
    for (const [key, value] of Object.entries(node)) {
      if (key in FORMATS || key === "Resources" || key === "Key") check(key, value);
      if (value !== null && typeof value === "object") stack.push(value);
    }
  }
  return problems;
}
