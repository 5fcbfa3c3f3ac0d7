import * as z from "zod";
import { defineTaskContract } from "../contract/task-contract.js";
import { AccountId, BucketName, S3CanonicalUserId } from "../contract/aws-ids.js";

export const AclGrant = z.object({
  granteeType: z.enum(["CanonicalUser", "Group", "AmazonCustomerByEmail"]),
  /** Canonical user id, group URI (e.g. …/global/AllUsers) or e-mail address. */
  grantee: z.string().min(1).max(256),
  permission: z.enum(["FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP"]),
});

/** A bucket ACL as GetBucketAcl returns it (S3 allows at most 100 grants). */
export const BucketAcl = z.object({
  ownerId: S3CanonicalUserId,
  grants: z.array(AclGrant).max(100),
});

export const PublicAccessBlock = z.object({
  blockPublicAcls: z.boolean(),
  ignorePublicAcls: z.boolean(),
  blockPublicPolicy: z.boolean(),
  restrictPublicBuckets: z.boolean(),
});

export default defineTaskContract({
  name: "s3.describe-bucket-access",
  summary: "Record who can reach a bucket: ACL grants, policy, public-access blocks and object ownership",
  risk: "read",
  csf: ["DE.AE", "RS.AN"],
  input: z.object({
    bucketName: BucketName,
    /** The bucket's account, whose account-level Block Public Access is read too; without it only the bucket's own block counts. */
    accountId: AccountId.optional(),
  }),
  output: z.object({
    bucketName: BucketName,
    /** BucketOwnerEnforced means ACLs are disabled and only the policy can grant access. */
    objectOwnership: z.enum(["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"]).optional(),
    acl: BucketAcl,
    /** A grant to the AllUsers or AuthenticatedUsers group. */
    aclPublic: z.boolean(),
    policyPresent: z.boolean(),
    policyPublic: z.boolean(),
    /** Absent when the bucket has no public-access block configured. */
    publicAccessBlock: PublicAccessBlock.optional(),
    /** The account-level block (S3 Control); null when the account has none, absent when no account id was given. */
    accountPublicAccessBlock: PublicAccessBlock.nullable().optional(),
    /** Public after the bucket's and the account's blocks are applied. */
    isPublic: z.boolean(),
  }),
  // policyPublic is S3's own evaluation (GetBucketPolicyStatus), not a parse of the policy, which
  // would misjudge conditions. The full ACL and policy go to the incident record as evidence; the
  // document keeps only this summary.
  iam: [
    {
      actions: [
        "s3:GetBucketAcl",
        "s3:GetBucketPolicy",
        "s3:GetBucketPolicyStatus",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketOwnershipControls",
      ],
      resources: ["arn:{partition}:s3:::*"],
    },
    // S3 Control's GetPublicAccessBlock needs s3:GetAccountPublicAccessBlock; account-level, no resource type.
    { actions: ["s3:GetAccountPublicAccessBlock"], resources: ["*"] },
    // The configuration it read, written to the evidence bucket so that its sha256 can be checked.
    { actions: ["s3:PutObject"], resources: ["{bucket:evidence}/*"] },
  ],
  evidence: { captures: ["s3-bucket-configuration"] },
});
