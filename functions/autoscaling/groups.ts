import { AutoScalingClient, DescribeAutoScalingGroupsCommand, type AutoScalingGroup } from "@aws-sdk/client-auto-scaling";
import { aws } from "../contract/aws-errors.js";
import { TargetGroupArn } from "../contract/aws-ids.js";
import { notFound } from "../contract/errors.js";
import type { TaskContext } from "../contract/task.js";

/** The group, or NotFound naming it (Auto Scaling answers an empty list, not an error). */
export async function describeGroup(name: string, ctx: TaskContext): Promise<AutoScalingGroup> {
  const result = await aws(`DescribeAutoScalingGroups ${name}`, () =>
    ctx.aws(AutoScalingClient).send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })),
  );
  const group = result.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === name);
  if (!group) throw notFound(`Auto Scaling group ${name} does not exist`, name);
  return group;
}

/**
 * The group's target groups, whether attached the old way (TargetGroupARNs) or as traffic sources
 * (AttachTrafficSources lists them only there).
 */
export function groupTargetGroups(group: AutoScalingGroup): string[] {
  const fromSources = (group.TrafficSources ?? []).filter((s) => (s.Type ?? "elbv2") === "elbv2").map((s) => s.Identifier);
  const all = [...(group.TargetGroupARNs ?? []), ...fromSources].filter((arn): arn is string => TargetGroupArn.safeParse(arn).success);
  return [...new Set(all)].slice(0, 100);
}

/** Classic load balancers, by name, from both ways of attaching them. */
export function groupLoadBalancers(group: AutoScalingGroup): string[] {
  const fromSources = (group.TrafficSources ?? []).filter((s) => s.Type === "elb").map((s) => s.Identifier);
  return [...new Set([...(group.LoadBalancerNames ?? []), ...fromSources].filter((name): name is string => Boolean(name)))];
}

export function capacityOf(group: AutoScalingGroup): { minSize: number; maxSize: number; desiredCapacity: number } {
  return { minSize: group.MinSize ?? 0, maxSize: group.MaxSize ?? 0, desiredCapacity: group.DesiredCapacity ?? 0 };
}
