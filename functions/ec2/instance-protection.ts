import { DescribeInstanceAttributeCommand, ModifyInstanceAttributeCommand, type Instance } from "@aws-sdk/client-ec2";
import { aws, dryRun as tryDryRun } from "../contract/aws-errors.js";
import type { Change } from "../contract/changes.js";
import type { TaskContext } from "../contract/task.js";
import { ebsVolumes, ec2 } from "./instance-lookup.js";

/**
 * Termination protection and DeleteOnTermination, shared by isolation (which turns both towards
 * keeping the evidence) and termination (which keeps the volumes, then lifts the protection).
 */
type Ctx = Pick<TaskContext, "aws">;

export async function terminationProtection(instanceId: string, ctx: Ctx): Promise<boolean> {
  const result = await aws(`DescribeInstanceAttribute disableApiTermination ${instanceId}`, () =>
    ec2(ctx).send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: "disableApiTermination" })),
  );
  return result.DisableApiTermination?.Value ?? false;
}

export function protectionChange(instanceId: string, current: boolean, wanted: boolean): Change | undefined {
  return current === wanted ? undefined : { resource: instanceId, action: "ModifyInstanceAttribute DisableApiTermination", before: current, after: wanted };
}

/** Sends the modification, or with `dryRun` only proves the permission for it. */
async function modify(what: string, command: ModifyInstanceAttributeCommand, dryRun: boolean, ctx: Ctx): Promise<void> {
  if (dryRun) await tryDryRun(what, () => ec2(ctx).send(command));
  else await aws(what, () => ec2(ctx).send(command));
}

export async function setTerminationProtection(instanceId: string, value: boolean, ctx: Ctx, dryRun = false): Promise<void> {
  const command = new ModifyInstanceAttributeCommand({ InstanceId: instanceId, DisableApiTermination: { Value: value }, ...(dryRun ? { DryRun: true } : {}) });
  await modify(`ModifyInstanceAttribute DisableApiTermination ${instanceId}`, command, dryRun, ctx);
}

/** The EBS volumes that would still be deleted with the instance, as one change on the instance. */
export function keepVolumesChange(instance: Instance): Change | undefined {
  const deleted = ebsVolumes(instance).filter((v) => v.deleteOnTermination);
  if (deleted.length === 0) return undefined;
  return {
    resource: instance.InstanceId ?? "?",
    action: "ModifyInstanceAttribute DeleteOnTermination",
    before: Object.fromEntries(deleted.map((v) => [`${v.deviceName} ${v.volumeId}`, true])),
    after: Object.fromEntries(deleted.map((v) => [`${v.deviceName} ${v.volumeId}`, false])),
  };
}

export async function keepVolumes(instance: Instance, ctx: Ctx, dryRun = false): Promise<void> {
  const deleted = ebsVolumes(instance).filter((v) => v.deleteOnTermination);
  if (deleted.length === 0) return;
  const command = new ModifyInstanceAttributeCommand({
    InstanceId: instance.InstanceId,
    BlockDeviceMappings: deleted.map((v) => ({ DeviceName: v.deviceName, Ebs: { DeleteOnTermination: false } })),
    ...(dryRun ? { DryRun: true } : {}),
  });
  await modify(`ModifyInstanceAttribute DeleteOnTermination ${instance.InstanceId ?? "?"}`, command, dryRun, ctx);
}
