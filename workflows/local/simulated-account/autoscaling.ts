import type {
  Activity,
  AttachInstancesCommandInput,
  AutoScalingGroup,
  DescribeAutoScalingGroupsCommandInput,
  DescribeAutoScalingGroupsCommandOutput,
  DescribeAutoScalingInstancesCommandInput,
  DescribeAutoScalingInstancesCommandOutput,
  DescribeScalingActivitiesCommandInput,
  DescribeScalingActivitiesCommandOutput,
  DetachInstancesCommandInput,
  DetachInstancesCommandOutput,
} from "@aws-sdk/client-auto-scaling";
import * as z from "zod";
import { AmiId, AutoScalingGroupName, InstanceId, InstanceProfileArn, SecurityGroupId, SubnetId, TargetGroupArn } from "../../../functions/contract/aws-ids.js";
import { checkLaunch, launch } from "./ec2-instances.js";
import type { InstanceState } from "./ec2-state.js";
import { ResourceError, serviceError } from "./errors.js";
import { read, write, type HandlerTable, type Output } from "./handlers.js";
import type { TagMap } from "./plain.js";
import type { ModelContext } from "./services.js";

/**
 * Auto Scaling groups: members with lifecycle states, capacity bounds, target groups. A group keeps
 * its desired capacity: an instance detached without decrementing, or terminated behind its back,
 * is replaced by a launch from the group's template.
 */

export const AutoScalingResources = z.strictObject({
  groups: z
    .array(
      z.strictObject({
        name: AutoScalingGroupName,
        minSize: z.number().int().min(0),
        maxSize: z.number().int().min(0),
        /** Defaults to the number of instances. */
        desiredCapacity: z.number().int().min(0).optional(),
        subnets: z.array(SubnetId).min(1),
        instances: z.array(InstanceId).default([]),
        targetGroupArns: z.array(TargetGroupArn).default([]),
        loadBalancerNames: z.array(z.string().min(1)).default([]),
        healthCheckType: z.enum(["EC2", "ELB"]).optional(),
        /** The launch template's essentials; absent, a replacement copies the instance it replaces. */
        launchTemplate: z
          .strictObject({ imageId: AmiId, instanceType: z.string().regex(/^[a-z0-9-]+\.[a-z0-9-]+$/), securityGroups: z.array(SecurityGroupId).min(1), iamInstanceProfile: InstanceProfileArn.optional() })
          .optional(),
        tags: z.record(z.string().min(1), z.string()).default({}),
        /** Describe calls an instance detached from a group with target groups stays Detaching (draining). */
        detachPolls: z.number().int().min(0).max(20).default(0),
      }),
    )
    .default([]),
});
export type AutoScalingResources = z.output<typeof AutoScalingResources>;

interface Member {
  lifecycleState: string;
  healthStatus: string;
  protectedFromScaleIn: boolean;
  /** A Detaching member leaves the group after this many describes. */
  detachPollsLeft?: number | undefined;
}

interface Template {
  imageId: string;
  instanceType: string;
  securityGroups: string[];
  iamInstanceProfile?: string | undefined;
}

interface GroupState {
  name: string;
  arn: string;
  minSize: number;
  maxSize: number;
  desired: number;
  subnets: string[];
  members: Map<string, Member>;
  targetGroupArns: string[];
  loadBalancerNames: string[];
  healthCheckType: string;
  template?: Template | undefined;
  tags: TagMap;
  createdTime: Date;
  detachPolls: number;
  activities: Activity[];
}

const validation = (message: string) => serviceError("autoscaling", "ValidationError", message);
export const GROUP_TAG = "aws:autoscaling:groupName";

export class AutoScalingModel {
  readonly groups = new Map<string, GroupState>();
  readonly handlers: HandlerTable;

