import { TerminateInstancesCommand } from "@aws-sdk/client-ec2";
import { aws, dryRun } from "../contract/aws-errors.js";
import type { Change } from "../contract/changes.js";
import { assertNotExempt } from "../contract/guards.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import { describeInstance, ebsVolumes, ec2, stateOf, type InstanceStateName } from "./instance-lookup.js";
import { keepVolumes, keepVolumesChange, protectionChange, setTerminationProtection, terminationProtection } from "./instance-protection.js";
import contract from "./terminate-instance.contract.js";

const GONE: ReadonlySet<InstanceStateName> = new Set(["shutting-down", "terminated"]);

async function assess(instanceId: string, ctx: TaskContext) {
  const instance = await describeInstance(instanceId, ctx);
  const state = stateOf(instance);
  if (GONE.has(state)) return { instance, state, gone: true as const };
  assertNotExempt(instanceId, instance.Tags, ctx);
  const protectedNow = await terminationProtection(instanceId, ctx);
  return { instance, state, gone: false as const, protectedNow };
}

function terminateChange(instanceId: string, from: InstanceStateName, retained: readonly string[]): Change {
  return { resource: instanceId, action: "TerminateInstances", before: { state: from }, after: { state: "terminated", retainedVolumeIds: [...retained] } };
}

export default implementTask(contract, {
  async plan({ instanceId }, ctx) {
    const assessed = await assess(instanceId, ctx);
    if (assessed.gone) return { changes: [], summary: `${instanceId} is already ${assessed.state}` };
    const { instance, state, protectedNow } = assessed;
    const retained = ebsVolumes(instance).map((v) => v.volumeId);
    await dryRun(`TerminateInstances ${instanceId}`, () => ec2(ctx).send(new TerminateInstancesCommand({ InstanceIds: [instanceId], DryRun: true })));
    const volumes = keepVolumesChange(instance);
    const protection = protectionChange(instanceId, protectedNow, false);
    const changes = [...(volumes ? [volumes] : []), ...(protection ? [protection] : []), terminateChange(instanceId, state, retained)];
    return {
      changes,
      summary: `terminate ${instanceId} (${state})${protection ? ", removing its termination protection" : ""}; keep ${retained.length} EBS volume(s): ${retained.join(", ") || "none"}`,
    };
  },

  async run({ instanceId }, ctx) {
    const assessed = await assess(instanceId, ctx);
    if (assessed.gone) {
      return {
        output: { instanceId, previousState: assessed.state, state: assessed.state, terminationProtectionRemoved: false, retainedVolumeIds: [] },
        changes: [],
        summary: `${instanceId} was already ${assessed.state}; nothing changed`,
      };
    }
    const { instance, state: previousState, protectedNow } = assessed;
    const retained = ebsVolumes(instance).map((v) => v.volumeId);
    const changes: Change[] = [];
    // Volumes are kept before the protection goes: if anything fails after this line, the
    // instance is still protected or its disks survive it.
    const volumes = keepVolumesChange(instance);
    if (volumes) {
      await keepVolumes(instance, ctx);
      changes.push(volumes);
    }
    const protection = protectionChange(instanceId, protectedNow, false);
    if (protection) {
      await setTerminationProtection(instanceId, false, ctx);
      changes.push(protection);
    }
    const result = await aws(`TerminateInstances ${instanceId}`, () => ec2(ctx).send(new TerminateInstancesCommand({ InstanceIds: [instanceId] })));
    const reported = result.TerminatingInstances?.find((i) => i.InstanceId === instanceId)?.CurrentState?.Name;
    const state: InstanceStateName = reported === "terminated" ? "terminated" : "shutting-down";
    changes.push(terminateChange(instanceId, previousState, retained));
    return {
      output: { instanceId, previousState, state, terminationProtectionRemoved: protection !== undefined, retainedVolumeIds: retained },
      changes,
      summary: `terminated ${instanceId} (was ${previousState})${protection ? " after removing its termination protection" : ""}; kept ${retained.length} EBS volume(s)${retained.length > 0 ? `: ${retained.join(", ")}` : ""}`,
    };
  },
});
