import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { BucketName } from "../contract/aws-ids.js";
import { BucketAcl } from "./describe-bucket-access.contract.js";

export default defineTaskContract({
  name: "s3.make-bucket-private",
  summary: "Replace a public bucket ACL with a private one and remove public policy statements, recording both",
  risk: "reversible",
  csf: ["RS.MI-01"],
  input: z.object({
    bucketName: BucketName,
  }),
  output: z.object({
    bucketName: BucketName,
    /** The ACL before, when it was changed. */
    previousAcl: BucketAcl.optional(),
    /** The policy document before, when it was changed (S3 policies are at most 20 KB). */
    previousPolicy: z.string().min(1).max(20480).optional(),
    removedStatements: z.number().int().min(0),
    /** True when every statement was public, so the policy was deleted rather than rewritten. */
    policyDeleted: z.boolean(),
  }),
  // With Object Ownership BucketOwnerEnforced ACLs are off and the ACL step is skipped. Object ACLs
  // are not touched here (there may be millions): s3.enable-block-public-access ignores them.
  // Only statements S3 judges public are removed, so a policy's own Deny statements stay.
  iam: [
    {
      actions: [
        "s3:GetBucketAcl",
        "s3:PutBucketAcl",
        "s3:GetBucketPolicy",
        "s3:GetBucketPolicyStatus",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:GetBucketOwnershipControls",
        // The exempt guard reads the bucket's tags.
        "s3:GetBucketTagging",
      ],
      resources: ["arn:{partition}:s3:::*"],
    },
  ],
  plan: "GetBucketAcl, GetBucketPolicy and GetBucketPolicyStatus (S3 has no DryRun); lists the grants and statements to remove",
  undo: { by: "s3.restore-bucket-access" },
});
