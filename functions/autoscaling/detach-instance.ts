import { AutoScalingClient, DescribeAutoScalingInstancesCommand, DetachInstancesCommand, type AutoScalingGroup, type AutoScalingInstanceDetails } from "@aws-sdk/client-auto-scaling";
import { aws } from "../contract/aws-errors.js";
import type { Change } from "../contract/changes.js";
import { preconditionFailed } from "../contract/errors.js";
import { assertNotExempt } from "../contract/guards.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import contract from "./detach-instance.contract.js";
import { capacityOf, describeGroup, groupLoadBalancers, groupTargetGroups } from "./groups.js";

async function membership(instanceId: string, ctx: TaskContext): Promise<AutoScalingInstanceDetails | undefined> {
  const result = await aws(`DescribeAutoScalingInstances ${instanceId}`, () =>
    ctx.aws(AutoScalingClient).send(new DescribeAutoScalingInstancesCommand({ InstanceIds: [instanceId] })),
  );
  return result.AutoScalingInstances?.find((i) => i.InstanceId === instanceId);
}

interface DetachState {
  readonly groupName: string;
  readonly group: AutoScalingGroup;
  readonly change?: Change;
}

/**
 * Where the instance stands. Decided: an instance in no group is already detached (converged) when
 * the runbook names the group, since a retried or repeated step must not fail; without a group
 * name there is nothing to report it against (and Auto Scaling cannot tell a detached instance
 * from a missing one), so that is PreconditionFailed.
 */
async function inspect(instanceId: string, wantedGroup: string | undefined, ctx: TaskContext): Promise<DetachState> {
  const member = await membership(instanceId, ctx);
  const groupName = wantedGroup ?? member?.AutoScalingGroupName;
  if (!groupName) {
    throw preconditionFailed(`${instanceId} is not in any Auto Scaling group (or does not exist); name the group to confirm it is already detached`, "not-in-group");
  }
  if (member?.AutoScalingGroupName && member.AutoScalingGroupName !== groupName) {
    throw preconditionFailed(`${instanceId} is in Auto Scaling group ${member.AutoScalingGroupName}, not ${groupName}`, "other-group");
  }
  const group = await describeGroup(groupName, ctx);
  assertNotExempt(`Auto Scaling group ${groupName}`, group.Tags, ctx);
  const state = member?.LifecycleState ?? "Detached";
  if (state === "Detaching" || state === "Detached") return { groupName, group };
  if (state.startsWith("Terminat")) throw preconditionFailed(`${instanceId} is already being terminated by ${groupName} (${state}); capture its evidence now`, state);
  if (state.startsWith("Warmed")) throw preconditionFailed(`${instanceId} is in the warm pool of ${groupName} (${state}), which DetachInstances does not cover`, state);
  const change: Change = {
    resource: instanceId,
    action: `DetachInstances ${groupName}`,
    before: { autoScalingGroupName: groupName, lifecycleState: state, ...capacityOf(group), targetGroupArns: groupTargetGroups(group), loadBalancerNames: groupLoadBalancers(group) },
    after: { autoScalingGroupName: null, desiredCapacity: capacityOf(group).desiredCapacity },
  };
  return { groupName, group, change };
}

export default implementTask(contract, {
  async plan({ instanceId, autoScalingGroupName }, ctx) {
    const { groupName, group, change } = await inspect(instanceId, autoScalingGroupName, ctx);
    if (!change) return { changes: [], summary: `${instanceId} is already detached from ${groupName}` };
    const targets = groupTargetGroups(group).length + groupLoadBalancers(group).length;
    return {
      changes: [change],
      summary: `detach ${instanceId} from ${groupName} keeping desired capacity ${capacityOf(group).desiredCapacity}, so the group launches a replacement${targets > 0 ? `; it is deregistered from ${targets} load balancer target(s) after draining` : ""}`,
    };
  },

  async run({ instanceId, autoScalingGroupName }, ctx) {
    const { groupName, group, change } = await inspect(instanceId, autoScalingGroupName, ctx);
    const output = { instanceId, autoScalingGroupName: groupName, desiredCapacity: capacityOf(group).desiredCapacity, targetGroupArns: groupTargetGroups(group) };
    if (!change) return { output, changes: [], summary: `${instanceId} was already detached from ${groupName}; nothing changed` };
    // Keeping desired capacity makes the group launch a clean replacement instead of running short.
    const result = await aws(`DetachInstances ${instanceId}`, () =>
      ctx.aws(AutoScalingClient).send(new DetachInstancesCommand({ AutoScalingGroupName: groupName, InstanceIds: [instanceId], ShouldDecrementDesiredCapacity: false })),
    );
    const activity = result.Activities?.[0]?.ActivityId;
    return {
      output,
      changes: [{ ...change, after: { ...(change.after as Record<string, unknown>), ...(activity ? { activityId: activity } : {}) } }],
      undo: { task: "autoscaling.attach-instance", input: { instanceId, autoScalingGroupName: groupName } },
      summary: `detached ${instanceId} from ${groupName}; desired capacity stays ${output.desiredCapacity}, so a replacement launches${activity ? ` (activity ${activity})` : ""}`,
    };
  },
});
