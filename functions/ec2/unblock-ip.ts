import { DeleteNetworkAclEntryCommand, EC2Client, type NetworkAcl, type NetworkAclEntry } from "@aws-sdk/client-ec2";
import type * as z from "zod";
import { dryRun } from "../contract/aws-errors.js";
import type { Change, Undo } from "../contract/changes.js";
import { assertWithinBlastRadius } from "../contract/guards.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import contract from "./unblock-ip.contract.js";
import {
  blockTags,
  type BlockTag,
  canonicalCidr,
  deleteBlock,
  deleteBlockTag,
  describeNetworkAcls,
  directionOf,
  entryAt,
  type EntryRef,
  isBlockEntry,
  isIpv6,
  refOf,
  removalChange,
  tagRemovalChange,
} from "./network-acl-blocks.js";

type Input = z.output<typeof contract.input>;

type Decision =
  | { readonly ref: EntryRef; readonly action: "remove"; readonly tag: BlockTag; readonly entry: NetworkAclEntry }
  /** irflow's record of this block outlived its entry: the record goes, nothing else. */
  | { readonly ref: EntryRef; readonly action: "forget"; readonly tag: BlockTag; readonly reason: string }
  | { readonly ref: EntryRef; readonly action: "skip"; readonly reason: string };

const FILTER_VALUES = 100;

async function aclsById(ids: readonly string[], ctx: TaskContext): Promise<Map<string, NetworkAcl>> {
  const acls = new Map<string, NetworkAcl>();
  // A filter, not NetworkAclIds: one ACL deleted since the block must not fail the lookup of the others.
  for (let i = 0; i < ids.length; i += FILTER_VALUES) {
    const chunk = ids.slice(i, i + FILTER_VALUES);
    for (const acl of await describeNetworkAcls(ctx, [{ Name: "network-acl-id", Values: chunk }], chunk.join(","))) acls.set(acl.NetworkAclId!, acl);
  }
  return acls;
}

function decide(ref: EntryRef, acl: NetworkAcl | undefined, cidr: string): Decision {
  if (!acl) return { ref, action: "skip", reason: "network ACL no longer exists" };
  const tag = blockTags(acl).find((t) => t.egress === ref.egress && t.ruleNumber === ref.ruleNumber);
  if (!tag || tag.cidr !== cidr) return { ref, action: "skip", reason: `no irflow record of a block of ${cidr} at this number` };
  const entry = entryAt(acl, ref.egress, ref.ruleNumber);
  if (isBlockEntry(entry, cidr)) return { ref, action: "remove", tag, entry: entry! };
  return { ref, action: "forget", tag, reason: entry ? "the number now holds another rule (left untouched)" : "the entry is already gone" };
}

async function analyse(input: Input, ctx: TaskContext) {
  const cidr = canonicalCidr(input.cidr);
  const refs = [...new Map(input.entries.map((e) => [`${e.networkAclId}/${e.egress}/${e.ruleNumber}`, e])).values()];
  const acls = await aclsById([...new Set(refs.map((r) => r.networkAclId))], ctx);
  const decisions = refs.map((ref) => decide(ref, acls.get(ref.networkAclId), cidr));
  const changes: Change[] = decisions.flatMap((d) => (d.action === "remove" ? [removalChange(d.tag, d.entry)] : d.action === "forget" ? [tagRemovalChange(d.tag)] : []));
  return { cidr, acls, decisions, changes };
}

/**
 * Blocking again cannot promise the same rule numbers (they may be taken by now); it blocks the
 * address at the same subnet's ACL (or the VPC's) for what was left of the block.
 */
function reblock(removed: readonly Extract<Decision, { action: "remove" }>[], acls: Map<string, NetworkAcl>, cidr: string, now: Date): Undo | undefined {
  const [ip, prefix] = cidr.split("/");
  if (removed.length === 0 || prefix !== (isIpv6(cidr) ? "128" : "32")) return undefined;
  const used = [...new Set(removed.map((d) => d.ref.networkAclId))].map((id) => acls.get(id)!);
  const vpcs = new Set(used.map((acl) => acl.VpcId));
  if (vpcs.size !== 1) return undefined;
  const latest = Math.max(...removed.map((d) => d.tag.expiresAt.getTime()));
  const expiresAfterHours = Math.min(720, Math.max(1, Math.ceil((latest - now.getTime()) / 3_600_000)));
  const subnetId = used.length === 1 ? used[0]!.Associations?.[0]?.SubnetId : undefined;
  return { task: "ec2.block-ip", input: { ...(subnetId ? { subnetId } : { vpcId: [...vpcs][0] }), ip, expiresAfterHours } };
}

const where = (ref: EntryRef) => `${ref.networkAclId} ${directionOf(ref.egress)} ${ref.ruleNumber}`;

function summarise(cidr: string, decisions: readonly Decision[], done: boolean): string {
  const removed = decisions.filter((d) => d.action === "remove").map((d) => where(d.ref));
  const others = decisions.filter((d) => d.action !== "remove").map((d) => `${where(d.ref)} (${"reason" in d ? d.reason : ""})`);
  const head = removed.length === 0 ? `nothing to remove for ${cidr}` : `${done ? "removed" : "remove"} the block of ${cidr} at ${removed.join(", ")}`;
  return others.length === 0 ? head : `${head}; skipped ${others.join(", ")}`;
}

export default implementTask(contract, {
  async plan(input, ctx) {
    const { cidr, decisions, changes } = await analyse(input, ctx);
    const removals = decisions.filter((d) => d.action === "remove");
    for (const aclId of new Set(removals.map((d) => d.ref.networkAclId))) {
      const first = removals.find((d) => d.ref.networkAclId === aclId)!;
      await dryRun(`DeleteNetworkAclEntry ${where(first.ref)}`, () =>
        ctx.aws(EC2Client).send(new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: first.ref.ruleNumber, Egress: first.ref.egress, DryRun: true })),
      );
    }
    return { changes, summary: summarise(cidr, decisions, false) };
  },

  async run(input, ctx) {
    const { cidr, acls, decisions, changes } = await analyse(input, ctx);
    assertWithinBlastRadius(changes.length, `unblock ${cidr}`, ctx);
    // Undoing irflow's own recorded entries puts the owner's ACL back as it was, so the exempt
    // guard (which protects owners' resources from irflow's changes) does not stand in the way.
    for (const decision of decisions) {
      if (decision.action === "remove") await deleteBlock(ctx, decision.tag);
      else if (decision.action === "forget") await deleteBlockTag(ctx, decision.tag);
    }
    const removed = decisions.filter((d) => d.action === "remove");
    const undo = reblock(removed, acls, cidr, ctx.clock.now());
    return {
      output: { cidr: input.cidr, removed: removed.map((d) => refOf(d.ref)), skipped: decisions.filter((d) => d.action !== "remove").map((d) => refOf(d.ref)) },
      changes,
      ...(undo ? { undo } : {}),
      summary: summarise(cidr, decisions, true),
    };
  },
});