  constructor(private readonly ctx: ModelContext) {
    this.handlers = {
      DescribeAutoScalingGroups: read((input: DescribeAutoScalingGroupsCommandInput) => this.describeGroups(input)),
      DescribeAutoScalingInstances: read((input: DescribeAutoScalingInstancesCommandInput) => this.describeInstances(input)),
      DescribeScalingActivities: read((input: DescribeScalingActivitiesCommandInput): Output<DescribeScalingActivitiesCommandOutput> => {
        const groups = input.AutoScalingGroupName ? [this.group(input.AutoScalingGroupName)] : [...this.groups.values()];
        return { Activities: groups.flatMap((g) => g.activities).filter((a) => !input.ActivityIds?.length || input.ActivityIds.includes(a.ActivityId ?? "")) };
      }),
      DetachInstances: write((input: DetachInstancesCommandInput) => this.detach(input)),
      AttachInstances: write((input: AttachInstancesCommandInput) => this.attach(input)),
    };
  }

  seed(resources: AutoScalingResources, path: readonly (string | number)[]): void {
    const ec2 = this.ctx.services().ec2.state;
    const elbv2 = this.ctx.services().elbv2;
    resources.groups.forEach((g, i) => {
      const where = [...path, "groups", i];
      if (this.groups.has(g.name)) throw new ResourceError([...where, "name"], `${g.name} is declared twice`);
      const desired = g.desiredCapacity ?? g.instances.length;
      if (g.minSize > g.maxSize || desired < g.minSize || desired > g.maxSize) throw new ResourceError(where, `needs minSize ≤ desiredCapacity ≤ maxSize (${g.minSize}, ${desired}, ${g.maxSize})`);
      if (g.instances.length !== desired) throw new ResourceError([...where, "instances"], `a settled group runs desiredCapacity (${desired}) instances, not ${g.instances.length}`);
      g.subnets.forEach((s, j) => {
        if (!ec2.subnets.has(s)) throw new ResourceError([...where, "subnets", j], `${s} is not declared in ec2.subnets`);
      });
      g.targetGroupArns.forEach((arn, j) => {
        if (!elbv2.targetGroups.has(arn)) throw new ResourceError([...where, "targetGroupArns", j], `${arn} is not declared in elbv2.targetGroups`);
      });
      const members = new Map<string, Member>();
      g.instances.forEach((id, j) => {
        const instance = ec2.instances.get(id);
        if (!instance) throw new ResourceError([...where, "instances", j], `${id} is not declared in ec2.instances`);
        if (!instance.subnetId || !g.subnets.includes(instance.subnetId)) throw new ResourceError([...where, "instances", j], `${id} is not in one of the group's subnets`);
        if (this.groupOf(id)) throw new ResourceError([...where, "instances", j], `${id} is already in group ${this.groupOf(id)!.name}`);
        members.set(id, { lifecycleState: "InService", healthStatus: "Healthy", protectedFromScaleIn: false });
        instance.tags[GROUP_TAG] = g.name;
        for (const arn of g.targetGroupArns) elbv2.register(arn, id);
      });
      this.groups.set(g.name, {
        name: g.name,
        arn: `arn:aws:autoscaling:${this.ctx.region}:${this.ctx.accountId}:autoScalingGroup:${this.ctx.ids.uuid()}:autoScalingGroupName/${g.name}`,
        minSize: g.minSize,
        maxSize: g.maxSize,
        desired,
        subnets: [...g.subnets],
        members,
        targetGroupArns: [...g.targetGroupArns],
        loadBalancerNames: [...g.loadBalancerNames],
        healthCheckType: g.healthCheckType ?? (g.targetGroupArns.length > 0 ? "ELB" : "EC2"),
        template: g.launchTemplate ? { ...g.launchTemplate, securityGroups: [...g.launchTemplate.securityGroups] } : undefined,
        tags: { ...g.tags },
        createdTime: new Date(this.ctx.now().getTime() - 200 * 86_400_000),
        detachPolls: g.detachPolls,
        activities: [],
      });
    });
  }

