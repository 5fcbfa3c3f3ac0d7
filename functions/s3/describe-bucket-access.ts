import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { aws } from "../contract/aws-errors.js";
import type { Evidence } from "../contract/changes.js";
import { canonicalJson, sha256Hex } from "../contract/digest.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import { aclIsPublic, bucketAcl, bucketPolicy, bucketPublicAccessBlock, objectOwnership, policyIsPublic } from "./bucket-access.js";
import { accountPublicAccessBlock, effectivelyPublic } from "./account-public-access-block.js";
import contract from "./describe-bucket-access.contract.js";

function parsedPolicy(policy: string | undefined): unknown {
  if (policy === undefined) return null;
  try {
    return JSON.parse(policy) as unknown;
  } catch {
    return policy;
  }
}

/**
 * The configuration as read, hashed, and (when the deployment has an evidence bucket) stored under
 * a content-addressed key: a repeat after a partial failure writes the same object again.
 */
async function recordEvidence(bucketName: string, configuration: unknown, ctx: TaskContext): Promise<Evidence> {
  const body = canonicalJson(configuration);
  const sha256 = sha256Hex(body);
  const target = ctx.config.evidenceBucket;
  if (!target) {
    ctx.log.warn("no evidence bucket configured; the bucket configuration is recorded by its hash only", { bucketName });
    return { kind: "s3-bucket-configuration", location: `s3://${bucketName}`, sha256, sizeBytes: Buffer.byteLength(body), description: `access configuration of ${bucketName}; not stored (no evidence bucket configured), the hash identifies what was read` };
  }
  const key = `incidents/${ctx.incidentId || "no-incident"}/${ctx.stepId}/s3-bucket-configuration/${bucketName}/${sha256}.json`;
  await aws(`PutObject s3://${target}/${key}`, () =>
    ctx.aws(S3Client).send(
      // S3 checks the body against ChecksumSHA256 and refuses a mismatch.
      new PutObjectCommand({ Bucket: target, Key: key, Body: body, ContentType: "application/json", ChecksumSHA256: Buffer.from(sha256, "hex").toString("base64") }),
    ),
  );
  return { kind: "s3-bucket-configuration", location: `s3://${target}/${key}`, sha256, sizeBytes: Buffer.byteLength(body), description: `ACL, policy, policy status, public-access block and object ownership of ${bucketName} (canonical JSON)` };
}

export default implementTask(contract, {
  async run({ bucketName, accountId }, ctx) {
    const ownership = await objectOwnership(bucketName, ctx);
    const acl = await bucketAcl(bucketName, ctx);
    const policy = await bucketPolicy(bucketName, ctx);
    const policyPublic = policy !== undefined && (await policyIsPublic(bucketName, ctx));
    const block = await bucketPublicAccessBlock(bucketName, ctx);
    // Grants left in an ACL stop applying once ownership is BucketOwnerEnforced.
    const aclPublic = ownership !== "BucketOwnerEnforced" && aclIsPublic(acl);
    const account = accountId === undefined ? undefined : await accountPublicAccessBlock(accountId, ctx);
    if (accountId === undefined) ctx.log.warn("no account id: the account-level Block Public Access is not read", { bucketName });
    const isPublic = effectivelyPublic({ aclPublic, policyPublic }, block, account);
    const evidence = await recordEvidence(bucketName, { bucketName, objectOwnership: ownership ?? null, acl, policy: parsedPolicy(policy), policyPublic, publicAccessBlock: block, ...(account !== undefined ? { accountPublicAccessBlock: account } : {}) }, ctx);
    const exposure = [aclPublic ? "public ACL" : undefined, policyPublic ? "public policy" : undefined].filter(Boolean).join(" and ");
    return {
      output: {
        bucketName,
        ...(ownership ? { objectOwnership: ownership } : {}),
        acl,
        aclPublic,
        policyPresent: policy !== undefined,
        policyPublic,
        ...(block ? { publicAccessBlock: block } : {}),
        ...(account !== undefined ? { accountPublicAccessBlock: account } : {}),
        isPublic,
      },
      changes: [],
      evidence: [evidence],
      summary: isPublic
        ? `${bucketName} is public (${exposure})${account === undefined ? "; account-level block not read" : account === null ? "; the account has no public-access block" : ""}`
        : exposure
          ? `${bucketName} has a ${exposure} but the ${effectivelyPublic({ aclPublic, policyPublic }, block, null) ? "account's" : "bucket's"} public-access block neutralises it`
          : `${bucketName} is not public`,
    };
  },
});
