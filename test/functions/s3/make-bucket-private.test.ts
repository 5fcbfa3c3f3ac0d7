import {
  DeleteBucketPolicyCommand,
  GetBucketAclCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetBucketTaggingCommand,
  PutBucketAclCommand,
  PutBucketPolicyCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "../../../functions/contract/digest.js";
import contract from "../../../functions/s3/make-bucket-private.contract.js";
import task from "../../../functions/s3/make-bucket-private.js";
import { isPublicStatement } from "../../../functions/s3/public-policy.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";
import {
  aclResponse,
  ALL_USERS,
  AUTHENTICATED_USERS,
  BUCKET,
  CLOUDFRONT_STATEMENT,
  DENY_INSECURE_STATEMENT,
  groupGrant,
  LOG_DELIVERY,
  OWNER_ID,
  ownerGrant,
  policyOf,
  PUBLIC_READ_STATEMENT,
} from "./s3-fixtures.js";

const s3 = mockClient(S3Client);
const mutations = () => s3.commandCalls(PutBucketAclCommand).length + s3.commandCalls(PutBucketPolicyCommand).length + s3.commandCalls(DeleteBucketPolicyCommand).length;

const VPCE_STATEMENT = {
  Sid: "AllowFromVpce",
  Effect: "Allow",
  Principal: "*",
  Action: "s3:GetObject",
  Resource: `arn:aws:s3:::${BUCKET}/*`,
  Condition: { StringEquals: { "aws:SourceVpce": "vpce-0123456789abcdef0" } },
};

/** A bucket as S3 would describe it; every read the task makes is answered. */
function bucket(options: { grants?: Parameters<typeof aclResponse>; policy?: string; policyPublic?: boolean; ownership?: string; tags?: Record<string, string> }) {
  if (options.tags) s3.on(GetBucketTaggingCommand).resolves({ TagSet: Object.entries(options.tags).map(([Key, Value]) => ({ Key, Value })) });
  else s3.on(GetBucketTaggingCommand).rejects(awsError("NoSuchTagSet", 404));
  if (options.ownership) s3.on(GetBucketOwnershipControlsCommand).resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: options.ownership as "ObjectWriter" }] } });
  else s3.on(GetBucketOwnershipControlsCommand).rejects(awsError("OwnershipControlsNotFoundError", 404));
  s3.on(GetBucketAclCommand).resolves(aclResponse(...(options.grants ?? [ownerGrant])));
  if (options.policy) s3.on(GetBucketPolicyCommand).resolves({ Policy: options.policy });
  else s3.on(GetBucketPolicyCommand).rejects(awsError("NoSuchBucketPolicy", 404));
  s3.on(GetBucketPolicyStatusCommand).resolves({ PolicyStatus: { IsPublic: options.policyPublic ?? false } });
  s3.on(PutBucketAclCommand).resolves({});
  s3.on(PutBucketPolicyCommand).resolves({});
  s3.on(DeleteBucketPolicyCommand).resolves({});
}

