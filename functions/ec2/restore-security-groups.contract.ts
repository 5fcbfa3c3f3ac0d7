import { z } from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { InstanceId, SecurityGroupId } from "../contract/aws-ids.js";

export default defineTaskContract({
  name: "ec2.restore-security-groups",
  summary: "Put an isolated instance back into its original security groups",
  risk: "reversible",
  csf: ["RC.RP"],
  input: z.object({
    instanceId: InstanceId,
    groupIds: z.array(SecurityGroupId).min(1).max(16),
  }),
  output: z.object({
    instanceId: InstanceId,
    groupIds: z.array(SecurityGroupId).min(1).max(16),
    replacedGroupIds: z.array(SecurityGroupId).max(16),
  }),
  // Termination protection and DeleteOnTermination=false stay as isolation set them: the volumes
  // are evidence until the incident is closed, whatever happens to the instance.
  iam: [
    { actions: ["ec2:DescribeInstances", "ec2:DescribeSecurityGroups"], resources: ["*"] },
    {
      actions: ["ec2:ModifyInstanceAttribute"],
      resources: ["arn:{partition}:ec2:{region}:{account}:instance/*"],
    },
  ],
  plan: "DescribeInstances and DescribeSecurityGroups (the groups must still exist in the instance's VPC), then ModifyInstanceAttribute with DryRun; lists the group swap",
  undo: { by: "ec2.isolate-instance" },
});
