import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { AutoScalingGroupName, InstanceId, TargetGroupArn } from "../contract/aws-ids.js";

export default defineTaskContract({
  name: "autoscaling.detach-instance",
  summary: "Detach an instance from its Auto Scaling group, which launches a clean replacement",
  risk: "reversible",
  csf: ["RS.MI-01"],
  input: z.object({
    instanceId: InstanceId,
    /** Defaults to the group the instance belongs to. */
    autoScalingGroupName: AutoScalingGroupName.optional(),
  }),
  output: z.object({
    instanceId: InstanceId,
    autoScalingGroupName: AutoScalingGroupName,
    desiredCapacity: z.number().int().min(0),
    /** The group's target groups, which the detach deregistered the instance from (after draining). */
    targetGroupArns: z.array(TargetGroupArn).max(100),
  }),
  // Detach before isolating: a group terminates an instance that turns unhealthy (as isolation
  // makes it) and the evidence with it. ShouldDecrementDesiredCapacity=false keeps capacity, so the
  // group launches a clean replacement; the group's own deregistration from its target groups and
  // load balancers needs no ELB permission here.
  iam: [
    { actions: ["autoscaling:DescribeAutoScalingInstances", "autoscaling:DescribeAutoScalingGroups"], resources: ["*"] },
    {
      actions: ["autoscaling:DetachInstances"],
      resources: ["arn:{partition}:autoscaling:{region}:{account}:autoScalingGroup:*:autoScalingGroupName/*"],
    },
  ],
  plan: "DescribeAutoScalingInstances and DescribeAutoScalingGroups (Auto Scaling has no DryRun); lists the group, its capacity and target groups",
  undo: { by: "autoscaling.attach-instance" },
});
