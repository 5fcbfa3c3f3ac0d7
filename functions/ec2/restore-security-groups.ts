import { DeleteTagsCommand, ModifyNetworkInterfaceAttributeCommand } from "@aws-sdk/client-ec2";
import type * as z from "zod";
import { aws, dryRun } from "../contract/aws-errors.js";
import type { Change } from "../contract/changes.js";
import { notFound, preconditionFailed } from "../contract/errors.js";
import { assertNotExempt, assertWithinBlastRadius } from "../contract/guards.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import { assertLive, describeInstance, ec2, networkInterfaces, sameGroups, tagsOf, undoTask } from "./instance-lookup.js";
import { decodeIsolatedFrom, isolationTagKeys } from "./isolation-tag.js";
import { describeGroups } from "./quarantine-groups.js";
import contract from "./restore-security-groups.contract.js";

type Input = z.output<typeof contract.input>;
const UNDO = undoTask(contract);

interface Move {
  readonly networkInterfaceId: string;
  readonly primary: boolean;
  readonly current: readonly string[];
  readonly target: readonly string[];
}

async function assess(input: Input, ctx: TaskContext) {
  const instance = await describeInstance(input.instanceId, ctx);
  assertLive(instance, "restore the security groups of");
  assertNotExempt(input.instanceId, instance.Tags, ctx);
  const vpcId = instance.VpcId;
  if (!vpcId) throw preconditionFailed(`instance ${input.instanceId} is not in a VPC`, "vpc");
  const tags = tagsOf(instance);
  const recorded = decodeIsolatedFrom(tags);
  const interfaces = networkInterfaces(instance);
  const primary = interfaces.find((n) => n.primary);
  if (!primary) throw preconditionFailed(`instance ${input.instanceId} has no primary network interface`, "network-interfaces");
  const recordedPrimary = recorded?.[primary.networkInterfaceId];
  if (recordedPrimary && !sameGroups(recordedPrimary, input.groupIds)) {
    // The input comes from the journal (isolation's undo) or a responder; a tag anyone with
    // ec2:CreateTags could have written does not override it.
    ctx.log.warn("the irflow:isolated-from tag disagrees with the groups asked for; restoring the groups asked for", { tag: recordedPrimary, input: input.groupIds });
  }
  // Other interfaces: the groups recorded by isolation (its undo, else the tag); one with no record
  // is left as it is.
  const targets = interfaces.flatMap((eni): Move[] => {
    const target = eni.primary ? input.groupIds : (input.interfaceGroups?.[eni.networkInterfaceId] ?? recorded?.[eni.networkInterfaceId]);
    return target ? [{ networkInterfaceId: eni.networkInterfaceId, primary: eni.primary, current: eni.groupIds, target }] : [];
  });
  await assertGroupsInVpc([...new Set(targets.flatMap((t) => t.target))], vpcId, ctx);
  const moves = targets.filter((t) => !sameGroups(t.current, t.target));
  assertWithinBlastRadius(moves.length, `restoring the network interfaces of ${input.instanceId}`, ctx);
  return { vpcId, tags, primary, moves, tagKeys: isolationTagKeys(tags) };
}

async function assertGroupsInVpc(groupIds: readonly string[], vpcId: string, ctx: TaskContext): Promise<void> {
  const groups = await describeGroups(groupIds, ctx);
  for (const group of groups) {
    if (group.VpcId !== vpcId) throw notFound(`security group ${group.GroupId ?? "?"} does not exist in ${vpcId} (it is in ${group.VpcId ?? "no VPC"})`, group.GroupId);
  }
}

function changesOf(instanceId: string, moves: readonly Move[], tags: Record<string, string>, tagKeys: readonly string[]): Change[] {
  return [
    ...moves.map((m) => ({ resource: m.networkInterfaceId, action: "ModifyNetworkInterfaceAttribute groups", before: [...m.current], after: [...m.target] })),
    ...(tagKeys.length > 0 ? [{ resource: instanceId, action: "DeleteTags irflow:isolated-from", before: Object.fromEntries(tagKeys.map((k) => [k, tags[k]])), after: null }] : []),
  ];
}

export default implementTask(contract, {
  async plan(input, ctx) {
    const { tags, moves, tagKeys } = await assess(input, ctx);
    const first = moves[0];
    if (first) {
      await dryRun(`ModifyNetworkInterfaceAttribute ${first.networkInterfaceId}`, () =>
        ec2(ctx).send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: first.networkInterfaceId, Groups: [...first.target], DryRun: true })),
      );
    }
    const changes = changesOf(input.instanceId, moves, tags, tagKeys);
    return {
      changes,
      summary:
        moves.length === 0
          ? `${input.instanceId} is already in ${input.groupIds.join(", ")}${tagKeys.length > 0 ? "; remove its isolation tags" : ""}`
          : `restore ${input.instanceId}: ${moves.map((m) => `${m.networkInterfaceId} ${m.current.join("+")} → ${m.target.join("+")}`).join("; ")}`,
    };
  },

  async run(input, ctx) {
    const { instanceId } = input;
    const { tags, primary, moves, tagKeys } = await assess(input, ctx);
    for (const move of moves) {
      await aws(`ModifyNetworkInterfaceAttribute ${move.networkInterfaceId}`, () =>
        ec2(ctx).send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: move.networkInterfaceId, Groups: [...move.target] })),
      );
    }
    // The tags go last: until every interface is back, a retry must still find the originals.
    if (tagKeys.length > 0) {
      await aws(`DeleteTags ${instanceId}`, () => ec2(ctx).send(new DeleteTagsCommand({ Resources: [instanceId], Tags: tagKeys.map((Key) => ({ Key })) })));
    }
    return {
      output: { instanceId, groupIds: input.groupIds, replacedGroupIds: [...primary.groupIds] },
      changes: changesOf(instanceId, moves, tags, tagKeys),
      ...(moves.length > 0 ? { undo: { task: UNDO, input: { instanceId } } } : {}),
      summary:
        moves.length === 0
          ? `${instanceId} was already in its groups (${input.groupIds.join(", ")}); no group change${tagKeys.length > 0 ? ", isolation tags removed" : ""}`
          : `restored ${instanceId}: ${moves.map((m) => `${m.networkInterfaceId} ${m.current.join("+")} → ${m.target.join("+")}`).join("; ")}${tagKeys.length > 0 ? "; isolation tags removed" : ""}`,
    };
  },
});
