import { StopInstancesCommand } from "@aws-sdk/client-ec2";
import { aws, dryRun } from "../contract/aws-errors.js";
import type { Change } from "../contract/changes.js";
import { preconditionFailed } from "../contract/errors.js";
import { assertNotExempt } from "../contract/guards.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import { assertLive, describeInstance, ec2, stateOf, undoTask, waitForState, type InstanceStateName } from "./instance-lookup.js";
import contract from "./stop-instance.contract.js";

const UNDO = undoTask(contract);
const ALREADY: ReadonlySet<InstanceStateName> = new Set(["stopping", "stopped"]);
// Most instances stop within a minute; a longer stop is reported as "stopping", not as a failure.
const WAIT = { attempts: 12, intervalMs: 5_000 };

async function assess(instanceId: string, ctx: TaskContext) {
  const instance = await describeInstance(instanceId, ctx);
  const state = assertLive(instance, "stop");
  assertNotExempt(instanceId, instance.Tags, ctx);
  if (!ALREADY.has(state) && instance.RootDeviceType === "instance-store") {
    throw preconditionFailed(`${instanceId} has an instance-store root device and cannot be stopped, only terminated`, "root-device");
  }
  return { state };
}

function stopChange(instanceId: string, from: InstanceStateName): Change {
  // The record says what was lost: memory (and instance-store data) does not survive a stop.
  return { resource: instanceId, action: "StopInstances", before: { state: from }, after: { state: "stopped", memory: "lost", instanceStore: "lost" } };
}

export default implementTask(contract, {
  async plan({ instanceId }, ctx) {
    const { state } = await assess(instanceId, ctx);
    if (ALREADY.has(state)) return { changes: [], summary: `${instanceId} is already ${state}` };
    await dryRun(`StopInstances ${instanceId}`, () => ec2(ctx).send(new StopInstancesCommand({ InstanceIds: [instanceId], DryRun: true })));
    return { changes: [stopChange(instanceId, state)], summary: `stop ${instanceId} (${state} → stopped); its memory will be lost` };
  },

  async run({ instanceId }, ctx) {
    const { state: previousState } = await assess(instanceId, ctx);
    if (ALREADY.has(previousState)) {
      return { output: { instanceId, previousState, state: previousState }, changes: [], summary: `${instanceId} was already ${previousState}; nothing changed` };
    }
    const result = await aws(`StopInstances ${instanceId}`, () => ec2(ctx).send(new StopInstancesCommand({ InstanceIds: [instanceId] })));
    ctx.log.warn("instance stopped: its memory is lost", { instanceId, previousState });
    const after = await waitForState(instanceId, ctx, (s) => s === "stopped", WAIT);
    const reported = result.StoppingInstances?.find((i) => i.InstanceId === instanceId)?.CurrentState?.Name;
    const state = after ? stateOf(after) : reported === "stopped" ? "stopped" : "stopping";
    return {
      output: { instanceId, previousState, state },
      changes: [stopChange(instanceId, previousState)],
      undo: { task: UNDO, input: { instanceId } },
      summary: `stopped ${instanceId} (was ${previousState}, now ${state}); its memory is lost`,
    };
  },
});
