import {
  GetBucketAclCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetBucketTaggingCommand,
  GetPublicAccessBlockCommand,
  type Grant,
  type PublicAccessBlockConfiguration,
  S3Client,
  type Tag,
} from "@aws-sdk/client-s3";
import type * as z from "zod";
import { aws } from "../contract/aws-errors.js";
import { isTaskError, preconditionFailed } from "../contract/errors.js";
import type { TaskContext } from "../contract/task.js";
import { type AclGrant as AclGrantSchema, BucketAcl, type PublicAccessBlock as PublicAccessBlockSchema } from "./describe-bucket-access.contract.js";

/** Reads of a bucket's access settings that the S3 tasks share, in the contracts' shapes. */

export type BucketAcl = z.infer<typeof BucketAcl>;
export type AclGrant = z.infer<typeof AclGrantSchema>;
export type PublicAccessBlock = z.infer<typeof PublicAccessBlockSchema>;
export type ObjectOwnership = "BucketOwnerEnforced" | "BucketOwnerPreferred" | "ObjectWriter";

export const ALL_BLOCKED: PublicAccessBlock = { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true };

const PUBLIC_GROUPS = ["http://acs.amazonaws.com/groups/global/AllUsers", "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"];

/** AuthenticatedUsers is any AWS account in the world, not this account's users: as public as AllUsers. */
export function isPublicGrant(grant: AclGrant): boolean {
  return grant.granteeType === "Group" && PUBLIC_GROUPS.includes(grant.grantee.replace(/^https:/, "http:"));
}

export function aclIsPublic(acl: BucketAcl): boolean {
  return acl.grants.some(isPublicGrant);
}

/** S3 answers "no such configuration" with an error; for these reads that means "none". */
async function noneOn<T>(codes: readonly string[], call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (isTaskError(error) && error.detail !== undefined && codes.includes(error.detail)) return undefined;
    throw error;
  }
}

export async function bucketTags(bucketName: string, ctx: TaskContext): Promise<Tag[]> {
  const result = await noneOn(["NoSuchTagSet"], aws(`GetBucketTagging ${bucketName}`, () => ctx.aws(S3Client).send(new GetBucketTaggingCommand({ Bucket: bucketName }))));
  return result?.TagSet ?? [];
}

function grantOf(grant: Grant): AclGrant | undefined {
  const grantee = grant.Grantee;
  const id = grantee?.ID ?? grantee?.URI ?? grantee?.EmailAddress;
  if (!grantee?.Type || !id || !grant.Permission) return undefined;
  return { granteeType: grantee.Type, grantee: id, permission: grant.Permission };
}

export async function bucketAcl(bucketName: string, ctx: TaskContext): Promise<BucketAcl> {
  const result = await aws(`GetBucketAcl ${bucketName}`, () => ctx.aws(S3Client).send(new GetBucketAclCommand({ Bucket: bucketName })));
  const acl = BucketAcl.safeParse({ ownerId: result.Owner?.ID, grants: (result.Grants ?? []).map(grantOf).filter((g) => g !== undefined) });
  if (!acl.success) throw preconditionFailed(`GetBucketAcl ${bucketName} returned an ACL irflow cannot record (${acl.error.issues[0]?.message ?? "invalid"})`, bucketName);
  return acl.data;
}

/** The ACL as PutBucketAcl takes it. */
export function accessControlPolicy(acl: BucketAcl) {
  return {
    Owner: { ID: acl.ownerId },
    Grants: acl.grants.map((grant) => ({
      Grantee:
        grant.granteeType === "Group"
          ? { Type: grant.granteeType, URI: grant.grantee }
          : grant.granteeType === "AmazonCustomerByEmail"
            ? { Type: grant.granteeType, EmailAddress: grant.grantee }
            : { Type: grant.granteeType, ID: grant.grantee },
      Permission: grant.permission,
    })),
  };
}

/** Grants compared as a set: S3 does not promise their order. */
export function sameAcl(a: BucketAcl, b: BucketAcl): boolean {
  const key = (acl: BucketAcl) => acl.grants.map((g) => `${g.granteeType}|${g.grantee}|${g.permission}`).sort().join("\n");
  return a.ownerId === b.ownerId && key(a) === key(b);
}

export async function bucketPolicy(bucketName: string, ctx: TaskContext): Promise<string | undefined> {
  const result = await noneOn(["NoSuchBucketPolicy"], aws(`GetBucketPolicy ${bucketName}`, () => ctx.aws(S3Client).send(new GetBucketPolicyCommand({ Bucket: bucketName }))));
  return result?.Policy || undefined;
}

/** S3's own judgement of the policy, which weighs conditions better than any parse of ours. */
export async function policyIsPublic(bucketName: string, ctx: TaskContext): Promise<boolean> {
  const result = await noneOn(["NoSuchBucketPolicy"], aws(`GetBucketPolicyStatus ${bucketName}`, () => ctx.aws(S3Client).send(new GetBucketPolicyStatusCommand({ Bucket: bucketName }))));
  return result?.PolicyStatus?.IsPublic === true;
}

export function toPublicAccessBlock(config: PublicAccessBlockConfiguration): PublicAccessBlock {
  return {
    blockPublicAcls: config.BlockPublicAcls === true,
    ignorePublicAcls: config.IgnorePublicAcls === true,
    blockPublicPolicy: config.BlockPublicPolicy === true,
    restrictPublicBuckets: config.RestrictPublicBuckets === true,
  };
}

export function fromPublicAccessBlock(block: PublicAccessBlock): PublicAccessBlockConfiguration {
  return {
    BlockPublicAcls: block.blockPublicAcls,
    IgnorePublicAcls: block.ignorePublicAcls,
    BlockPublicPolicy: block.blockPublicPolicy,
    RestrictPublicBuckets: block.restrictPublicBuckets,
  };
}

export const samePublicAccessBlock = (a: PublicAccessBlock | null, b: PublicAccessBlock | null): boolean =>
  a === null || b === null ? a === b : a.blockPublicAcls === b.blockPublicAcls && a.ignorePublicAcls === b.ignorePublicAcls && a.blockPublicPolicy === b.blockPublicPolicy && a.restrictPublicBuckets === b.restrictPublicBuckets;

/** Null when the bucket has no block of its own. */
export async function bucketPublicAccessBlock(bucketName: string, ctx: TaskContext): Promise<PublicAccessBlock | null> {
  const result = await noneOn(
    ["NoSuchPublicAccessBlockConfiguration"],
    aws(`GetPublicAccessBlock ${bucketName}`, () => ctx.aws(S3Client).send(new GetPublicAccessBlockCommand({ Bucket: bucketName }))),
  );
  return result?.PublicAccessBlockConfiguration ? toPublicAccessBlock(result.PublicAccessBlockConfiguration) : null;
}

/** Undefined for buckets created before ownership controls existed (they behave as ObjectWriter). */
export async function objectOwnership(bucketName: string, ctx: TaskContext): Promise<ObjectOwnership | undefined> {
  const result = await noneOn(
    ["OwnershipControlsNotFoundError"],
    aws(`GetBucketOwnershipControls ${bucketName}`, () => ctx.aws(S3Client).send(new GetBucketOwnershipControlsCommand({ Bucket: bucketName }))),
  );
  const value = result?.OwnershipControls?.Rules?.[0]?.ObjectOwnership;
  return value === "BucketOwnerEnforced" || value === "BucketOwnerPreferred" || value === "ObjectWriter" ? value : undefined;
}
