import { CreateSecurityGroupCommand, CreateTagsCommand, DeleteTagsCommand, ModifyNetworkInterfaceAttributeCommand, type Instance } from "@aws-sdk/client-ec2";
import type * as z from "zod";
import { aws, dryRun } from "../contract/aws-errors.js";
import type { Change } from "../contract/changes.js";
import { invalidInput, preconditionFailed } from "../contract/errors.js";
import { assertNotExempt, assertWithinBlastRadius } from "../contract/guards.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import { assertLive, describeInstance, ebsVolumes, ec2, networkInterfaces, sameGroups, tagsOf, undoTask, type AttachedInterface } from "./instance-lookup.js";
import { keepVolumes, keepVolumesChange, protectionChange, setTerminationProtection, terminationProtection } from "./instance-protection.js";
import contract from "./isolate-instance.contract.js";
import { decodeIsolatedFrom, encodeIsolatedFrom, ISOLATED_BY, isolationTagKeys, type GroupsByInterface } from "./isolation-tag.js";
import { assertQuarantineGroup, convergeGroup, describeGroups, forensicDestinations, plannedGroupChanges, QUARANTINE_GROUP, UNTRACK_GROUP, type ForensicDestination } from "./quarantine-groups.js";

type Input = z.output<typeof contract.input>;
const UNDO = undoTask(contract);

function vpcOf(instance: Instance): string {
  if (!instance.VpcId) throw preconditionFailed(`instance ${instance.InstanceId ?? "?"} is not in a VPC; security-group isolation needs one`, "vpc");
  return instance.VpcId;
}

async function prepare(input: Input, ctx: TaskContext) {
  const instance = await describeInstance(input.instanceId, ctx);
  assertLive(instance, "isolate");
  assertNotExempt(input.instanceId, instance.Tags, ctx);
  const interfaces = networkInterfaces(instance);
  if (interfaces.length === 0) throw preconditionFailed(`instance ${input.instanceId} has no network interfaces`, "network-interfaces");
  assertWithinBlastRadius(interfaces.length, `isolating the network interfaces of ${input.instanceId}`, ctx);
  return { instance, vpcId: vpcOf(instance), interfaces };
}

/** A group named by the step or the deployment: it must exist, in the instance's VPC. */
async function namedQuarantineGroup(input: Input, vpcId: string, forensic: readonly ForensicDestination[], ctx: TaskContext): Promise<string | undefined> {
  const fromInput = input.quarantineGroupId;
  const named = fromInput ?? ctx.config.quarantineGroups[vpcId];
  if (!named) return undefined;
  const [group] = await describeGroups([named], ctx);
  const fail = (message: string) => (fromInput ? invalidInput(message, "quarantineGroupId") : preconditionFailed(message, "config.quarantineGroups"));
  if (group?.VpcId !== vpcId) throw fail(`quarantine group ${named} is in ${group?.VpcId ?? "another VPC"}, not in ${vpcId} with the instance`);
  assertQuarantineGroup(group, forensic, fail);
  return named;
}

interface InterfacePlan {
  readonly networkInterfaceId: string;
  readonly primary: boolean;
  readonly current: readonly string[];
  readonly original: readonly string[];
  /** The originals came from the isolation tag (the instance was already isolated). */
  readonly fromRecord: boolean;
  readonly move: boolean;
}

/**
 * The groups each interface had before any isolation. An interface that sits only in isolation
 * groups was isolated before (by another incident, or a run that failed halfway): its originals
 * come from the instance's tag. Anywhere else the tag is stale or forged and its current groups
 * are the originals.
 */
function planInterfaces(interfaces: readonly AttachedInterface[], quarantineId: string | undefined, isolationGroups: ReadonlySet<string>, recorded: GroupsByInterface | undefined): InterfacePlan[] {
  return interfaces.map((eni) => {
    const isolated = eni.groupIds.length > 0 && eni.groupIds.every((g) => isolationGroups.has(g));
    const fromTag = isolated ? recorded?.[eni.networkInterfaceId] : undefined;
    return {
      networkInterfaceId: eni.networkInterfaceId,
      primary: eni.primary,
      current: eni.groupIds,
      original: fromTag ?? eni.groupIds,
      fromRecord: fromTag !== undefined,
      move: quarantineId === undefined || !sameGroups(eni.groupIds, [quarantineId]),
    };
  });
}

function originalsOf(plans: readonly InterfacePlan[]): Record<string, readonly string[]> {
  return Object.fromEntries(plans.map((p) => [p.networkInterfaceId, p.original]));
}