  groupOf(instanceId: string): GroupState | undefined {
    return [...this.groups.values()].find((g) => g.members.has(instanceId));
  }

  private group(name: string | undefined): GroupState {
    const group = name === undefined ? undefined : this.groups.get(name);
    if (!group) throw validation(`AutoScalingGroup name not found - AutoScalingGroup ${name ?? "(none)"} not found`);
    return group;
  }

  /** Time passes one describe at a time: draining members leave. */
  private advance(): void {
    for (const group of this.groups.values()) {
      for (const [id, member] of group.members) {
        if (member.detachPollsLeft === undefined) continue;
        member.detachPollsLeft -= 1;
        if (member.detachPollsLeft <= 0) group.members.delete(id);
      }
    }
  }

  private sdkGroup(group: GroupState): AutoScalingGroup {
    const ec2 = this.ctx.services().ec2.state;
    const azs = [...new Set(group.subnets.map((s) => ec2.subnets.get(s)?.availabilityZone ?? ""))];
    return {
      AutoScalingGroupName: group.name,
      AutoScalingGroupARN: group.arn,
      MinSize: group.minSize,
      MaxSize: group.maxSize,
      DesiredCapacity: group.desired,
      DefaultCooldown: 300,
      AvailabilityZones: azs,
      LoadBalancerNames: [...group.loadBalancerNames],
      TargetGroupARNs: [...group.targetGroupArns],
      HealthCheckType: group.healthCheckType,
      HealthCheckGracePeriod: 300,
      VPCZoneIdentifier: group.subnets.join(","),
      CreatedTime: new Date(group.createdTime),
      Instances: [...group.members.entries()].map(([id, m]) => {
        const instance = ec2.instances.get(id);
        return {
          InstanceId: id,
          InstanceType: instance?.instanceType,
          AvailabilityZone: instance?.availabilityZone ?? azs[0] ?? "",
          LifecycleState: m.lifecycleState as "InService",
          HealthStatus: m.healthStatus,
          ProtectedFromScaleIn: m.protectedFromScaleIn,
        };
      }),
      Tags: Object.entries(group.tags).map(([Key, Value]) => ({ ResourceId: group.name, ResourceType: "auto-scaling-group", Key, Value, PropagateAtLaunch: true })),
      TrafficSources: group.targetGroupArns.map((arn) => ({ Identifier: arn, Type: "elbv2" })),
    };
  }

  private describeGroups(input: DescribeAutoScalingGroupsCommandInput): Output<DescribeAutoScalingGroupsCommandOutput> {
    this.advance();
    const names = input.AutoScalingGroupNames;
    const groups = [...this.groups.values()].filter((g) => !names?.length || names.includes(g.name));
    return { AutoScalingGroups: groups.map((g) => this.sdkGroup(g)) };
  }

  private describeInstances(input: DescribeAutoScalingInstancesCommandInput): Output<DescribeAutoScalingInstancesCommandOutput> {
    if ((input.InstanceIds?.length ?? 0) > 50) throw validation("The number of instance ids that may be passed in is limited to 50");
    this.advance();
    const ec2 = this.ctx.services().ec2.state;
    const rows = [...this.groups.values()].flatMap((g) =>
      [...g.members.entries()]
        .filter(([id]) => !input.InstanceIds?.length || input.InstanceIds.includes(id))
        .map(([id, m]) => ({
          InstanceId: id,
          InstanceType: ec2.instances.get(id)?.instanceType,
          AutoScalingGroupName: g.name,
          AvailabilityZone: ec2.instances.get(id)?.availabilityZone ?? "",
          LifecycleState: m.lifecycleState,
          HealthStatus: m.healthStatus.toUpperCase(),
          ProtectedFromScaleIn: m.protectedFromScaleIn,
        })),
    );
    return { AutoScalingInstances: rows };
  }

