import { DeleteBucketPolicyCommand, PutBucketAclCommand, PutBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import { aws } from "../contract/aws-errors.js";
import type { Change, Evidence } from "../contract/changes.js";
import { canonicalJson, sha256Hex } from "../contract/digest.js";
import { assertNotExempt } from "../contract/guards.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import {
  accessControlPolicy,
  aclIsPublic,
  bucketAcl,
  bucketPolicy,
  bucketTags,
  isPublicGrant,
  objectOwnership,
  policyIsPublic,
  type BucketAcl,
} from "./bucket-access.js";
import contract from "./make-bucket-private.contract.js";
import { withoutPublicStatements } from "./public-policy.js";

interface Assessment {
  readonly aclsDisabled: boolean;
  readonly acl: BucketAcl;
  /** The ACL without its public grants, when it had any and ACLs are in force. */
  readonly privateAcl?: BucketAcl;
  readonly policy?: string;
  /** What the policy becomes: a string to put, null to delete it; undefined leaves it alone. */
  readonly newPolicy?: string | null;
  readonly removedStatements: number;
  /** S3 judges the policy public, yet no statement is public by our rules: left for a human. */
  readonly policyNeedsReview: boolean;
  readonly changes: Change[];
}

async function assess(bucketName: string, ctx: TaskContext): Promise<Assessment> {
  assertNotExempt(bucketName, await bucketTags(bucketName, ctx), ctx);
  // With BucketOwnerEnforced, ACLs no longer grant anything and PutBucketAcl is refused.
  const aclsDisabled = (await objectOwnership(bucketName, ctx)) === "BucketOwnerEnforced";
  const acl = await bucketAcl(bucketName, ctx);
  const policy = await bucketPolicy(bucketName, ctx);
  const split = policy === undefined ? undefined : withoutPublicStatements(policy, bucketName);
  const removedStatements = split?.removed.length ?? 0;
  const policyNeedsReview = policy !== undefined && removedStatements === 0 && (await policyIsPublic(bucketName, ctx));
  const changes: Change[] = [];
  // Only the public grants go: log-delivery and cross-account grants are not public, and dropping
  // them would silently stop server access logging into this bucket.
  const privateAcl = !aclsDisabled && aclIsPublic(acl) ? { ownerId: acl.ownerId, grants: acl.grants.filter((g) => !isPublicGrant(g)) } : undefined;
  if (privateAcl) changes.push({ resource: bucketName, action: "PutBucketAcl", before: acl, after: privateAcl });
  const newPolicy = removedStatements > 0 ? split!.remaining : undefined;
  if (newPolicy !== undefined) changes.push({ resource: bucketName, action: newPolicy === null ? "DeleteBucketPolicy" : "PutBucketPolicy", before: policy, after: newPolicy });
  return { aclsDisabled, acl, ...(privateAcl ? { privateAcl } : {}), ...(policy !== undefined ? { policy } : {}), ...(newPolicy !== undefined ? { newPolicy } : {}), removedStatements, policyNeedsReview, changes };
}

/** The canned `private` ACL is exactly "owner, full control"; anything else kept needs the full list. */
function putAclInput(bucketName: string, acl: BucketAcl) {
  const ownerOnly = acl.grants.every((g) => g.granteeType === "CanonicalUser" && g.grantee === acl.ownerId && g.permission === "FULL_CONTROL");
  return ownerOnly ? { Bucket: bucketName, ACL: "private" as const } : { Bucket: bucketName, AccessControlPolicy: accessControlPolicy(acl) };
}

function describeOutcome(bucketName: string, a: Assessment, done: boolean): string {
  const parts: string[] = [];
  if (a.privateAcl) parts.push(`${done ? "removed" : "remove"} ${a.acl.grants.length - a.privateAcl.grants.length} public ACL grant(s)`);
  if (a.newPolicy !== undefined) parts.push(`${done ? "removed" : "remove"} ${a.removedStatements} public policy statement(s)${a.newPolicy === null ? ", deleting the policy" : ""}`);
  const notes = [
    ...(a.aclsDisabled ? ["ACLs are disabled (BucketOwnerEnforced), ACL left as is"] : []),
    ...(a.policyNeedsReview ? ["S3 still judges the policy public but no statement matched irflow's rules: a responder must review it"] : []),
  ];
  const head = parts.length === 0 ? `${bucketName} ${done ? "was" : "is"} already private: no public ACL grants or policy statements` : `${bucketName}: ${parts.join("; ")}`;
  return [head, ...notes].join("; ");
}

function previousConfiguration(bucketName: string, a: Assessment): Evidence {
  const before = { bucketName, acl: a.acl, policy: a.policy ?? null };
  const sha256 = sha256Hex(canonicalJson(before));
  return {
    kind: "s3-bucket-configuration",
    location: `s3://${bucketName}`,
    sha256,
    description: `ACL and policy of ${bucketName} before irflow made it private, recorded in full as this step's changes (before); sha256 of their canonical JSON`,
  };
}

export default implementTask(contract, {
  async plan({ bucketName }, ctx) {
    const a = await assess(bucketName, ctx);
    return { changes: a.changes, summary: describeOutcome(bucketName, a, false) };
  },

  async run({ bucketName }, ctx) {
    const a = await assess(bucketName, ctx);
    const s3 = ctx.aws(S3Client);
    if (a.privateAcl) {
      const privateAcl = a.privateAcl;
      await aws(`PutBucketAcl ${bucketName}`, () => s3.send(new PutBucketAclCommand(putAclInput(bucketName, privateAcl))));
    }
    if (typeof a.newPolicy === "string") {
      const policy = a.newPolicy;
      await aws(`PutBucketPolicy ${bucketName}`, () => s3.send(new PutBucketPolicyCommand({ Bucket: bucketName, Policy: policy })));
    } else if (a.newPolicy === null) {
      await aws(`DeleteBucketPolicy ${bucketName}`, () => s3.send(new DeleteBucketPolicyCommand({ Bucket: bucketName })));
    }
    const changed = a.changes.length > 0;
    return {
      output: {
        bucketName,
        ...(a.privateAcl ? { previousAcl: a.acl } : {}),
        ...(a.newPolicy !== undefined && a.policy !== undefined ? { previousPolicy: a.policy } : {}),
        removedStatements: a.removedStatements,
        policyDeleted: a.newPolicy === null,
      },
      changes: a.changes,
      ...(changed ? { evidence: [previousConfiguration(bucketName, a)] } : {}),
      ...(changed
        ? {
            undo: {
              task: "s3.restore-bucket-access",
              input: { bucketName, ...(a.privateAcl ? { acl: a.acl } : {}), ...(a.newPolicy !== undefined ? { policy: a.policy } : {}) },
            },
          }
        : {}),
      summary: describeOutcome(bucketName, a, true),
    };
  },
});