describe("s3.make-bucket-private", () => {
  beforeEach(() => s3.reset());
  afterEach(() => expectCallsDeclared(contract, { S3Client: s3 }));

  it("plans the grants and statements it would remove without changing anything", async () => {
    bucket({ grants: [ownerGrant, groupGrant(ALL_USERS, "READ")], policy: policyOf(PUBLIC_READ_STATEMENT, DENY_INSECURE_STATEMENT), policyPublic: true });
    const plan = await harness(task).plan({ bucketName: BUCKET });
    expect(plan.changes).toBe(2);
    expect(plan.summary).toMatch(/remove 1 public ACL grant.*remove 1 public policy statement/);
    expect(mutations()).toBe(0);
  });

  it("removes only the public grants and statements, keeping log delivery, Deny rules and pinned statements", async () => {
    const policy = policyOf(PUBLIC_READ_STATEMENT, DENY_INSECURE_STATEMENT, CLOUDFRONT_STATEMENT, VPCE_STATEMENT);
    const grants = [ownerGrant, groupGrant(ALL_USERS, "READ"), groupGrant(AUTHENTICATED_USERS, "WRITE"), groupGrant(LOG_DELIVERY, "WRITE")];
    bucket({ grants, policy, policyPublic: true });
    const h = harness(task);
    const output = await h.run({ bucketName: BUCKET });

    const previousAcl = {
      ownerId: OWNER_ID,
      grants: [
        { granteeType: "CanonicalUser", grantee: OWNER_ID, permission: "FULL_CONTROL" },
        { granteeType: "Group", grantee: ALL_USERS, permission: "READ" },
        { granteeType: "Group", grantee: AUTHENTICATED_USERS, permission: "WRITE" },
        { granteeType: "Group", grantee: LOG_DELIVERY, permission: "WRITE" },
      ],
    };
    expect(output).toEqual({ bucketName: BUCKET, previousAcl, previousPolicy: policy, removedStatements: 1, policyDeleted: false });
    expect(s3.commandCalls(PutBucketAclCommand)[0]!.args[0].input).toEqual({
      Bucket: BUCKET,
      AccessControlPolicy: {
        Owner: { ID: OWNER_ID },
        Grants: [
          { Grantee: { Type: "CanonicalUser", ID: OWNER_ID }, Permission: "FULL_CONTROL" },
          { Grantee: { Type: "Group", URI: LOG_DELIVERY }, Permission: "WRITE" },
        ],
      },
    });
    const put = s3.commandCalls(PutBucketPolicyCommand)[0]!.args[0].input;
    expect(put.Bucket).toBe(BUCKET);
    expect(JSON.parse(put.Policy!)).toEqual({ Version: "2012-10-17", Id: "acme-assets", Statement: [DENY_INSECURE_STATEMENT, CLOUDFRONT_STATEMENT, VPCE_STATEMENT] });
    expect(s3.commandCalls(DeleteBucketPolicyCommand)).toHaveLength(0);

    const [record] = h.journal.all().filter((r) => r.mode === "run");
    expect(record!.changes).toEqual([
      { resource: BUCKET, action: "PutBucketAcl", before: previousAcl, after: { ownerId: OWNER_ID, grants: [previousAcl.grants[0], previousAcl.grants[3]] } },
      { resource: BUCKET, action: "PutBucketPolicy", before: policy, after: put.Policy },
    ]);
    expect(record!.undo).toEqual({ task: "s3.restore-bucket-access", input: { bucketName: BUCKET, acl: previousAcl, policy } });
    expect(record!.evidence).toEqual([
      expect.objectContaining({ kind: "s3-bucket-configuration", sha256: sha256Hex(canonicalJson({ bucketName: BUCKET, acl: previousAcl, policy })) }),
    ]);
  });

  it("uses the canned private ACL when only the owner remains, and deletes a policy left empty", async () => {
    bucket({ grants: [ownerGrant, groupGrant(ALL_USERS, "READ")], policy: policyOf(PUBLIC_READ_STATEMENT), policyPublic: true });
    const h = harness(task);
    const output = await h.run({ bucketName: BUCKET });
    expect(output).toMatchObject({ removedStatements: 1, policyDeleted: true });
    expect(s3.commandCalls(PutBucketAclCommand)[0]!.args[0].input).toEqual({ Bucket: BUCKET, ACL: "private" });
    expect(s3.commandCalls(DeleteBucketPolicyCommand)[0]!.args[0].input).toEqual({ Bucket: BUCKET });
    expect(s3.commandCalls(PutBucketPolicyCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.changes[1]).toMatchObject({ action: "DeleteBucketPolicy", after: null });
  });

  it("runs once per incident and step", async () => {
    bucket({ grants: [ownerGrant, groupGrant(ALL_USERS, "READ")] });
    const h = harness(task);
    const first = await h.run({ bucketName: BUCKET });
    expect(await h.run({ bucketName: BUCKET })).toEqual(first);
    expect(s3.commandCalls(PutBucketAclCommand)).toHaveLength(1);
    expect(s3.commandCalls(GetBucketAclCommand)).toHaveLength(1);
  });

  it("changes nothing, and says so, on a bucket that is already private", async () => {
    bucket({ grants: [ownerGrant, groupGrant(LOG_DELIVERY, "WRITE")], policy: policyOf(DENY_INSECURE_STATEMENT, CLOUDFRONT_STATEMENT) });
    const h = harness(task);
    // The executor fills absent output fields with null, so the state machine always finds them.
    expect(await h.run({ bucketName: BUCKET })).toEqual({ bucketName: BUCKET, previousAcl: null, previousPolicy: null, removedStatements: 0, policyDeleted: false });
    expect(mutations()).toBe(0);
    const [record] = h.journal.all();
    expect(record!.summary).toMatch(/already private/);
    expect(record!.changes).toEqual([]);
    expect(record!.undo).toBeUndefined();
  });

  it("leaves the ACL alone when ACLs are disabled (BucketOwnerEnforced), and says so", async () => {
    bucket({ grants: [ownerGrant, groupGrant(ALL_USERS, "READ")], ownership: "BucketOwnerEnforced", policy: policyOf(PUBLIC_READ_STATEMENT), policyPublic: true });
    const h = harness(task);
    const output = await h.run({ bucketName: BUCKET });
    expect(output).toMatchObject({ previousAcl: null, previousPolicy: policyOf(PUBLIC_READ_STATEMENT), policyDeleted: true });
    expect(s3.commandCalls(PutBucketAclCommand)).toHaveLength(0);
    expect(s3.commandCalls(DeleteBucketPolicyCommand)).toHaveLength(1);
    expect(h.journal.all()[0]!.summary).toMatch(/ACLs are disabled \(BucketOwnerEnforced\)/);
  });

  it("flags a policy S3 judges public that no rule of ours matches, instead of guessing", async () => {
    const odd = { Effect: "Allow", Principal: { AWS: "arn:aws:iam::*:root" }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${BUCKET}/*` };
    bucket({ policy: policyOf(odd), policyPublic: true });
    const h = harness(task);
    await h.run({ bucketName: BUCKET });
    expect(mutations()).toBe(0);
    expect(h.journal.all()[0]!.summary).toMatch(/S3 still judges the policy public.*review/);
  });

  it("maps throttling to Transient", async () => {
    bucket({});
    s3.on(GetBucketAclCommand).rejects(awsError("SlowDown", 503));
    await expect(harness(task).run({ bucketName: BUCKET })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing bucket as NotFound with its name", async () => {
    s3.on(GetBucketTaggingCommand).rejects(awsError("NoSuchBucket", 404));
    await expect(harness(task).run({ bucketName: BUCKET })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(BUCKET) });
    expect(mutations()).toBe(0);
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ bucketName: "Bad_Bucket; rm -rf /" })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ bucketName: "xn--bucket" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(s3.calls()).toHaveLength(0);
  });

  it("refuses a bucket tagged exempt unless the step allows it", async () => {
    bucket({ grants: [ownerGrant, groupGrant(ALL_USERS, "READ")], tags: { "irflow:exempt": "true" } });
    await expect(harness(task).run({ bucketName: BUCKET })).rejects.toMatchObject({ name: "PreconditionFailed" });
    await expect(harness(task).plan({ bucketName: BUCKET })).rejects.toMatchObject({ name: "PreconditionFailed" });
    expect(mutations()).toBe(0);
    await expect(harness(task).run({ bucketName: BUCKET }, { allowExempt: true })).resolves.toMatchObject({ bucketName: BUCKET });
    expect(s3.commandCalls(PutBucketAclCommand)).toHaveLength(1);
  });
});

describe("which policy statements are public", () => {
  const allowAll = { Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" };
  it.each([
    ["Principal *", allowAll, true],
    ["Principal {AWS: *}", { ...allowAll, Principal: { AWS: "*" } }, true],
    ["Principal {AWS: [*]}", { ...allowAll, Principal: { AWS: ["arn:aws:iam::123456789012:root", "*"] } }, true],
    ["NotPrincipal", { Effect: "Allow", NotPrincipal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "s3:GetObject", Resource: "*" }, true],
    ["a Deny", { ...allowAll, Effect: "Deny" }, false],
    ["one account", { ...allowAll, Principal: { AWS: "arn:aws:iam::123456789012:root" } }, false],
    ["a service principal", { ...allowAll, Principal: { Service: "logging.s3.amazonaws.com" } }, false],
    ["pinned to a VPC endpoint", { ...allowAll, Condition: { StringEquals: { "aws:SourceVpce": "vpce-1a2b3c4d" } } }, false],
    ["pinned to an IP range", { ...allowAll, Condition: { IpAddress: { "aws:SourceIp": ["192.0.2.0/24"] } } }, false],
    ["pinned to the organisation", { ...allowAll, Condition: { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } } }, false],
    ["pinned to a source ARN, key in any case", { ...allowAll, Condition: { ArnLike: { "AWS:SOURCEARN": "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE" } } }, false],
    ["pinned to a source account", { ...allowAll, Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } }, false],
    ["'restricted' to the whole internet", { ...allowAll, Condition: { IpAddress: { "aws:SourceIp": "0.0.0.0/0" } } }, true],
    ["a wildcard organisation", { ...allowAll, Condition: { StringLike: { "aws:PrincipalOrgID": "o-*" } } }, true],
    ["a negated condition", { ...allowAll, Condition: { StringNotEquals: { "aws:SourceVpce": "vpce-1a2b3c4d" } } }, true],
    ["an IfExists condition", { ...allowAll, Condition: { StringEqualsIfExists: { "aws:SourceVpce": "vpce-1a2b3c4d" } } }, true],
    ["a condition on something else (TLS)", { ...allowAll, Condition: { Bool: { "aws:SecureTransport": "true" } } }, true],
  ])("%s", (_what, statement, isPublic) => {
    expect(isPublicStatement(statement)).toBe(isPublic);
  });
});
