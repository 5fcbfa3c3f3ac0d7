import { AutoScalingClient, DescribeAutoScalingInstancesCommand } from "@aws-sdk/client-auto-scaling";
import type { Instance } from "@aws-sdk/client-ec2";
import { DescribeTargetGroupsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, type TargetGroup } from "@aws-sdk/client-elastic-load-balancing-v2";
import { GetInstanceProfileCommand, IAMClient } from "@aws-sdk/client-iam";
import type * as z from "zod";
import { aws } from "../contract/aws-errors.js";
import { canonicalJson, sha256Hex } from "../contract/digest.js";
import { isTaskError, notFound, preconditionFailed } from "../contract/errors.js";
import { exemptReason } from "../contract/guards.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import contract, { type WorldOpenRule } from "./describe-instance.contract.js";
import { allPages, describeInstance, ebsVolumes, networkInterfaces, stateOf, tagsOf } from "./instance-lookup.js";
import { describeGroupRules, protocolName, ruleCidr } from "./security-group-rules.js";

type Output = z.input<typeof contract.output>;
type OpenRule = z.input<typeof WorldOpenRule>;
const WORLD = new Set(["0.0.0.0/0", "::/0"]);
const MAX_OPEN_RULES = 64;
const OWNER_TAGS = ["irflow:owner", "owner", "team", "contact"];
const ENVIRONMENT_TAGS = ["irflow:environment", "environment", "env", "stage"];
const MAX_TARGET_GROUPS = 100;
const HEALTH_CONCURRENCY = 10;

function tagValue(tags: Record<string, string>, candidates: readonly string[]): string | undefined {
  const lower = new Map(Object.entries(tags).map(([k, v]) => [k.toLowerCase(), v]));
  for (const key of candidates) {
    const value = lower.get(key);
    if (value) return value;
  }
  return undefined;
}

/** The role behind the instance profile; a profile deleted since launch leaves the instance without one. */
async function roleOf(profileArn: string | undefined, ctx: TaskContext): Promise<string | undefined> {
  if (!profileArn) return undefined;
  const name = profileArn.slice(profileArn.lastIndexOf("/") + 1);
  try {
    const result = await aws(`GetInstanceProfile ${name}`, () => ctx.aws(IAMClient).send(new GetInstanceProfileCommand({ InstanceProfileName: name })));
    return result.InstanceProfile?.Roles?.[0]?.RoleName;
  } catch (error) {
    if (isTaskError(error) && error.name === "NotFound") {
      ctx.log.warn("the instance profile no longer exists", { profileArn });
      return undefined;
    }
    throw error;
  }
}

async function autoScalingGroupOf(instanceId: string, ctx: TaskContext): Promise<string | undefined> {
  const result = await aws(`DescribeAutoScalingInstances ${instanceId}`, () =>
    ctx.aws(AutoScalingClient).send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] })),
  );
  return result.AutoScalingInstances?.find((i) => i.InstanceId === instanceId)?.AutoScalingGroupName;
}

/**
 * Target groups that hold the instance, by id (instance targets) or by one of its private
 * addresses (ip targets). Only groups in the instance's VPC: instance targets must be there, and
 * an address matched in another VPC could belong to a different machine.
 */
async function targetGroupsOf(instance: Instance, vpcId: string, ctx: TaskContext): Promise<string[]> {
  const elb = ctx.aws(ElasticLoadBalancingV2Client);
  const groups = await allPages<TargetGroup>("DescribeTargetGroups", ctx, async (marker) => {
    const page = await aws("DescribeTargetGroups", () => elb.send(new DescribeTargetGroupsCommand({ PageSize: 400, ...(marker ? { Marker: marker } : {}) })));
    return { items: page.TargetGroups ?? [], next: page.NextMarker };
  });
  const addresses = new Set((instance.NetworkInterfaces ?? []).flatMap((n) => (n.PrivateIpAddresses ?? []).flatMap((a) => (a.PrivateIpAddress ? [a.PrivateIpAddress] : []))));
  if (instance.PrivateIpAddress) addresses.add(instance.PrivateIpAddress);
  const candidates = groups.filter((g) => g.TargetGroupArn && g.VpcId === vpcId && (g.TargetType === "instance" || g.TargetType === "ip"));
  const member: string[] = [];
  for (let start = 0; start < candidates.length; start += HEALTH_CONCURRENCY) {
    const batch = candidates.slice(start, start + HEALTH_CONCURRENCY);
    const found = await Promise.all(
      batch.map(async (group) => {
        const arn = group.TargetGroupArn!;
        try {
          const health = await aws(`DescribeTargetHealth ${arn}`, () => elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })));
          const ids = (health.TargetHealthDescriptions ?? []).map((t) => t.Target?.Id);
          return ids.some((id) => id !== undefined && (group.TargetType === "instance" ? id === instance.InstanceId : addresses.has(id))) ? arn : undefined;
        } catch (error) {
          // A group deleted since the listing holds nothing.
          if (isTaskError(error) && error.name === "NotFound") return undefined;
          throw error;
        }
      }),
    );
    member.push(...found.filter((arn): arn is string => arn !== undefined));
  }
  if (member.length > MAX_TARGET_GROUPS) ctx.log.warn("the instance is in more target groups than the record keeps", { count: member.length });
  return member.slice(0, MAX_TARGET_GROUPS);
}

/** Every group of every interface, once each: a world-open rule on a secondary interface's group exposes the port too. */
function allGroupIds(instance: Instance): string[] {
  const fromInterfaces = networkInterfaces(instance).flatMap((n) => n.groupIds);
  const fromInstance = (instance.SecurityGroups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : []));
  return [...new Set([...fromInterfaces, ...fromInstance])];
}