/** The isolation tags wanted on the instance, and the stale ones to drop. */
function tagWork(instanceId: string, tags: Record<string, string>, plans: readonly InterfacePlan[], recordedUsed: boolean, ctx: TaskContext) {
  const isolatedBy = (recordedUsed ? tags[ISOLATED_BY] : undefined) ?? ctx.incidentId;
  const wanted: Record<string, string> = { ...encodeIsolatedFrom(originalsOf(plans)), ...(isolatedBy ? { [ISOLATED_BY]: isolatedBy } : {}) };
  const set = Object.fromEntries(Object.entries(wanted).filter(([key, value]) => tags[key] !== value));
  const drop = isolationTagKeys(tags).filter((key) => !(key in wanted));
  const change: Change | undefined =
    Object.keys(set).length + drop.length === 0
      ? undefined
      : {
          resource: instanceId,
          action: "CreateTags irflow:isolated-from",
          before: Object.fromEntries(isolationTagKeys(tags).map((key) => [key, tags[key]])),
          after: wanted,
        };
  return { isolatedBy, set, drop, change };
}

function interfaceChange(plan: InterfacePlan, quarantineId: string): Change {
  return { resource: plan.networkInterfaceId, action: "ModifyNetworkInterfaceAttribute groups", before: [...plan.current], after: [quarantineId] };
}

function primaryOriginals(plans: readonly InterfacePlan[]): string[] {
  return [...(plans.find((p) => p.primary) ?? plans[0])!.original];
}

