import { StartInstancesCommand, type Instance } from "@aws-sdk/client-ec2";
import { aws, dryRun } from "../contract/aws-errors.js";
import type { Change } from "../contract/changes.js";
import { preconditionFailed, transient } from "../contract/errors.js";
import { assertNotExempt } from "../contract/guards.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import { assertLive, describeInstance, ec2, stateOf, undoTask, waitForState, type InstanceStateName } from "./instance-lookup.js";
import contract from "./start-instance.contract.js";

const UNDO = undoTask(contract);
const ALREADY: ReadonlySet<InstanceStateName> = new Set(["pending", "running"]);
const WAIT = { attempts: 18, intervalMs: 5_000 };

async function assess(instanceId: string, ctx: TaskContext): Promise<{ instance: Instance; state: InstanceStateName }> {
  const instance = await describeInstance(instanceId, ctx);
  const state = assertLive(instance, "start");
  assertNotExempt(instanceId, instance.Tags, ctx);
  // StartInstances refuses a stopping instance; it will be stopped soon, so the state machine retries.
  if (state === "stopping") throw transient(`${instanceId} is still stopping; start it once it has stopped`, "stopping");
  return { instance, state };
}

function startChange(instanceId: string, from: InstanceStateName): Change {
  return { resource: instanceId, action: "StartInstances", before: { state: from }, after: { state: "running" } };
}

export default implementTask(contract, {
  async plan({ instanceId }, ctx) {
    const { state } = await assess(instanceId, ctx);
    if (ALREADY.has(state)) return { changes: [], summary: `${instanceId} is already ${state}` };
    await dryRun(`StartInstances ${instanceId}`, () => ec2(ctx).send(new StartInstancesCommand({ InstanceIds: [instanceId], DryRun: true })));
    return { changes: [startChange(instanceId, state)], summary: `start ${instanceId} (${state} → running)` };
  },

  async run({ instanceId }, ctx) {
    const { instance, state: previousState } = await assess(instanceId, ctx);
    if (ALREADY.has(previousState)) {
      return { output: { instanceId, previousState, state: previousState }, changes: [], summary: `${instanceId} was already ${previousState}; nothing changed` };
    }
    await aws(`StartInstances ${instanceId}`, () => ec2(ctx).send(new StartInstancesCommand({ InstanceIds: [instanceId] })));
    // StartInstances succeeds even when EC2 cannot use the KMS key of an encrypted volume: the
    // instance goes pending, then back to stopped with a new state reason. Only a wait shows it.
    const reasonBefore = instance.StateReason?.Code;
    const after = await waitForState(instanceId, ctx, (s, i) => s === "running" || (s === "stopped" && i.StateReason?.Code !== reasonBefore), WAIT);
    const state = after ? stateOf(after) : "pending";
    if (after && state === "stopped") {
      const reason = after.StateReason?.Message ?? after.StateReason?.Code ?? "no reason given";
      throw preconditionFailed(
        `${instanceId} went back to stopped after StartInstances (${reason}); with encrypted volumes this usually means EC2 may not use the KMS key (kms:CreateGrant)`,
        after.StateReason?.Code ?? "start-failed",
      );
    }
    return {
      output: { instanceId, previousState, state },
      changes: [startChange(instanceId, previousState)],
      undo: { task: UNDO, input: { instanceId } },
      summary: `started ${instanceId} (was ${previousState}, now ${state})`,
    };
  },
});
