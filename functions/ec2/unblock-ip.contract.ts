import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { Cidr } from "../contract/aws-ids.js";
import { NetworkAclEntryRef } from "./block-ip.contract.js";

export default defineTaskContract({
  name: "ec2.unblock-ip",
  summary: "Remove the network ACL entries that a block of an IP address created",
  risk: "reversible",
  csf: ["RC.RP"],
  input: z.object({
    cidr: Cidr,
    entries: z.array(NetworkAclEntryRef).min(1).max(400),
  }),
  output: z.object({
    cidr: Cidr,
    removed: z.array(NetworkAclEntryRef).max(400),
    /** Entries already gone, or whose number now holds a different rule (left untouched). */
    skipped: z.array(NetworkAclEntryRef).max(400),
  }),
  // A rule number may have been freed and reused since the block; an entry is deleted only when it
  // is still a deny for this cidr and the ACL's irflow tag says irflow made it.
  iam: [
    { actions: ["ec2:DescribeNetworkAcls"], resources: ["*"] },
    {
      actions: ["ec2:DeleteNetworkAclEntry", "ec2:DeleteTags"],
      resources: ["arn:{partition}:ec2:{region}:{account}:network-acl/*"],
    },
  ],
  plan: "DescribeNetworkAcls to match each entry to this block, then DeleteNetworkAclEntry with DryRun; lists the entries to remove and those skipped",
  undo: { by: "ec2.block-ip" },
});
