import { AttachInstancesCommand, AutoScalingClient, type AutoScalingGroup } from "@aws-sdk/client-auto-scaling";
import { aws } from "../contract/aws-errors.js";
import type { Change } from "../contract/changes.js";
import { preconditionFailed, transient } from "../contract/errors.js";
import { assertNotExempt } from "../contract/guards.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import contract from "./attach-instance.contract.js";
import { capacityOf, describeGroup } from "./groups.js";

async function inspect(instanceId: string, groupName: string, ctx: TaskContext): Promise<{ group: AutoScalingGroup; change?: Change }> {
  const group = await describeGroup(groupName, ctx);
  assertNotExempt(`Auto Scaling group ${groupName}`, group.Tags, ctx);
  const member = group.Instances?.find((i) => i.InstanceId === instanceId);
  // A detach still draining connections lists the instance until it completes; retrying later attaches it.
  if (member?.LifecycleState === "Detaching") throw transient(`${instanceId} is still detaching from ${groupName}; retry when the detach completes`, "Detaching");
  if (member) return { group };
  const { desiredCapacity, maxSize } = capacityOf(group);
  if (desiredCapacity + 1 > maxSize) {
    throw preconditionFailed(`attaching ${instanceId} would raise the desired capacity of ${groupName} to ${desiredCapacity + 1}, above its maximum ${maxSize}`, "max-size");
  }
  const change: Change = {
    resource: instanceId,
    action: `AttachInstances ${groupName}`,
    before: { autoScalingGroupName: null, desiredCapacity },
    after: { autoScalingGroupName: groupName, desiredCapacity: desiredCapacity + 1 },
  };
  return { group, change };
}

export default implementTask(contract, {
  async plan({ instanceId, autoScalingGroupName }, ctx) {
    const { group, change } = await inspect(instanceId, autoScalingGroupName, ctx);
    if (!change) return { changes: [], summary: `${instanceId} is already in ${autoScalingGroupName}` };
    const { desiredCapacity, maxSize } = capacityOf(group);
    return { changes: [change], summary: `attach ${instanceId} to ${autoScalingGroupName}: desired capacity ${desiredCapacity} → ${desiredCapacity + 1} (maximum ${maxSize})` };
  },

  async run({ instanceId, autoScalingGroupName }, ctx) {
    const { group, change } = await inspect(instanceId, autoScalingGroupName, ctx);
    const { desiredCapacity } = capacityOf(group);
    if (!change) return { output: { instanceId, autoScalingGroupName, desiredCapacity }, changes: [], summary: `${instanceId} was already in ${autoScalingGroupName}; nothing changed` };
    await aws(`AttachInstances ${instanceId}`, () =>
      ctx.aws(AutoScalingClient).send(new AttachInstancesCommand({ AutoScalingGroupName: autoScalingGroupName, InstanceIds: [instanceId] })),
    );
    return {
      output: { instanceId, autoScalingGroupName, desiredCapacity: desiredCapacity + 1 },
      changes: [change],
      undo: { task: "autoscaling.detach-instance", input: { instanceId, autoScalingGroupName } },
      summary: `attached ${instanceId} to ${autoScalingGroupName}; desired capacity ${desiredCapacity} → ${desiredCapacity + 1}, so the group may scale in and pick either instance`,
    };
  },
});
