import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { BucketName } from "../contract/aws-ids.js";
import { BucketAcl, PublicAccessBlock } from "./describe-bucket-access.contract.js";

export default defineTaskContract({
  name: "s3.restore-bucket-access",
  summary: "Put back a bucket's recorded ACL, policy or public-access block (which may make it public again)",
  risk: "reversible",
  csf: ["RC.RP"],
  input: z
    .object({
      bucketName: BucketName,
      acl: BucketAcl.optional(),
      /** The policy document to put back; null deletes the bucket's policy. */
      policy: z.string().min(1).max(20480).nullable().optional(),
      /** The block to put back; null deletes the bucket's block. */
      publicAccessBlock: PublicAccessBlock.nullable().optional(),
      // The executor drops null inputs (a null in the workflow document means "absent"), so an
      // undo that must delete says so with these flags; they mean the same as policy / block null.
      /** Delete the bucket's policy (it had none when recorded). */
      deletePolicy: z.literal(true).optional(),
      /** Delete the bucket's own public-access block (it had none when recorded). */
      deletePublicAccessBlock: z.literal(true).optional(),
    })
    .refine(
      (input) =>
        input.acl !== undefined || input.policy !== undefined || input.publicAccessBlock !== undefined || input.deletePolicy === true || input.deletePublicAccessBlock === true,
      "give at least one of acl, policy, publicAccessBlock, deletePolicy, deletePublicAccessBlock",
    )
    .refine((input) => !(input.deletePolicy && typeof input.policy === "string"), "give either policy or deletePolicy, not both")
    .refine((input) => !(input.deletePublicAccessBlock && input.publicAccessBlock), "give either publicAccessBlock or deletePublicAccessBlock, not both"),
  output: z.object({
    bucketName: BucketName,
    restored: z.array(z.enum(["public-access-block", "acl", "policy"])).max(3),
  }),
  // The public-access block is restored first: while BlockPublicPolicy is on, S3 refuses to put a
  // public policy back (AccessDenied), and BlockPublicAcls refuses a public ACL.
  // DeletePublicAccessBlock is authorised by s3:PutBucketPublicAccessBlock.
  iam: [
    {
      actions: [
        "s3:GetBucketAcl",
        "s3:PutBucketAcl",
        "s3:GetBucketPolicy",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:GetBucketPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
      ],
      resources: ["arn:{partition}:s3:::*"],
    },
  ],
  plan: "GetBucketAcl, GetBucketPolicy and GetBucketPublicAccessBlock (S3 has no DryRun); shows each setting before and after",
  undo: { by: "s3.make-bucket-private" },
});
