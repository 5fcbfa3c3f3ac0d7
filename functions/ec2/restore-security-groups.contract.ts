import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { InstanceId, NetworkInterfaceId, SecurityGroupId } from "../contract/aws-ids.js";

export default defineTaskContract({
  name: "ec2.restore-security-groups",
  summary: "Put an isolated instance back into its original security groups",
  risk: "reversible",
  csf: ["RC.RP"],
  input: z.object({
    instanceId: InstanceId,
    groupIds: z.array(SecurityGroupId).min(1).max(16),
    /**
     * Groups for every interface of a multi-interface instance, as isolation recorded them in its
     * undo. Without it the other interfaces take their groups from the instance's
     * irflow:isolated-from tag; the primary interface always takes groupIds.
     */
    interfaceGroups: z.record(NetworkInterfaceId, z.array(SecurityGroupId).min(1).max(16)).optional(),
  }),
  output: z.object({
    instanceId: InstanceId,
    groupIds: z.array(SecurityGroupId).min(1).max(16),
    replacedGroupIds: z.array(SecurityGroupId).max(16),
  }),
  // Termination protection and DeleteOnTermination=false stay as isolation set them: the volumes
  // are evidence until the incident is closed, whatever happens to the instance.
  // Groups belong to interfaces: each interface is restored on its own
  // (ModifyNetworkInterfaceAttribute), then the isolation tags are removed from the instance.
  iam: [
    { actions: ["ec2:DescribeInstances", "ec2:DescribeSecurityGroups"], resources: ["*"] },
    {
      actions: ["ec2:ModifyNetworkInterfaceAttribute"],
      resources: ["arn:{partition}:ec2:{region}:{account}:network-interface/*", "arn:{partition}:ec2:{region}:{account}:security-group/*"],
    },
    { actions: ["ec2:DeleteTags"], resources: ["arn:{partition}:ec2:{region}:{account}:instance/*"] },
  ],
  plan: "DescribeInstances and DescribeSecurityGroups (the groups must still exist in the instance's VPC), then ModifyNetworkInterfaceAttribute with DryRun; lists each interface's group change and the isolation tags to remove",
  undo: { by: "ec2.isolate-instance" },
});