/** The TCP ingress rules of these groups that let 0.0.0.0/0 or ::/0 reach `port`. */
async function openToWorld(groupIds: readonly string[], port: number, ctx: TaskContext): Promise<OpenRule[]> {
  const perGroup = await Promise.all(groupIds.map((groupId) => describeGroupRules(groupId, ctx)));
  const open = perGroup.flat().flatMap((rule): OpenRule[] => {
    const cidr = ruleCidr(rule);
    const { GroupId: groupId, SecurityGroupRuleId: ruleId, FromPort: fromPort, ToPort: toPort } = rule;
    if (rule.IsEgress || protocolName(rule.IpProtocol) !== "tcp" || !cidr || !WORLD.has(cidr) || !groupId || !ruleId) return [];
    if (fromPort === undefined || toPort === undefined || fromPort > port || toPort < port) return [];
    return [{ groupId, ruleId, direction: "ingress", protocol: "tcp", fromPort, toPort, cidr }];
  });
  if (open.length > MAX_OPEN_RULES) ctx.log.warn("more world-open rules reach the port than the record keeps", { count: open.length, port });
  return open.slice(0, MAX_OPEN_RULES);
}

function placement(instance: Instance): { vpcId: string; subnetId: string } {
  const { VpcId: vpcId, SubnetId: subnetId } = instance;
  if (vpcId && subnetId) return { vpcId, subnetId };
  if (stateOf(instance) === "terminated") throw notFound(`instance ${instance.InstanceId ?? "?"} is terminated`, instance.InstanceId);
  throw preconditionFailed(`instance ${instance.InstanceId ?? "?"} is not in a VPC subnet`, "vpc");
}

export default implementTask(contract, {
  async run({ instanceId, exposedPort }, ctx) {
    const instance = await describeInstance(instanceId, ctx);
    const state = stateOf(instance);
    const { vpcId, subnetId } = placement(instance);
    if (!instance.ImageId || !instance.InstanceType || !instance.LaunchTime || !instance.Placement?.AvailabilityZone) {
      throw preconditionFailed(`DescribeInstances ${instanceId} returned an incomplete description`, "describe");
    }
    const tags = tagsOf(instance);
    const primary = networkInterfaces(instance).find((n) => n.primary);
    const profileArn = instance.IamInstanceProfile?.Arn;
    const [iamRoleName, autoScalingGroupName, targetGroupArns, open] = await Promise.all([
      roleOf(profileArn, ctx),
      autoScalingGroupOf(instanceId, ctx),
      targetGroupsOf(instance, vpcId, ctx),
      exposedPort === undefined ? undefined : openToWorld(allGroupIds(instance), exposedPort, ctx),
    ]);
    const output: Output = {
      instanceId,
      state,
      instanceType: instance.InstanceType,
      // EC2 answers "windows" while the SDK's enum says "Windows"; accept either.
      platform: (instance.Platform ?? "").toLowerCase() === "windows" ? "windows" : "linux",
      imageId: instance.ImageId,
      launchTime: instance.LaunchTime.toISOString(),
      availabilityZone: instance.Placement.AvailabilityZone,
      vpcId,
      subnetId,
      // The primary interface's groups: what a replacement launched with one interface should get.
      securityGroupIds: [...(primary?.groupIds ?? (instance.SecurityGroups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])))],
      networkInterfaceIds: networkInterfaces(instance).map((n) => n.networkInterfaceId),
      volumeIds: ebsVolumes(instance).map((v) => v.volumeId),
      ...(instance.PrivateIpAddress ? { privateIp: instance.PrivateIpAddress } : {}),
      ...(instance.PublicIpAddress ? { publicIp: instance.PublicIpAddress } : {}),
      ...(profileArn ? { instanceProfileArn: profileArn } : {}),
      ...(iamRoleName ? { iamRoleName } : {}),
      ...(autoScalingGroupName ? { autoScalingGroupName } : {}),
      targetGroupArns,
      tags,
      ...(tagValue(tags, OWNER_TAGS) ? { owner: tagValue(tags, OWNER_TAGS) } : {}),
      ...(tagValue(tags, ENVIRONMENT_TAGS) ? { environment: tagValue(tags, ENVIRONMENT_TAGS) } : {}),
      exempt: exemptReason(instance.Tags) !== undefined,
      ...(open ? { openToWorld: open } : {}),
    };
    return {
      output,
      changes: [],
      evidence: [
        {
          kind: "ec2-instance-metadata",
          location: instanceId,
          sha256: sha256Hex(canonicalJson(output)),
          hashOf: "output",
          description: `description of ${instanceId} at ${ctx.clock.now().toISOString()} (network, volumes, role, Auto Scaling group, target groups, tags); the hash is of this step's recorded output`,
        },
      ],
      summary: `${instanceId}: ${state} ${instance.InstanceType} in ${subnetId}${autoScalingGroupName ? `, Auto Scaling group ${autoScalingGroupName}` : ""}${iamRoleName ? `, role ${iamRoleName}` : ""}${targetGroupArns.length > 0 ? `, ${targetGroupArns.length} target group(s)` : ""}${output.exempt ? ", EXEMPT" : ""}${open && open.length > 0 ? `, port ${exposedPort} open to the internet by ${open.map((r) => `${r.ruleId} (${r.groupId})`).join(", ")}` : ""}`,
    };
  },
});
