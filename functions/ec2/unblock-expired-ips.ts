import { DeleteNetworkAclEntryCommand, EC2Client, type Filter, type NetworkAclEntry } from "@aws-sdk/client-ec2";
import type * as z from "zod";
import { dryRun } from "../contract/aws-errors.js";
import { assertWithinBlastRadius } from "../contract/guards.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import contract from "./unblock-expired-ips.contract.js";
import {
  BLOCK_TAG_PREFIX,
  blockTags,
  type BlockTag,
  deleteBlock,
  deleteBlockTag,
  describeNetworkAcls,
  directionOf,
  entryAt,
  isBlockEntry,
  refOf,
  removalChange,
  tagRemovalChange,
} from "./network-acl-blocks.js";

type Input = z.output<typeof contract.input>;

const MAX_PAGES = 50;
const MAX_REPORTED = 1000;

interface Sweep {
  readonly expired: readonly { readonly tag: BlockTag; readonly entry: NetworkAclEntry }[];
  /** Expired records whose entry someone already deleted: only the record goes. */
  readonly stale: readonly BlockTag[];
  readonly mismatched: readonly BlockTag[];
  readonly remaining: number;
}

async function sweep(input: Input, ctx: TaskContext): Promise<Sweep> {
  const now = ctx.clock.now();
  // Only ACLs carrying an irflow block tag are read: the sweep runs hourly over the whole region.
  const filters: Filter[] = [{ Name: "tag-key", Values: [`${BLOCK_TAG_PREFIX}*`] }, ...(input.vpcId ? [{ Name: "vpc-id", Values: [input.vpcId] }] : [])];
  const acls = await describeNetworkAcls(ctx, filters, input.vpcId ?? "irflow blocks", MAX_PAGES);
  const result = { expired: [] as { tag: BlockTag; entry: NetworkAclEntry }[], stale: [] as BlockTag[], mismatched: [] as BlockTag[], remaining: 0 };
  for (const acl of acls) {
    for (const tag of blockTags(acl)) {
      const entry = entryAt(acl, tag.egress, tag.ruleNumber);
      const expired = tag.expiresAt.getTime() < now.getTime();
      if (isBlockEntry(entry, tag.cidr)) {
        if (expired) result.expired.push({ tag, entry: entry! });
        else result.remaining += 1;
      } else if (entry) {
        result.mismatched.push(tag);
      } else if (expired) {
        result.stale.push(tag);
      }
    }
  }
  return result;
}

const changesOf = (s: Sweep) => [...s.expired.map(({ tag, entry }) => removalChange(tag, entry)), ...s.stale.map(tagRemovalChange)];
const where = (tag: BlockTag) => `${tag.networkAclId} ${directionOf(tag.egress)} ${tag.ruleNumber} (${tag.cidr})`;

function summarise(s: Sweep, done: boolean): string {
  const parts = [
    s.expired.length === 0 ? "no expired irflow block" : `${done ? "removed" : "remove"} ${s.expired.length} expired block entr${s.expired.length === 1 ? "y" : "ies"}: ${s.expired.map(({ tag }) => where(tag)).join(", ")}`,
    ...(s.stale.length > 0 ? [`${done ? "dropped" : "drop"} ${s.stale.length} record(s) whose entry was already gone`] : []),
    ...(s.mismatched.length > 0 ? [`left ${s.mismatched.length} number(s) now holding another rule: ${s.mismatched.map(where).join(", ")}`] : []),
    `${s.remaining} block entr${s.remaining === 1 ? "y" : "ies"} not yet expired`,
  ];
  return parts.join("; ");
}

export default implementTask(contract, {
  async plan(input, ctx) {
    const s = await sweep(input, ctx);
    for (const aclId of new Set(s.expired.map(({ tag }) => tag.networkAclId))) {
      const { tag } = s.expired.find((e) => e.tag.networkAclId === aclId)!;
      await dryRun(`DeleteNetworkAclEntry ${where(tag)}`, () =>
        ctx.aws(EC2Client).send(new DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: tag.ruleNumber, Egress: tag.egress, DryRun: true })),
      );
    }
    return { changes: changesOf(s), summary: summarise(s, false) };
  },

  async run(input, ctx) {
    const s = await sweep(input, ctx);
    const changes = changesOf(s);
    assertWithinBlastRadius(changes.length, "unblock expired addresses", ctx);
    // These are irflow's own entries reaching the expiry they were created with; the exempt guard
    // protects owners' rules from irflow, not irflow's rules from their planned end.
    for (const { tag } of s.expired) await deleteBlock(ctx, tag);
    for (const tag of s.stale) await deleteBlockTag(ctx, tag);
    if (s.mismatched.length > 0) ctx.log.warn("irflow block records whose rule number now holds another rule", { entries: s.mismatched.map(where) });
    return {
      output: {
        removed: s.expired.map(({ tag }) => ({ ...refOf(tag), cidr: tag.cidr, expiredAt: tag.expiresAt.toISOString() })),
        remaining: s.remaining,
        mismatched: s.mismatched.slice(0, MAX_REPORTED).map(refOf),
      },
      changes,
      summary: summarise(s, true),
    };
  },
});
