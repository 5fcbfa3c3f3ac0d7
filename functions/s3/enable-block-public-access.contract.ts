import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { BucketName } from "../contract/aws-ids.js";
import { PublicAccessBlock } from "./describe-bucket-access.contract.js";

export default defineTaskContract({
  name: "s3.enable-block-public-access",
  summary: "Turn on all four public-access block settings of a bucket, recording the previous ones",
  risk: "reversible",
  csf: ["RS.MI-01"],
  input: z.object({
    bucketName: BucketName,
  }),
  output: z.object({
    bucketName: BucketName,
    /** Null when the bucket had no block configured. */
    previousPublicAccessBlock: PublicAccessBlock.nullable(),
  }),
  // All four: IgnorePublicAcls also neutralises object ACLs that no bucket-level change reaches,
  // and RestrictPublicBuckets cuts access through a public policy at once, before anyone edits it.
  iam: [
    {
      // GetBucketTagging: the exempt guard reads the bucket's tags.
      actions: ["s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock", "s3:GetBucketTagging"],
      resources: ["arn:{partition}:s3:::*"],
    },
  ],
  plan: "GetBucketPublicAccessBlock (S3 has no DryRun); shows the settings before and after",
  undo: { by: "s3.restore-bucket-access" },
});