  private activity(group: GroupState, description: string, cause: string, status: "InProgress" | "Successful" | "Failed", message?: string): Activity {
    const activity: Activity = {
      ActivityId: this.ctx.ids.uuid(),
      AutoScalingGroupName: group.name,
      AutoScalingGroupARN: group.arn,
      Description: description,
      Cause: cause,
      StartTime: this.ctx.now(),
      StatusCode: status,
      ...(message ? { StatusMessage: message } : {}),
      Progress: status === "InProgress" ? 50 : 100,
      Details: "{}",
    };
    group.activities.push(activity);
    return activity;
  }

  /** Launches one instance to bring the group back to its desired capacity. */
  private replace(group: GroupState, like: InstanceState | undefined, reason: string): void {
    const ec2 = this.ctx.services().ec2.state;
    const primary = like ? ec2.primaryEni(like) : undefined;
    const template = group.template ?? (like ? { imageId: like.imageId, instanceType: like.instanceType, securityGroups: primary?.groups ?? [], iamInstanceProfile: like.iamInstanceProfileArn } : undefined);
    const at = this.ctx.now().toISOString();
    if (!template) {
      this.activity(group, "Launching a new EC2 instance.  Status Reason: no launch template", `At ${at} ${reason}.`, "Failed", "The group has no launch template the simulation knows");
      return;
    }
    const subnetId = group.subnets[group.members.size % group.subnets.length]!;
    const tags: Record<string, string> = { ...group.tags, [GROUP_TAG]: group.name };
    const request = { imageId: template.imageId, instanceType: template.instanceType, subnetId, securityGroupIds: template.securityGroups, instanceProfileArn: template.iamInstanceProfile, tags, volumeTags: {}, httpTokens: "required" as const };
    try {
      checkLaunch(ec2, request);
    } catch (error) {
      this.activity(group, "Launching a new EC2 instance.  Status Reason: launch failed", `At ${at} ${reason}.`, "Failed", error instanceof Error ? error.message : String(error));
      return;
    }
    const instance = launch(ec2, request, this.ctx.ids.ec2("r"));
    group.members.set(instance.instanceId, { lifecycleState: "InService", healthStatus: "Healthy", protectedFromScaleIn: false });
    for (const arn of group.targetGroupArns) this.ctx.services().elbv2.register(arn, instance.instanceId);
    this.activity(group, `Launching a new EC2 instance: ${instance.instanceId}`, `At ${at} ${reason}.`, "InProgress");
  }

  private detach(input: DetachInstancesCommandInput): Output<DetachInstancesCommandOutput> {
    const group = this.group(input.AutoScalingGroupName);
    const ids = [...new Set(input.InstanceIds ?? [])];
    if (ids.length === 0 || ids.length > 20) throw validation("1 validation error detected: Value at 'instanceIds' failed to satisfy constraint: Member must have length between 1 and 20");
    if (input.ShouldDecrementDesiredCapacity === undefined) throw validation("1 validation error detected: Value null at 'shouldDecrementDesiredCapacity' failed to satisfy constraint: Member must not be null");
    for (const id of ids) {
      const member = group.members.get(id);
      if (!member) throw validation(`The instance ${id} is not part of Auto Scaling group ${group.name}.`);
      if (member.lifecycleState !== "InService" && member.lifecycleState !== "Standby") throw validation(`The instance ${id} is not in InService or Standby.`);
    }
    if (input.ShouldDecrementDesiredCapacity && group.desired - ids.length < group.minSize) {
      throw validation(`Currently, desiredCapacity (${group.desired}) is equal to minSize (${group.minSize}). Detaching instances would result in desiredCapacity below minSize.`);
    }
    const ec2 = this.ctx.services().ec2.state;
    const at = this.ctx.now().toISOString();
    const draining = group.detachPolls > 0 && (group.targetGroupArns.length > 0 || group.loadBalancerNames.length > 0);
    const activities = ids.map((id) => {
      if (draining) group.members.set(id, { ...group.members.get(id)!, lifecycleState: "Detaching", detachPollsLeft: group.detachPolls });
      else group.members.delete(id);
      for (const arn of group.targetGroupArns) this.ctx.services().elbv2.deregister(arn, id);
      return this.activity(
        group,
        `Detaching EC2 instance: ${id}`,
        `At ${at} instance ${id} was detached in response to a user request${input.ShouldDecrementDesiredCapacity ? ", shrinking the capacity" : ", keeping the capacity"}.`,
        "InProgress",
      );
    });
    if (input.ShouldDecrementDesiredCapacity) group.desired -= ids.length;
    else for (const id of ids) this.replace(group, ec2.instances.get(id), `an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${group.desired - 1} to ${group.desired}`);
    return { Activities: activities.map((a) => ({ ...a })) };
  }

