import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { InstanceId, TagKey, TagValue } from "../contract/aws-ids.js";

export default defineTaskContract({
  name: "ec2.untag-instance",
  summary: "Remove tags from an instance, recording their values",
  risk: "reversible",
  csf: ["RS.MA"],
  input: z.object({
    instanceId: InstanceId,
    keys: z.array(TagKey).min(1).max(50),
  }),
  output: z.object({
    instanceId: InstanceId,
    /** The removed tags with their values, which is what re-tagging needs. */
    removed: z.record(TagKey, TagValue),
  }),
  iam: [
    { actions: ["ec2:DescribeInstances"], resources: ["*"] },
    { actions: ["ec2:DeleteTags"], resources: ["arn:{partition}:ec2:{region}:{account}:instance/*"] },
  ],
  plan: "DescribeInstances for the current tags, then DeleteTags with DryRun; lists the tags and values to remove",
  undo: { by: "ec2.tag-instance" },
});
