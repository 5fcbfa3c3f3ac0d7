import { CreateNetworkAclEntryCommand, CreateTagsCommand, DeleteNetworkAclEntryCommand, EC2Client, type NetworkAcl } from "@aws-sdk/client-ec2";
import type * as z from "zod";
import { aws, dryRun } from "../contract/aws-errors.js";
import type { Change } from "../contract/changes.js";
import { isTaskError, notFound, preconditionFailed, transient } from "../contract/errors.js";
import { assertNotExempt, assertWithinBlastRadius } from "../contract/guards.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import contract from "./block-ip.contract.js";
import {
  blockTagKey,
  blockTags,
  blockTagValue,
  type BlockTag,
  cidrForIp,
  DEFAULT_RULE_NUMBER,
  describeNetworkAcls,
  directionOf,
  entriesOf,
  entryAt,
  entryCidr,
  type EntryRef,
  isBlockEntry,
  isIpv6,
  MAX_TAGS_PER_RESOURCE,
  tagsOf,
} from "./network-acl-blocks.js";

type Input = z.output<typeof contract.input>;

/** One direction of one ACL: the block entry this run makes, or the irflow block it reuses. */
interface Slot extends EntryRef {
  readonly existing?: BlockTag;
  readonly tagKey: string;
  /** The tag value after this run (a reused block's expiry may be pushed out). */
  readonly tagValue: string;
  /** A leftover irflow tag at this number whose entry is gone: overwritten. */
  readonly staleTagValue?: string;
}

interface Analysis {
  readonly cidr: string;
  readonly expiresAt: Date;
  readonly slots: readonly Slot[];
}

async function networkAcls(input: Input, ctx: TaskContext): Promise<NetworkAcl[]> {
  if (input.subnetId) {
    const acls = await describeNetworkAcls(ctx, [{ Name: "association.subnet-id", Values: [input.subnetId] }], input.subnetId);
    if (acls.length === 0) throw notFound(`subnet ${input.subnetId} has no network ACL; does it exist in this account and region?`, input.subnetId);
    return acls;
  }
  const vpcId = input.vpcId!;
  const acls = await describeNetworkAcls(ctx, [{ Name: "vpc-id", Values: [vpcId] }], vpcId);
  if (acls.length === 0) throw notFound(`VPC ${vpcId} has no network ACLs; does it exist in this account and region?`, vpcId);
  // An ACL no subnet uses filters nothing: blocking there would only spend its quota.
  const used = acls.filter((acl) => (acl.Associations ?? []).length > 0);
  if (used.length === 0) throw preconditionFailed(`VPC ${vpcId} has no subnet, so no network ACL to block at`, vpcId);
  return used;
}

function planSlot(acl: NetworkAcl, egress: boolean, cidr: string, expiresAt: Date, input: Input, ctx: TaskContext): Slot {
  const networkAclId = acl.NetworkAclId!;
  const direction = directionOf(egress);
  const entries = entriesOf(acl, egress);
  // Entries are evaluated lowest number first: a deny at or after the first allow may never be reached.
  const firstAllow = Math.min(DEFAULT_RULE_NUMBER, ...entries.filter((e) => e.RuleAction === "allow").map((e) => e.RuleNumber!));
  const existing = blockTags(acl).find((t) => t.egress === egress && t.cidr === cidr && t.ruleNumber < firstAllow && isBlockEntry(entryAt(acl, egress, t.ruleNumber), cidr));
  if (existing) {
    // A second incident blocking the same address must not inherit an earlier, shorter expiry.
    const tagValue = existing.expiresAt < expiresAt ? blockTagValue(cidr, expiresAt, existing.incidentId) : existing.value;
    return { networkAclId, egress, ruleNumber: existing.ruleNumber, existing, tagKey: existing.key, tagValue };
  }
  const family = entries.filter((e) => isIpv6(entryCidr(e) ?? "") === isIpv6(cidr)).length;
  if (family >= input.entryQuota) {
    throw preconditionFailed(
      `${networkAclId} already holds ${family} ${direction} ${isIpv6(cidr) ? "IPv6" : "IPv4"} entries, its quota of ${input.entryQuota}; irflow will not evict a rule to make room`,
      "quota",
    );
  }
  const used = new Set(entries.map((e) => e.RuleNumber));
  let ruleNumber = 1;
  while (ruleNumber < firstAllow && used.has(ruleNumber)) ruleNumber += 1;
  if (ruleNumber >= firstAllow) {
    throw preconditionFailed(`${networkAclId} has no free ${direction} rule number below its first allow rule (${firstAllow}); irflow will not renumber rules`, "rule-number");
  }
  const tagKey = blockTagKey(egress, ruleNumber);
  const stale = tagsOf(acl).get(tagKey);
  return { networkAclId, egress, ruleNumber, tagKey, tagValue: blockTagValue(cidr, expiresAt, ctx.incidentId), ...(stale !== undefined ? { staleTagValue: stale } : {}) };
}

