import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { AutoScalingGroupName, InstanceId } from "../contract/aws-ids.js";

export default defineTaskContract({
  name: "autoscaling.attach-instance",
  summary: "Attach an instance back to an Auto Scaling group",
  risk: "reversible",
  csf: ["RC.RP"],
  input: z.object({
    instanceId: InstanceId,
    autoScalingGroupName: AutoScalingGroupName,
  }),
  output: z.object({
    instanceId: InstanceId,
    autoScalingGroupName: AutoScalingGroupName,
    desiredCapacity: z.number().int().min(0),
  }),
  // AttachInstances raises desired capacity by one and fails when that passes the maximum; the
  // replacement launched at detach is still there, so the group may scale in afterwards and pick
  // either instance.
  iam: [
    { actions: ["autoscaling:DescribeAutoScalingGroups"], resources: ["*"] },
    {
      actions: ["autoscaling:AttachInstances"],
      resources: ["arn:{partition}:autoscaling:{region}:{account}:autoScalingGroup:*:autoScalingGroupName/*"],
    },
  ],
  plan: "DescribeAutoScalingGroups (Auto Scaling has no DryRun); shows the capacity change and checks it stays within the maximum",
  undo: { by: "autoscaling.detach-instance" },
});
