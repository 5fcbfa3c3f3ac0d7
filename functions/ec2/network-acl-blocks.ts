import { DeleteNetworkAclEntryCommand, DeleteTagsCommand, DescribeNetworkAclsCommand, EC2Client, type Filter, type NetworkAcl, type NetworkAclEntry } from "@aws-sdk/client-ec2";
import { aws } from "../contract/aws-errors.js";
import { Cidr } from "../contract/aws-ids.js";
import type { Change } from "../contract/changes.js";
import { isTaskError, preconditionFailed } from "../contract/errors.js";
import type { TaskContext } from "../contract/task.js";

/**
 * The irflow IP blocks on network ACLs, shared by ec2.block-ip, ec2.unblock-ip and
 * ec2.unblock-expired-ips. NACL entries cannot be tagged, so each block is recorded as a tag on
 * its ACL: key `irflow:block:<in|out>:<rule number>`, value `<cidr>|<expires ISO>|<incident id>`.
 * The tag is what makes an entry irflow's: a deny without it is never touched.
 */
export const BLOCK_TAG_PREFIX = "irflow:block:";
/** Numbers from 32767 up are the default `*` rules (IPv4 and IPv6): fixed, outside any quota. */
export const DEFAULT_RULE_NUMBER = 32767;
/** EC2's limit of tags per resource. */
export const MAX_TAGS_PER_RESOURCE = 50;

export interface EntryRef {
  networkAclId: string;
  ruleNumber: number;
  egress: boolean;
}

export interface BlockTag extends EntryRef {
  key: string;
  value: string;
  cidr: string;
  expiresAt: Date;
  incidentId: string;
}

export const directionOf = (egress: boolean) => (egress ? "egress" : "ingress");

export function blockTagKey(egress: boolean, ruleNumber: number): string {
  return `${BLOCK_TAG_PREFIX}${egress ? "out" : "in"}:${ruleNumber}`;
}

export function blockTagValue(cidr: string, expiresAt: Date, incidentId: string): string {
  return `${cidr}|${expiresAt.toISOString()}|${incidentId}`;
}

/** The host address as a /32 or /128, in the form EC2 reports it back. */
export function cidrForIp(ip: string): string {
  return ip.includes(":") ? `${canonicalIpv6(ip)}/128` : `${ip}/32`;
}

/** EC2 answers IPv6 in RFC 5952 form; an input written another way must still match its entry. */
export function canonicalCidr(cidr: string): string {
  const [address = "", prefix] = cidr.split("/");
  return address.includes(":") ? `${canonicalIpv6(address)}/${prefix}` : cidr;
}