async function analyse(input: Input, ctx: TaskContext): Promise<Analysis> {
  const cidr = cidrForIp(input.ip);
  const expiresAt = new Date(ctx.clock.now().getTime() + input.expiresAfterHours * 3_600_000);
  const slots: Slot[] = [];
  for (const acl of await networkAcls(input, ctx)) {
    assertNotExempt(acl.NetworkAclId!, acl.Tags, ctx);
    const pair = [false, true].map((egress) => planSlot(acl, egress, cidr, expiresAt, input, ctx));
    const tags = tagsOf(acl);
    const added = pair.filter((slot) => !tags.has(slot.tagKey)).length;
    if (tags.size + added > MAX_TAGS_PER_RESOURCE) {
      throw preconditionFailed(`${acl.NetworkAclId} carries ${tags.size} tags; recording this block needs ${added} more, beyond EC2's ${MAX_TAGS_PER_RESOURCE}`, "tag-limit");
    }
    slots.push(...pair);
  }
  return { cidr, expiresAt, slots };
}

function changesFor(slot: Slot, cidr: string): Change[] {
  const direction = directionOf(slot.egress);
  if (!slot.existing) {
    return [
      {
        resource: slot.networkAclId,
        action: `CreateNetworkAclEntry ${direction} ${slot.ruleNumber}`,
        before: slot.staleTagValue === undefined ? null : { tag: { [slot.tagKey]: slot.staleTagValue } },
        after: { ruleNumber: slot.ruleNumber, egress: slot.egress, ruleAction: "deny", protocol: "-1", cidr, tag: { [slot.tagKey]: slot.tagValue } },
      },
    ];
  }
  if (slot.tagValue === slot.existing.value) return [];
  return [{ resource: slot.networkAclId, action: `CreateTags ${slot.tagKey}`, before: slot.existing.value, after: slot.tagValue }];
}

function entryInput(slot: Slot, cidr: string) {
  return {
    NetworkAclId: slot.networkAclId,
    RuleNumber: slot.ruleNumber,
    Egress: slot.egress,
    RuleAction: "deny" as const,
    Protocol: "-1",
    ...(isIpv6(cidr) ? { Ipv6CidrBlock: cidr } : { CidrBlock: cidr }),
  };
}

async function tag(slot: Slot, ctx: TaskContext): Promise<void> {
  await aws(`CreateTags ${slot.networkAclId} ${slot.tagKey}`, () =>
    ctx.aws(EC2Client).send(new CreateTagsCommand({ Resources: [slot.networkAclId], Tags: [{ Key: slot.tagKey, Value: slot.tagValue }] })),
  );
}

/**
 * Entry first, then its tag: creating the entry is what claims the rule number (EC2 refuses a
 * taken one), so two blocks racing on one ACL never share a number or overwrite each other's tag.
 */
