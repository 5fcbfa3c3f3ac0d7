import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { Cidr, VpcId } from "../contract/aws-ids.js";
import { NetworkAclEntryRef } from "./block-ip.contract.js";

/** The scheduled sweep: expiry is compared with the injected clock, never with an input. */
export default defineTaskContract({
  name: "ec2.unblock-expired-ips",
  summary: "Remove irflow's network ACL deny entries whose expiry has passed",
  risk: "reversible",
  csf: ["RC.RP"],
  input: z.object({
    /** Limits the sweep to one VPC; the whole region otherwise. */
    vpcId: VpcId.optional(),
  }),
  output: z.object({
    removed: z
      .array(NetworkAclEntryRef.extend({ cidr: Cidr, expiredAt: z.iso.datetime() }))
      .max(1000),
    /** Irflow entries not yet expired. */
    remaining: z.number().int().min(0),
    /** Tagged entries whose rule no longer matches the tag (reused number): left alone, reported. */
    mismatched: z.array(NetworkAclEntryRef).max(1000),
  }),
  // Only entries recorded in an ACL's irflow tags are candidates, and only when the live entry
  // is still the recorded deny: a sweep must never remove a rule someone else wrote.
  iam: [
    { actions: ["ec2:DescribeNetworkAcls"], resources: ["*"] },
    {
      actions: ["ec2:DeleteNetworkAclEntry", "ec2:DeleteTags"],
      resources: ["arn:{partition}:ec2:{region}:{account}:network-acl/*"],
    },
  ],
  plan: "DescribeNetworkAcls and the irflow tags, then DeleteNetworkAclEntry with DryRun for each expired entry; lists them",
  undo: { none: "the blocks ended at the expiry they were created with; block the address again if it is still hostile" },
  timeoutSeconds: 300,
});