function canonicalIpv6(address: string): string {
  // The WHATWG URL parser serialises IPv6 hosts exactly as RFC 5952 asks (lower case, longest zero run compressed).
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

export const isIpv6 = (cidr: string) => cidr.includes(":");

export function tagsOf(acl: NetworkAcl): Map<string, string> {
  return new Map((acl.Tags ?? []).filter((t) => t.Key).map((t) => [t.Key!, t.Value ?? ""]));
}

/** The block records in an ACL's tags; a tag that does not parse is not irflow's and is ignored. */
export function blockTags(acl: NetworkAcl): BlockTag[] {
  const tags: BlockTag[] = [];
  for (const [key, value] of tagsOf(acl)) {
    const match = /^irflow:block:(in|out):(\d{1,5})$/.exec(key);
    const [cidr = "", expires = "", incidentId = ""] = value.split("|");
    const expiresAt = new Date(expires);
    const ruleNumber = Number(match?.[2]);
    if (!match || !Cidr.safeParse(cidr).success || Number.isNaN(expiresAt.getTime()) || ruleNumber < 1 || ruleNumber >= DEFAULT_RULE_NUMBER) continue;
    tags.push({ networkAclId: acl.NetworkAclId!, ruleNumber, egress: match[1] === "out", key, value, cidr: canonicalCidr(cidr), expiresAt, incidentId });
  }
  return tags.sort((a, b) => a.ruleNumber - b.ruleNumber || Number(a.egress) - Number(b.egress));
}

/** Entries of one direction, without the default `*` rules. */
export function entriesOf(acl: NetworkAcl, egress: boolean): NetworkAclEntry[] {
  return (acl.Entries ?? []).filter((e) => e.Egress === egress && e.RuleNumber !== undefined && e.RuleNumber < DEFAULT_RULE_NUMBER);
}

export function entryAt(acl: NetworkAcl, egress: boolean, ruleNumber: number): NetworkAclEntry | undefined {
  return entriesOf(acl, egress).find((e) => e.RuleNumber === ruleNumber);
}

export function entryCidr(entry: NetworkAclEntry): string | undefined {
  const cidr = entry.CidrBlock ?? entry.Ipv6CidrBlock;
  return cidr === undefined ? undefined : canonicalCidr(cidr);
}

/** A block as irflow writes it: deny, every protocol, exactly this cidr. */
export function isBlockEntry(entry: NetworkAclEntry | undefined, cidr: string): boolean {
  return entry !== undefined && entry.RuleAction === "deny" && entry.Protocol === "-1" && entryCidr(entry) === canonicalCidr(cidr);
}

/** An entry as the record shows it (before/after of a change). */
export function describeEntry(entry: NetworkAclEntry): Record<string, unknown> {
  return {
    ruleNumber: entry.RuleNumber,
    egress: entry.Egress,
    ruleAction: entry.RuleAction,
    protocol: entry.Protocol,
    cidr: entryCidr(entry),
    ...(entry.PortRange ? { portRange: entry.PortRange } : {}),
  };
}

/** DescribeNetworkAcls, every page; refuses rather than silently working on a partial list. */
export async function describeNetworkAcls(ctx: TaskContext, filters: Filter[], what: string, maxPages = 10): Promise<NetworkAcl[]> {
  const acls: NetworkAcl[] = [];
  let token: string | undefined;
  for (let page = 0; page < maxPages; page += 1) {
    const result = await aws(`DescribeNetworkAcls ${what}`, () =>
      ctx.aws(EC2Client).send(new DescribeNetworkAclsCommand({ Filters: filters, MaxResults: 100, ...(token ? { NextToken: token } : {}) })),
    );
    acls.push(...(result.NetworkAcls ?? []));
    token = result.NextToken;
    if (!token) return acls;
  }
  throw preconditionFailed(`${what}: more than ${maxPages * 100} network ACLs; narrow the request`, "pagination");
}

/**
 * Deletes a block entry, then its tag. The tag is deleted with its value, so a tag that another
 * block rewrote in the meantime survives. An entry already gone still has its tag removed.
 */
export async function deleteBlock(ctx: TaskContext, tag: BlockTag): Promise<void> {
  const ec2 = ctx.aws(EC2Client);
  const where = `${tag.networkAclId} ${directionOf(tag.egress)} ${tag.ruleNumber}`;
  try {
    await aws(`DeleteNetworkAclEntry ${where}`, () => ec2.send(new DeleteNetworkAclEntryCommand({ NetworkAclId: tag.networkAclId, RuleNumber: tag.ruleNumber, Egress: tag.egress })));
  } catch (error) {
    if (!(isTaskError(error) && error.name === "NotFound")) throw error;
    // The ACL itself is gone (and its tags with it): nothing is left to clean.
    if (error.detail?.startsWith("InvalidNetworkAclID")) return;
    ctx.log.warn("entry already gone; removing its tag", { entry: where });
  }
  await deleteBlockTag(ctx, tag);
}

export async function deleteBlockTag(ctx: TaskContext, tag: BlockTag): Promise<void> {
  await aws(`DeleteTags ${tag.networkAclId} ${tag.key}`, () =>
    ctx.aws(EC2Client).send(new DeleteTagsCommand({ Resources: [tag.networkAclId], Tags: [{ Key: tag.key, Value: tag.value }] })),
  );
}

/** How the record shows a block entry being removed. */
export function removalChange(tag: BlockTag, entry: NetworkAclEntry): Change {
  return {
    resource: tag.networkAclId,
    action: `DeleteNetworkAclEntry ${directionOf(tag.egress)} ${tag.ruleNumber}`,
    before: { ...describeEntry(entry), tag: { [tag.key]: tag.value } },
    after: null,
  };
}

/** How the record shows a stale block tag (its entry is gone) being removed. */
export function tagRemovalChange(tag: BlockTag): Change {
  return { resource: tag.networkAclId, action: `DeleteTags ${tag.key}`, before: tag.value, after: null };
}

export const refOf = (tag: EntryRef): EntryRef => ({ networkAclId: tag.networkAclId, ruleNumber: tag.ruleNumber, egress: tag.egress });