async function apply(slot: Slot, cidr: string, ctx: TaskContext): Promise<void> {
  if (slot.existing) {
    if (slot.tagValue !== slot.existing.value) await tag(slot, ctx);
    return;
  }
  const where = `${slot.networkAclId} ${directionOf(slot.egress)} ${slot.ruleNumber}`;
  const ec2 = ctx.aws(EC2Client);
  try {
    await aws(`CreateNetworkAclEntry ${where}`, () => ec2.send(new CreateNetworkAclEntryCommand(entryInput(slot, cidr))));
  } catch (error) {
    if (isTaskError(error) && error.detail === "NetworkAclEntryAlreadyExists") {
      throw transient(`rule ${where} was taken while irflow blocked ${cidr}; a retry allocates another number`, error.detail, error);
    }
    throw error;
  }
  try {
    await tag(slot, ctx);
  } catch (error) {
    // An untagged deny would never expire and could not be told from someone else's rule: take it back.
    await aws(`DeleteNetworkAclEntry ${where}`, () => ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: slot.networkAclId, RuleNumber: slot.ruleNumber, Egress: slot.egress }))).catch(
      (undoError: unknown) => ctx.log.error("could not remove the entry whose tag failed; remove it by hand", { entry: where, error: String(undoError) }),
    );
    throw error;
  }
}

const describeSlot = (slot: Slot) => `${slot.networkAclId} ${directionOf(slot.egress)} ${slot.ruleNumber}`;
const refOf = (slot: Slot): EntryRef => ({ networkAclId: slot.networkAclId, ruleNumber: slot.ruleNumber, egress: slot.egress });

export default implementTask(contract, {
  async plan(input, ctx) {
    const { cidr, expiresAt, slots } = await analyse(input, ctx);
    const creating = slots.filter((slot) => !slot.existing);
    for (const aclId of new Set(creating.map((slot) => slot.networkAclId))) {
      const first = creating.find((slot) => slot.networkAclId === aclId)!;
      await dryRun(`CreateNetworkAclEntry ${describeSlot(first)}`, () => ctx.aws(EC2Client).send(new CreateNetworkAclEntryCommand({ ...entryInput(first, cidr), DryRun: true })));
    }
    const changes = slots.flatMap((slot) => changesFor(slot, cidr));
    return {
      changes,
      summary:
        creating.length === 0
          ? `${cidr} is already blocked at ${slots.map(describeSlot).join(", ")}`
          : `deny ${cidr} in and out until ${expiresAt.toISOString()} at ${creating.map(describeSlot).join(", ")}`,
    };
  },

  async run(input, ctx) {
    const { cidr, expiresAt, slots } = await analyse(input, ctx);
    const changes = slots.flatMap((slot) => changesFor(slot, cidr));
    assertWithinBlastRadius(changes.length, `block ${cidr}`, ctx);
    for (const slot of slots) await apply(slot, cidr, ctx);
    // Recover lifts only what this incident put in place, never a block another incident still relies on.
    const ours = slots.filter((slot) => !slot.existing || slot.existing.incidentId === ctx.incidentId).map(refOf);
    const created = slots.filter((slot) => !slot.existing);
    const reused = slots.filter((slot) => slot.existing);
    return {
      output: { cidr, entries: slots.map(refOf), expiresAt: expiresAt.toISOString() },
      changes,
      ...(ours.length > 0 ? { undo: { task: "ec2.unblock-ip", input: { cidr, entries: ours } } } : {}),
      summary:
        created.length === 0
          ? `${cidr} was already blocked at ${reused.map(describeSlot).join(", ")}; ${changes.length === 0 ? "nothing changed" : `expiry extended to ${expiresAt.toISOString()}`}`
          : `denied ${cidr} in and out until ${expiresAt.toISOString()} at ${created.map(describeSlot).join(", ")}${reused.length > 0 ? `; reused ${reused.map(describeSlot).join(", ")}` : ""}`,
    };
  },
});
