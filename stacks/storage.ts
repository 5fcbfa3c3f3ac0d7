import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "./context.js";
import { deployedName } from "./names.js";

export const ALERT_AUDIENCES = ["responders", "owner", "security-lead"] as const;
export type AlertAudience = (typeof ALERT_AUDIENCES)[number];

export interface Storage {
  readonly incidents: aws.dynamodb.Table;
  readonly approvals: aws.dynamodb.Table;
  /** The step journal: every task writes it, so it is apart from the incident records (stacks/iam.ts STEP_JOURNAL_GRANT). */
  readonly steps: aws.dynamodb.Table;
  readonly auditBucket: aws.s3.Bucket;
  /** Name of the evidence bucket: the configured one or the one created here. */
  readonly evidenceBucketName: pulumi.Output<string>;
  readonly approvalsTopic: aws.sns.Topic;
  /** Topic ARN by audience: the configured one or one created here. */
  readonly alertTopics: Readonly<Record<AlertAudience, pulumi.Output<string>>>;
}

/**
 * The incident, approvals and steps tables share the key shape the stores use (`pk`, `sk`,
 * strings; functions/detect/dynamodb-incident-store.ts, functions/runtime/dynamodb-step-journal.ts)
 * and `expiresAt` (epoch seconds) as TTL: the dedupe claims carry it, records without it stay.
 */
function table(ctx: StackContext, key: string): aws.dynamodb.Table {
  return new aws.dynamodb.Table(
    `${key}-table`,
    {
      name: deployedName(ctx.stage, key, 255),
      billingMode: "PAY_PER_REQUEST",
      hashKey: "pk",
      rangeKey: "sk",
      attributes: [
        { name: "pk", type: "S" },
        { name: "sk", type: "S" },
      ],
      pointInTimeRecovery: { enabled: true },
      ttl: { attributeName: "expiresAt", enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: ctx.production,
      tags: ctx.tags,
    },
    { retainOnDelete: ctx.production },
  );
}

/**
 * Versioned, SSE-S3 (so writers need no KMS grant), no public access, TLS only. An Object Lock
 * bucket is always retained on teardown: its locked versions could not be deleted anyway.
 */
function protectedBucket(ctx: StackContext, key: string, objectLock: boolean): aws.s3.Bucket {
  const bucket = new aws.s3.Bucket(
    `${key}-bucket`,
    { bucketPrefix: `${deployedName(ctx.stage, key, 37)}-`, objectLockEnabled: objectLock, tags: ctx.tags },
    { retainOnDelete: objectLock || ctx.production },
  );
  new aws.s3.BucketVersioning(`${key}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } });
  new aws.s3.BucketServerSideEncryptionConfiguration(`${key}-encryption`, {
    bucket: bucket.id,
    rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
  });
  new aws.s3.BucketPublicAccessBlock(`${key}-public-access`, {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  new aws.s3.BucketOwnershipControls(`${key}-ownership`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } });
  new aws.s3.BucketPolicy(`${key}-policy`, {
    bucket: bucket.id,
    policy: pulumi.jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "DenyInsecureTransport",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:*",
          Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
      ],
    }),
  });
  return bucket;
}

/** KMS-encrypted with the account's SNS key: publishers need no KMS grant of their own. */
function topic(ctx: StackContext, key: string): aws.sns.Topic {
  return new aws.sns.Topic(`${key}-topic`, { name: deployedName(ctx.stage, key, 256), kmsMasterKeyId: "alias/aws/sns", tags: ctx.tags });
}

export function createStorage(ctx: StackContext): Storage {
  const incidents = table(ctx, "incidents");
  const approvals = table(ctx, "approvals");
  const steps = table(ctx, "steps");

  const auditBucket = protectedBucket(ctx, "audit", true);
  new aws.s3.BucketObjectLockConfiguration("audit-object-lock", {
    bucket: auditBucket.id,
    objectLockEnabled: "Enabled",
    rule: { defaultRetention: { mode: ctx.config.audit.objectLockMode, days: ctx.config.audit.retentionDays } },
  });

  const evidenceBucketName = ctx.config.evidenceBucket !== undefined ? pulumi.output(ctx.config.evidenceBucket) : protectedBucket(ctx, "evidence", false).bucket;

  const approvalsTopic = topic(ctx, "approvals");
  const alertTopics = Object.fromEntries(
    ALERT_AUDIENCES.map((audience) => [audience, ctx.config.topics[audience] !== undefined ? pulumi.output(ctx.config.topics[audience]) : topic(ctx, audience).arn]),
  ) as Record<AlertAudience, pulumi.Output<string>>;

  return { incidents, approvals, steps, auditBucket, evidenceBucketName, approvalsTopic, alertTopics };
}
