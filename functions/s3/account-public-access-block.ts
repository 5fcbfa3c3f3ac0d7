import { GetPublicAccessBlockCommand, S3ControlClient } from "@aws-sdk/client-s3-control";
import { awsErrorCode, classifyAwsError } from "../contract/aws-errors.js";
import type { TaskContext } from "../contract/task.js";
import type { PublicAccessBlock } from "./bucket-access.js";

/**
 * The account-level Block Public Access (S3 Control), which applies on top of every bucket's own:
 * null when the account has none configured. A bucket is effectively public only when neither the
 * account's nor the bucket's block neutralises its public ACL or policy.
 */
export async function accountPublicAccessBlock(accountId: string, ctx: Pick<TaskContext, "aws">): Promise<PublicAccessBlock | null> {
  try {
    const result = await ctx.aws(S3ControlClient).send(new GetPublicAccessBlockCommand({ AccountId: accountId }));
    const c = result.PublicAccessBlockConfiguration ?? {};
    return { blockPublicAcls: c.BlockPublicAcls ?? false, ignorePublicAcls: c.IgnorePublicAcls ?? false, blockPublicPolicy: c.BlockPublicPolicy ?? false, restrictPublicBuckets: c.RestrictPublicBuckets ?? false };
  } catch (error) {
    if (awsErrorCode(error) === "NoSuchPublicAccessBlockConfiguration") return null;
    throw classifyAwsError(error, `GetPublicAccessBlock (account ${accountId})`);
  }
}

/** Whether a public ACL or policy still applies once the bucket's and the account's blocks are taken into account. */
export function effectivelyPublic(exposure: { aclPublic: boolean; policyPublic: boolean }, bucket: PublicAccessBlock | undefined | null, account: PublicAccessBlock | undefined | null): boolean {
  const ignoreAcls = Boolean(bucket?.ignorePublicAcls || account?.ignorePublicAcls);
  const restrict = Boolean(bucket?.restrictPublicBuckets || account?.restrictPublicBuckets);
  return (exposure.aclPublic && !ignoreAcls) || (exposure.policyPublic && !restrict);
}
