import {
  GetBucketAclCommand,
  GetBucketOwnershipControlsCommand,
  GetBucketPolicyCommand,
  GetBucketPolicyStatusCommand,
  GetPublicAccessBlockCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { GetPublicAccessBlockCommand as GetAccountPublicAccessBlockCommand, S3ControlClient } from "@aws-sdk/client-s3-control";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { canonicalJson, sha256Hex } from "../../../functions/contract/digest.js";
import contract from "../../../functions/s3/describe-bucket-access.contract.js";
import task from "../../../functions/s3/describe-bucket-access.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness, INCIDENT_ID } from "../../support/task-harness.js";
import { aclResponse, ALL_USERS, BUCKET, groupGrant, OWNER_ID, ownerGrant, policyOf, PUBLIC_READ_STATEMENT } from "./s3-fixtures.js";

const s3 = mockClient(S3Client);
const control = mockClient(S3ControlClient);
const EVIDENCE_BUCKET = "irflow-evidence-123456789012";

function bucket(options: { grants?: Parameters<typeof aclResponse>; policy?: string; policyPublic?: boolean; block?: object; ownership?: string }) {
  if (options.ownership) s3.on(GetBucketOwnershipControlsCommand).resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: options.ownership as "ObjectWriter" }] } });
  else s3.on(GetBucketOwnershipControlsCommand).rejects(awsError("OwnershipControlsNotFoundError", 404));
  s3.on(GetBucketAclCommand).resolves(aclResponse(...(options.grants ?? [ownerGrant])));
  if (options.policy) s3.on(GetBucketPolicyCommand).resolves({ Policy: options.policy });
  else s3.on(GetBucketPolicyCommand).rejects(awsError("NoSuchBucketPolicy", 404));
  s3.on(GetBucketPolicyStatusCommand).resolves({ PolicyStatus: { IsPublic: options.policyPublic ?? false } });
  if (options.block) s3.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: options.block });
  else s3.on(GetPublicAccessBlockCommand).rejects(awsError("NoSuchPublicAccessBlockConfiguration", 404));
  s3.on(PutObjectCommand).resolves({});
}

const PUBLIC_ACL = { ownerId: OWNER_ID, grants: [{ granteeType: "CanonicalUser", grantee: OWNER_ID, permission: "FULL_CONTROL" }, { granteeType: "Group", grantee: ALL_USERS, permission: "READ" }] };