export default implementTask(contract, {
  async plan(input, ctx) {
    const { instance, vpcId, interfaces } = await prepare(input, ctx);
    const forensic = await forensicDestinations(vpcId, ctx);
    const named = await namedQuarantineGroup(input, vpcId, forensic, ctx);
    const quarantine = named ? { groupId: named, changes: [] } : await plannedGroupChanges(QUARANTINE_GROUP, vpcId, ctx, forensic).then((r) => ({ groupId: r.group?.GroupId, changes: r.changes }));
    const pending = interfaces.filter((eni) => quarantine.groupId === undefined || !sameGroups(eni.groupIds, [quarantine.groupId]));
    const untrack = pending.length > 0 ? await plannedGroupChanges(UNTRACK_GROUP, vpcId, ctx) : undefined;
    const isolationGroups = new Set([quarantine.groupId, untrack?.group?.GroupId, ctx.config.quarantineGroups[vpcId]].filter((g): g is string => g !== undefined));
    const recorded = decodeIsolatedFrom(tagsOf(instance));
    const plans = planInterfaces(interfaces, quarantine.groupId, isolationGroups, recorded);
    const tags = tagWork(input.instanceId, tagsOf(instance), plans, plans.some((p) => p.fromRecord), ctx);
    const quarantineLabel = quarantine.groupId ?? QUARANTINE_GROUP.name;
    const protection = protectionChange(input.instanceId, await terminationProtection(input.instanceId, ctx), true);
    const volumes = keepVolumesChange(instance);
    const moves = plans.filter((p) => p.move);

    if (!quarantine.groupId) {
      await dryRun(`CreateSecurityGroup ${QUARANTINE_GROUP.name} in ${vpcId}`, () =>
        ec2(ctx).send(new CreateSecurityGroupCommand({ GroupName: QUARANTINE_GROUP.name, Description: QUARANTINE_GROUP.description, VpcId: vpcId, DryRun: true })),
      );
    }
    const firstMove = moves[0];
    if (firstMove && quarantine.groupId) {
      await dryRun(`ModifyNetworkInterfaceAttribute ${firstMove.networkInterfaceId}`, () =>
        ec2(ctx).send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: firstMove.networkInterfaceId, Groups: [quarantine.groupId!], DryRun: true })),
      );
    }
    if (protection) await setTerminationProtection(input.instanceId, true, ctx, true);
    else if (volumes) await keepVolumes(instance, ctx, true);

    const changes: Change[] = [
      ...quarantine.changes,
      ...(untrack?.changes ?? []),
      ...(tags.change ? [tags.change] : []),
      ...moves.map((p) => interfaceChange(p, quarantineLabel)),
      ...(protection ? [protection] : []),
      ...(volumes ? [volumes] : []),
    ];
    const summary =
      moves.length === 0
        ? `${input.instanceId} is already isolated in ${quarantineLabel}${changes.length > 0 ? `; ${changes.length} protection change(s) remain` : "; nothing to change"}`
        : `isolate ${input.instanceId}: ${moves.map((p) => `${p.networkInterfaceId} ${p.current.join("+")} → ${UNTRACK_GROUP.name} → ${quarantineLabel}`).join("; ")}; termination protection on; keep EBS volumes on termination`;
    return { changes, summary };
  },

  async run(input, ctx) {
    const { instanceId } = input;
    const { instance, vpcId, interfaces } = await prepare(input, ctx);
    const forensic = await forensicDestinations(vpcId, ctx);
    const named = await namedQuarantineGroup(input, vpcId, forensic, ctx);
    const quarantine = named ? { groupId: named, changes: [] } : await convergeGroup(QUARANTINE_GROUP, vpcId, ctx, forensic);
    const pending = interfaces.filter((eni) => !sameGroups(eni.groupIds, [quarantine.groupId]));
    const untrack = pending.length > 0 ? await convergeGroup(UNTRACK_GROUP, vpcId, ctx) : undefined;
    const isolationGroups = new Set([quarantine.groupId, untrack?.groupId, ctx.config.quarantineGroups[vpcId]].filter((g): g is string => g !== undefined));
    const tags = tagsOf(instance);
    const plans = planInterfaces(interfaces, quarantine.groupId, isolationGroups, decodeIsolatedFrom(tags));
    const tagging = tagWork(instanceId, tags, plans, plans.some((p) => p.fromRecord), ctx);
    const changes: Change[] = [...quarantine.changes, ...(untrack?.changes ?? [])];

    // The originals go on the instance before any interface moves, so a run that fails halfway
    // (interfaces left in the allow-all group) still knows where they came from.
    if (Object.keys(tagging.set).length > 0) {
      await aws(`CreateTags ${instanceId}`, () => ec2(ctx).send(new CreateTagsCommand({ Resources: [instanceId], Tags: Object.entries(tagging.set).map(([Key, Value]) => ({ Key, Value })) })));
    }
    if (tagging.drop.length > 0) {
      await aws(`DeleteTags ${instanceId}`, () => ec2(ctx).send(new DeleteTagsCommand({ Resources: [instanceId], Tags: tagging.drop.map((Key) => ({ Key })) })));
    }
    if (tagging.change) changes.push(tagging.change);

    for (const plan of plans.filter((p) => p.move)) {
      const eni = plan.networkInterfaceId;
      if (!sameGroups(plan.current, [untrack!.groupId])) {
        await aws(`ModifyNetworkInterfaceAttribute ${eni} → ${untrack!.groupId}`, () => ec2(ctx).send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: [untrack!.groupId] })));
      }
      await aws(`ModifyNetworkInterfaceAttribute ${eni} → ${quarantine.groupId}`, () => ec2(ctx).send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, Groups: [quarantine.groupId] })));
      changes.push(interfaceChange(plan, quarantine.groupId));
    }

    const protection = protectionChange(instanceId, await terminationProtection(instanceId, ctx), true);
    if (protection) {
      await setTerminationProtection(instanceId, true, ctx);
      changes.push(protection);
    }
    const volumes = keepVolumesChange(instance);
    if (volumes) {
      await keepVolumes(instance, ctx);
      changes.push(volumes);
    }

    const originalGroupIds = primaryOriginals(plans);
    const moved = plans.filter((p) => p.move);
    const multi = plans.length > 1;
    // Only the incident that isolated the instance gets the undo: a second incident that finds it
    // already isolated must not release it when its own recovery runs. A retry of the isolating
    // incident (after a failure halfway) still gets it, through the irflow:isolated-by tag.
    const owns = ctx.incidentId ? tagging.isolatedBy === ctx.incidentId : moved.length > 0;
    return {
      output: { instanceId, vpcId, originalGroupIds, quarantineGroupId: quarantine.groupId, terminationProtection: true, volumesKeptOnTermination: ebsVolumes(instance).length },
      changes,
      ...(owns
        ? { undo: { task: UNDO, input: { instanceId, groupIds: originalGroupIds, ...(multi ? { interfaceGroups: originalsOf(plans) } : {}) } } }
        : {}),
      summary:
        moved.length === 0
          ? `${instanceId} was already isolated in ${quarantine.groupId}${tagging.isolatedBy ? ` (by ${tagging.isolatedBy})` : ""}; no group change${changes.length > 0 ? `, ${changes.length} other change(s)` : ""}`
          : `isolated ${instanceId}: ${moved.map((p) => `${p.networkInterfaceId} was ${p.original.join(", ")}`).join("; ")} → ${quarantine.groupId} via ${untrack!.groupId}; termination protection on; ${ebsVolumes(instance).length} EBS volume(s) kept on termination`,
    };
  },
});
