import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { Cidr, IpAddress, NetworkAclId, NetworkAclRuleNumber, SubnetId, VpcId } from "../contract/aws-ids.js";

/** One network ACL entry, identified as EC2 identifies it (ACL, rule number, direction). */
export const NetworkAclEntryRef = z.object({
  networkAclId: NetworkAclId,
  ruleNumber: NetworkAclRuleNumber,
  egress: z.boolean(),
});

export default defineTaskContract({
  name: "ec2.block-ip",
  summary: "Deny an IP address in and out at the network ACLs of a subnet or VPC, until an expiry",
  risk: "reversible",
  csf: ["RS.MI-01"],
  input: z
    .object({
      /** The subnet's network ACL; give this or vpcId. */
      subnetId: SubnetId.optional(),
      /** Every network ACL associated with a subnet of the VPC. */
      vpcId: VpcId.optional(),
      ip: IpAddress,
      expiresAfterHours: z.number().int().min(1).max(720).default(24),
      /** Entries allowed per direction; 20 unless the account's quota was raised (at most 40). */
      entryQuota: z.number().int().min(20).max(40).default(20),
    })
    .refine((input) => (input.subnetId === undefined) !== (input.vpcId === undefined), "give subnetId or vpcId, not both"),
  output: z.object({
    cidr: Cidr,
    /** One ingress and one egress entry per network ACL. */
    entries: z.array(NetworkAclEntryRef).min(2).max(400),
    expiresAt: z.iso.datetime(),
  }),
  // Entries are evaluated lowest number first, so a deny takes a free number below the first
  // allow rule; an ACL with no such number, or at its quota, fails PreconditionFailed instead of
  // renumbering or evicting someone's rule. Entries cannot be tagged: the cidr, expiry and incident
  // are recorded as a tag on the network ACL keyed by direction and rule number, which the expiry
  // sweep and unblock read to touch only entries irflow made. The entry is created before its tag
  // (creating it is what claims the number); if the tag then fails, the entry is deleted again,
  // since an untagged deny would never expire: hence DeleteNetworkAclEntry.
  iam: [
    { actions: ["ec2:DescribeNetworkAcls"], resources: ["*"] },
    {
      actions: ["ec2:CreateNetworkAclEntry", "ec2:CreateTags", "ec2:DeleteNetworkAclEntry"],
      resources: ["arn:{partition}:ec2:{region}:{account}:network-acl/*"],
    },
  ],
  plan: "DescribeNetworkAcls to allocate rule numbers, then CreateNetworkAclEntry with DryRun; lists each ACL, rule number and the expiry",
  undo: { by: "ec2.unblock-ip" },
});