describe("s3.describe-bucket-access", () => {
  beforeEach(() => {
    s3.reset();
    control.reset();
  });
  afterEach(() => expectCallsDeclared(contract, { S3Client: s3, S3ControlClient: control }));

  it("reports a bucket with a public ACL and policy and no block as public", async () => {
    bucket({ grants: [ownerGrant, groupGrant(ALL_USERS, "READ")], policy: policyOf(PUBLIC_READ_STATEMENT), policyPublic: true, ownership: "ObjectWriter" });
    const output = await harness(task).run({ bucketName: BUCKET });
    expect(output).toEqual({
      bucketName: BUCKET,
      objectOwnership: "ObjectWriter",
      acl: PUBLIC_ACL,
      aclPublic: true,
      policyPresent: true,
      policyPublic: true,
      publicAccessBlock: null,
      accountPublicAccessBlock: null,
      isPublic: true,
    });
    expect(s3.commandCalls(GetBucketPolicyStatusCommand)[0]!.args[0].input).toEqual({ Bucket: BUCKET });
    expect(control.calls()).toHaveLength(0);
  });

  describe("the account-level Block Public Access", () => {
    const ACCOUNT = "123456789012";
    const blocks = (acls: boolean, policy: boolean) => ({ PublicAccessBlockConfiguration: { BlockPublicAcls: acls, IgnorePublicAcls: acls, BlockPublicPolicy: policy, RestrictPublicBuckets: policy } });

    it("reads it with the account id and counts it: a bucket is public only if neither block neutralises it", async () => {
      bucket({ grants: [ownerGrant, groupGrant(ALL_USERS, "READ")], policy: policyOf(PUBLIC_READ_STATEMENT), policyPublic: true, ownership: "ObjectWriter" });
      control.on(GetAccountPublicAccessBlockCommand).resolves(blocks(true, true));
      const h = harness(task);
      const output = await h.run({ bucketName: BUCKET, accountId: ACCOUNT });
      expect(control.commandCalls(GetAccountPublicAccessBlockCommand).map((c) => c.args[0].input)).toEqual([{ AccountId: ACCOUNT }]);
      expect(output).toMatchObject({ aclPublic: true, policyPublic: true, accountPublicAccessBlock: { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true }, isPublic: false });
      expect(h.journal.all()[0]!.summary).toContain("account's public-access block neutralises it");
    });

    it("an account block that covers only ACLs leaves a public policy public", async () => {
      bucket({ grants: [ownerGrant, groupGrant(ALL_USERS, "READ")], policy: policyOf(PUBLIC_READ_STATEMENT), policyPublic: true, ownership: "ObjectWriter" });
      control.on(GetAccountPublicAccessBlockCommand).resolves(blocks(true, false));
      await expect(harness(task).run({ bucketName: BUCKET, accountId: ACCOUNT })).resolves.toMatchObject({ isPublic: true });
    });

    it("an account without a block answers NoSuchPublicAccessBlockConfiguration: reported as null", async () => {
      bucket({ grants: [ownerGrant, groupGrant(ALL_USERS, "READ")], policy: policyOf(PUBLIC_READ_STATEMENT), policyPublic: true });
      control.on(GetAccountPublicAccessBlockCommand).rejects(awsError("NoSuchPublicAccessBlockConfiguration", 404));
      await expect(harness(task).run({ bucketName: BUCKET, accountId: ACCOUNT })).resolves.toMatchObject({ accountPublicAccessBlock: null, isPublic: true });
    });

    it("maps throttling to Transient and a denied call to Forbidden", async () => {
      bucket({ grants: [ownerGrant], policyPublic: false });
      control.on(GetAccountPublicAccessBlockCommand).rejects(awsError("SlowDown", 503));
      await expect(harness(task).run({ bucketName: BUCKET, accountId: ACCOUNT })).rejects.toMatchObject({ name: "Transient" });
      control.reset();
      control.on(GetAccountPublicAccessBlockCommand).rejects(awsError("AccessDenied", 403));
      await expect(harness(task).run({ bucketName: BUCKET, accountId: ACCOUNT }, { stepId: "detect/denied" })).rejects.toMatchObject({ name: "Forbidden" });
    });

    it("refuses a malformed account id before any call", async () => {
      await expect(harness(task).run({ bucketName: BUCKET, accountId: "12345; rm -rf /" })).rejects.toMatchObject({ name: "InvalidInput" });
      expect(control.calls()).toHaveLength(0);
      expect(s3.calls()).toHaveLength(0);
    });
  });

  it("stores the configuration it read as evidence, content-addressed and hashed", async () => {
    bucket({ grants: [ownerGrant, groupGrant(ALL_USERS, "READ")], policy: policyOf(PUBLIC_READ_STATEMENT), policyPublic: true });
    const h = harness(task);
    await h.run({ bucketName: BUCKET });
    const put = s3.commandCalls(PutObjectCommand)[0]!.args[0].input;
    const body = put.Body as string;
    const sha256 = sha256Hex(body);
    expect(JSON.parse(body)).toEqual({
      bucketName: BUCKET,
      objectOwnership: null,
      acl: PUBLIC_ACL,
      policy: JSON.parse(policyOf(PUBLIC_READ_STATEMENT)) as unknown,
      policyPublic: true,
      publicAccessBlock: null,
    });
    expect(body).toBe(canonicalJson(JSON.parse(body)));
    expect(put).toMatchObject({ Bucket: EVIDENCE_BUCKET, Key: `incidents/${INCIDENT_ID}/contain/test-step/s3-bucket-configuration/${BUCKET}/${sha256}.json`, ContentType: "application/json" });
    expect(put.ChecksumSHA256).toBe(Buffer.from(sha256, "hex").toString("base64"));
    expect(h.journal.all()[0]!.evidence).toEqual([
      { kind: "s3-bucket-configuration", location: `s3://${EVIDENCE_BUCKET}/${put.Key}`, sha256, sizeBytes: Buffer.byteLength(body), description: expect.stringContaining(BUCKET) },
    ]);
    expect(h.journal.all()[0]!.changes).toEqual([]);
  });

  it("counts a public ACL and policy neutralised by the bucket's block as not public", async () => {
    bucket({
      grants: [ownerGrant, groupGrant(ALL_USERS, "READ")],
      policy: policyOf(PUBLIC_READ_STATEMENT),
      policyPublic: true,
      block: { BlockPublicAcls: false, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: true },
    });
    const h = harness(task);
    expect(await h.run({ bucketName: BUCKET })).toMatchObject({
      aclPublic: true,
      policyPublic: true,
      publicAccessBlock: { blockPublicAcls: false, ignorePublicAcls: true, blockPublicPolicy: false, restrictPublicBuckets: true },
      isPublic: false,
    });
    expect(h.journal.all()[0]!.summary).toMatch(/neutralises/);
  });

  it("does not ask for a policy status without a policy, and ignores ACL grants once ACLs are disabled", async () => {
    bucket({ grants: [ownerGrant, groupGrant(ALL_USERS, "READ")], ownership: "BucketOwnerEnforced" });
    expect(await harness(task).run({ bucketName: BUCKET })).toMatchObject({ objectOwnership: "BucketOwnerEnforced", aclPublic: false, policyPresent: false, policyPublic: false, isPublic: false });
    expect(s3.commandCalls(GetBucketPolicyStatusCommand)).toHaveLength(0);
  });

  it("records the hash only, and warns, when no evidence bucket is configured", async () => {
    bucket({});
    const h = harness(task, { evidenceBucket: undefined });
    await h.run({ bucketName: BUCKET });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.evidence[0]).toMatchObject({ kind: "s3-bucket-configuration", location: `s3://${BUCKET}`, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(h.logs.some((l) => l.level === "warn")).toBe(true);
  });

  it("runs once per incident and step; another step writes the same evidence object again", async () => {
    bucket({});
    const h = harness(task);
    const first = await h.run({ bucketName: BUCKET });
    expect(await h.run({ bucketName: BUCKET })).toEqual(first);
    expect(s3.commandCalls(GetBucketAclCommand)).toHaveLength(1);
    await h.run({ bucketName: BUCKET }, { stepId: "detect/record-again" });
    const [a, b] = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(a!.Body).toBe(b!.Body);
    expect(b!.Key).toContain(sha256Hex(a!.Body as string));
  });

  it("maps throttling to Transient", async () => {
    bucket({});
    s3.on(GetBucketOwnershipControlsCommand).rejects(awsError("SlowDown", 503));
    await expect(harness(task).run({ bucketName: BUCKET })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing bucket as NotFound with its name", async () => {
    bucket({});
    s3.on(GetBucketAclCommand).rejects(awsError("NoSuchBucket", 404));
    await expect(harness(task).run({ bucketName: BUCKET })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(BUCKET) });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ bucketName: "UPPER" })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ bucketName: "bucket\u200b" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(s3.calls()).toHaveLength(0);
  });
});
