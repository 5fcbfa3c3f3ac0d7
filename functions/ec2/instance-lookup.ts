import { DescribeInstancesCommand, EC2Client, type Instance } from "@aws-sdk/client-ec2";
import type * as z from "zod";
import { aws } from "../contract/aws-errors.js";
import { notFound, preconditionFailed } from "../contract/errors.js";
import type { TaskContract } from "../contract/task-contract.js";
import type { TaskContext } from "../contract/task.js";
import { InstanceState } from "./describe-instance.contract.js";

/** Helpers the EC2 instance tasks share: one place that reads an instance the way they all need it. */

export type InstanceStateName = z.infer<typeof InstanceState>;

export const ec2 = (ctx: Pick<TaskContext, "aws">): EC2Client => ctx.aws(EC2Client);

export async function describeInstance(instanceId: string, ctx: Pick<TaskContext, "aws">): Promise<Instance> {
  const result = await aws(`DescribeInstances ${instanceId}`, () => ec2(ctx).send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })));
  const instance = result.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
  if (!instance) throw notFound(`instance ${instanceId} does not exist`, instanceId);
  return instance;
}

export function stateOf(instance: Instance): InstanceStateName {
  const parsed = InstanceState.safeParse(instance.State?.Name);
  if (!parsed.success) throw preconditionFailed(`instance ${instance.InstanceId ?? "?"} reports an unknown state ${String(instance.State?.Name)}`, "state");
  return parsed.data;
}

/** Refuses to act on an instance that is gone or going: nothing done to it would last. */
export function assertLive(instance: Instance, doing: string): InstanceStateName {
  const state = stateOf(instance);
  if (state === "terminated" || state === "shutting-down") {
    throw preconditionFailed(`cannot ${doing} ${instance.InstanceId ?? "?"}: it is ${state}`, "state");
  }
  return state;
}

export function tagsOf(instance: Pick<Instance, "Tags">): Record<string, string> {
  return Object.fromEntries((instance.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? ""]));
}

export interface EbsVolume {
  readonly deviceName: string;
  readonly volumeId: string;
  readonly deleteOnTermination: boolean;
}

/** Attached EBS volumes; instance-store volumes have no id and cannot be kept or snapshotted. */
export function ebsVolumes(instance: Instance): EbsVolume[] {
  return (instance.BlockDeviceMappings ?? [])
    .filter((m) => m.DeviceName && m.Ebs?.VolumeId)
    .map((m) => ({ deviceName: m.DeviceName!, volumeId: m.Ebs!.VolumeId!, deleteOnTermination: m.Ebs!.DeleteOnTermination ?? false }));
}

export interface AttachedInterface {
  readonly networkInterfaceId: string;
  readonly primary: boolean;
  readonly groupIds: readonly string[];
}

/**
 * Every network interface, primary first. Security groups belong to interfaces, not instances:
 * an instance with several interfaces keeps the groups of the others when only the primary's change.
 */
export function networkInterfaces(instance: Instance): AttachedInterface[] {
  return (instance.NetworkInterfaces ?? [])
    .filter((n) => n.NetworkInterfaceId)
    .map((n) => ({
      networkInterfaceId: n.NetworkInterfaceId!,
      primary: (n.Attachment?.DeviceIndex ?? 0) === 0 && (n.Attachment?.NetworkCardIndex ?? 0) === 0,
      groupIds: (n.Groups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
    }))
    .sort((a, b) => Number(b.primary) - Number(a.primary));
}

export function primaryInterface(instance: Instance): AttachedInterface {
  const primary = networkInterfaces(instance).find((n) => n.primary);
  if (!primary) throw preconditionFailed(`instance ${instance.InstanceId ?? "?"} has no primary network interface`, "network-interfaces");
  return primary;
}

export function sameGroups(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((g) => right.has(g));
}

export interface WaitOptions {
  readonly attempts: number;
  readonly intervalMs: number;
}

/**
 * Polls until `done` accepts the state or the attempts run out, and returns the last description.
 * An aborted wait (the Lambda is about to time out) returns what is known instead of failing a
 * change that has already been made.
 */
export async function waitForState(
  instanceId: string,
  ctx: Pick<TaskContext, "aws" | "sleep">,
  done: (state: InstanceStateName, instance: Instance) => boolean,
  options: WaitOptions,
): Promise<Instance | undefined> {
  let last: Instance | undefined;
  for (let attempt = 0; attempt < options.attempts; attempt += 1) {
    try {
      await ctx.sleep(options.intervalMs);
    } catch {
      return last;
    }
    last = await describeInstance(instanceId, ctx);
    if (done(stateOf(last), last)) return last;
  }
  return last;
}

/** Follows NextToken/Marker page by page with a cap, so a huge account cannot stall a step. */
export async function allPages<T>(
  what: string,
  ctx: Pick<TaskContext, "log">,
  fetch: (token: string | undefined) => Promise<{ readonly items: readonly T[]; readonly next?: string | undefined }>,
  maxPages = 20,
): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  for (let page = 0; page < maxPages; page += 1) {
    const result = await fetch(token);
    items.push(...result.items);
    if (!result.next || result.next === token) return items;
    token = result.next;
  }
  ctx.log.warn(`${what}: stopped after ${maxPages} pages; the result may be incomplete`, { items: items.length });
  return items;
}

/** The task that reverses this one, as its contract declares; a contract without one fails at load. */
export function undoTask(contract: TaskContract): string {
  if (contract.undo && "by" in contract.undo) return contract.undo.by;
  throw new Error(`${contract.name} declares no undo task`);
}
