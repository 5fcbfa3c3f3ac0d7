import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { InstanceId, TagKey, TagValue } from "../contract/aws-ids.js";

/** Up to 50 tags, the EC2 limit per resource; TagKey already refuses the reserved aws: prefix. */
export const InstanceTags = z
  .record(TagKey, TagValue)
  .refine((tags) => Object.keys(tags).length >= 1 && Object.keys(tags).length <= 50, "must hold 1 to 50 tags");

export default defineTaskContract({
  name: "ec2.tag-instance",
  summary: "Tag an instance (e.g. with the incident id and its containment status)",
  risk: "reversible",
  csf: ["RS.MA"],
  input: z.object({
    instanceId: InstanceId,
    tags: InstanceTags,
  }),
  output: z.object({
    instanceId: InstanceId,
    tags: InstanceTags,
    /** Values that the new tags overwrote; untagging removes the keys, so these are kept for the record. */
    previousValues: z.record(TagKey, TagValue),
  }),
  iam: [
    { actions: ["ec2:DescribeInstances"], resources: ["*"] },
    { actions: ["ec2:CreateTags"], resources: ["arn:{partition}:ec2:{region}:{account}:instance/*"] },
  ],
  plan: "DescribeInstances for the current tags, then CreateTags with DryRun; lists added and overwritten tags",
  undo: { by: "ec2.untag-instance" },
});