  private attach(input: AttachInstancesCommandInput): object {
    const group = this.group(input.AutoScalingGroupName);
    const ids = [...new Set(input.InstanceIds ?? [])];
    const ec2 = this.ctx.services().ec2.state;
    const azs = new Set(group.subnets.map((s) => ec2.subnets.get(s)?.availabilityZone));
    for (const id of ids) {
      const instance = ec2.instances.get(id);
      if (!instance) throw validation(`Instance ${id} does not exist`);
      if (instance.state !== "running" && instance.state !== "pending") throw validation(`Instance ${id} is not in correct state`);
      if (!azs.has(instance.availabilityZone) || !instance.subnetId || ec2.subnets.get(instance.subnetId)?.vpcId !== ec2.subnets.get(group.subnets[0]!)?.vpcId) {
        throw validation(`Instance ${id} is not in one of the Availability Zones or the VPC of Auto Scaling group ${group.name}`);
      }
      const current = this.groupOf(id);
      if (current) throw validation(`The instance ${id} is already part of Auto Scaling group ${current.name}`);
    }
    if (group.desired + ids.length > group.maxSize) throw validation(`New SetDesiredCapacity value ${group.desired + ids.length} is above max value ${group.maxSize} for the AutoScalingGroup.`);
    for (const id of ids) {
      group.members.set(id, { lifecycleState: "InService", healthStatus: "Healthy", protectedFromScaleIn: false });
      ec2.instances.get(id)!.tags[GROUP_TAG] = group.name;
      for (const arn of group.targetGroupArns) this.ctx.services().elbv2.register(arn, id);
      this.activity(group, `Attaching an existing EC2 instance: ${id}`, `At ${this.ctx.now().toISOString()} an instance was attached in response to a user request.`, "Successful");
    }
    group.desired += ids.length;
    return {};
  }

  /** EC2 terminated a member behind the group's back: it leaves, and the group replaces it. */
  instanceTerminated(instanceId: string): void {
    const group = this.groupOf(instanceId);
    if (!group) return;
    group.members.delete(instanceId);
    for (const arn of group.targetGroupArns) this.ctx.services().elbv2.deregister(arn, instanceId);
    if (group.members.size < group.desired) {
      this.replace(group, this.ctx.services().ec2.state.instances.get(instanceId), `an instance was started in response to a difference between desired and actual capacity, increasing the capacity from ${group.members.size} to ${group.desired}`);
    }
  }

  snapshot() {
    return {
      groups: Object.fromEntries(
        [...this.groups.values()].map((g) => [
          g.name,
          {
            minSize: g.minSize,
            maxSize: g.maxSize,
            desiredCapacity: g.desired,
            instances: Object.fromEntries([...g.members.entries()].map(([id, m]) => [id, m.lifecycleState])),
            targetGroupArns: [...g.targetGroupArns],
            activities: g.activities.map((a) => ({ description: a.Description, status: a.StatusCode })),
          },
        ]),
      ),
    };
  }
}
