import {
  DeleteBucketPolicyCommand,
  DeletePublicAccessBlockCommand,
  GetBucketAclCommand,
  GetBucketPolicyCommand,
  GetPublicAccessBlockCommand,
  PutBucketAclCommand,
  PutBucketPolicyCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/s3/restore-bucket-access.contract.js";
import task from "../../../functions/s3/restore-bucket-access.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import type { TaskContext } from "../../../functions/contract/task.js";
import { awsError, harness, INCIDENT_ID } from "../../support/task-harness.js";
import { aclResponse, ALL_USERS, BUCKET, DENY_INSECURE_STATEMENT, groupGrant, OWNER_ID, ownerGrant, policyOf, PUBLIC_READ_STATEMENT } from "./s3-fixtures.js";

const s3 = mockClient(S3Client);
const MUTATIONS = ["PutPublicAccessBlockCommand", "DeletePublicAccessBlockCommand", "PutBucketAclCommand", "PutBucketPolicyCommand", "DeleteBucketPolicyCommand"];
const mutationOrder = () => s3.calls().map((c) => (c.args[0] as object).constructor.name).filter((name) => MUTATIONS.includes(name));

const RECORDED_ACL = {
  ownerId: OWNER_ID,
  grants: [
    { granteeType: "CanonicalUser", grantee: OWNER_ID, permission: "FULL_CONTROL" },
    { granteeType: "Group", grantee: ALL_USERS, permission: "READ" },
  ],
};
const RECORDED_POLICY = policyOf(PUBLIC_READ_STATEMENT, DENY_INSECURE_STATEMENT);
const RECORDED_BLOCK = { blockPublicAcls: false, ignorePublicAcls: false, blockPublicPolicy: false, restrictPublicBuckets: false };
const ALL_ON = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };

/** The bucket as irflow left it: all blocked, owner-only ACL, only the Deny statement. */
function closedBucket() {
  s3.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: ALL_ON });
  s3.on(GetBucketAclCommand).resolves(aclResponse(ownerGrant));
  s3.on(GetBucketPolicyCommand).resolves({ Policy: policyOf(DENY_INSECURE_STATEMENT) });
  s3.on(PutPublicAccessBlockCommand).resolves({});
  s3.on(DeletePublicAccessBlockCommand).resolves({});
  s3.on(PutBucketAclCommand).resolves({});
  s3.on(PutBucketPolicyCommand).resolves({});
  s3.on(DeleteBucketPolicyCommand).resolves({});
}

describe("s3.restore-bucket-access", () => {
  beforeEach(() => s3.reset());
  afterEach(() => expectCallsDeclared(contract, { S3Client: s3 }));

  it("plans each setting it would put back without changing anything", async () => {
    closedBucket();
    const plan = await harness(task).plan({ bucketName: BUCKET, acl: RECORDED_ACL, policy: RECORDED_POLICY, publicAccessBlock: RECORDED_BLOCK });
    expect(plan.changes).toBe(3);
    expect(mutationOrder()).toEqual([]);
  });

  it("puts back the block first, then the ACL, then the policy, exactly as recorded", async () => {
    closedBucket();
    const h = harness(task);
    const output = await h.run({ bucketName: BUCKET, acl: RECORDED_ACL, policy: RECORDED_POLICY, publicAccessBlock: RECORDED_BLOCK });
    expect(output).toEqual({ bucketName: BUCKET, restored: ["public-access-block", "acl", "policy"] });
    expect(mutationOrder()).toEqual(["PutPublicAccessBlockCommand", "PutBucketAclCommand", "PutBucketPolicyCommand"]);
    expect(s3.commandCalls(PutPublicAccessBlockCommand)[0]!.args[0].input).toEqual({
      Bucket: BUCKET,
      PublicAccessBlockConfiguration: { BlockPublicAcls: false, IgnorePublicAcls: false, BlockPublicPolicy: false, RestrictPublicBuckets: false },
    });
    expect(s3.commandCalls(PutBucketAclCommand)[0]!.args[0].input).toEqual({
      Bucket: BUCKET,
      AccessControlPolicy: { Owner: { ID: OWNER_ID }, Grants: [{ Grantee: { Type: "CanonicalUser", ID: OWNER_ID }, Permission: "FULL_CONTROL" }, { Grantee: { Type: "Group", URI: ALL_USERS }, Permission: "READ" }] },
    });
    expect(s3.commandCalls(PutBucketPolicyCommand)[0]!.args[0].input).toEqual({ Bucket: BUCKET, Policy: RECORDED_POLICY });
    const [record] = h.journal.all().filter((r) => r.mode === "run");
    expect(record!.changes.map((c) => [c.action, c.after])).toEqual([
      ["PutPublicAccessBlock", RECORDED_BLOCK],
      ["PutBucketAcl", RECORDED_ACL],
      ["PutBucketPolicy", RECORDED_POLICY],
    ]);
    expect(record!.changes[1]!.before).toEqual({ ownerId: OWNER_ID, grants: [RECORDED_ACL.grants[0]] });
    expect(record!.undo).toEqual({ task: "s3.make-bucket-private", input: { bucketName: BUCKET } });
  });

  it("deletes the block and the policy when the record says there were none", async () => {
    closedBucket();
    const h = harness(task);
    expect(await h.run({ bucketName: BUCKET, deletePolicy: true, deletePublicAccessBlock: true })).toEqual({ bucketName: BUCKET, restored: ["public-access-block", "policy"] });
    expect(mutationOrder()).toEqual(["DeletePublicAccessBlockCommand", "DeleteBucketPolicyCommand"]);
    expect(s3.commandCalls(DeleteBucketPolicyCommand)[0]!.args[0].input).toEqual({ Bucket: BUCKET });
    expect(h.journal.all()[0]!.changes.map((c) => c.after)).toEqual([null, null]);
  });

  it("treats null as delete when called directly, as the contract documents", async () => {
    closedBucket();
    const { ports } = harness(task);
    const ctx: TaskContext = { ...ports, incidentId: INCIDENT_ID, executionId: "local", runbookId: "test-runbook", stepId: "recover/restore", allowExempt: false, maxChanges: 10 };
    const result = await task.run({ bucketName: BUCKET, policy: null, publicAccessBlock: null }, ctx);
    expect(result.output.restored).toEqual(["public-access-block", "policy"]);
  });

  it("enable-block-public-access's undo for a bucket without a block survives the executor and deletes the block", async () => {
    closedBucket();
    const undoInput = { bucketName: BUCKET, deletePublicAccessBlock: true };
    expect(await harness(task).run(undoInput)).toEqual({ bucketName: BUCKET, restored: ["public-access-block"] });
    expect(mutationOrder()).toEqual(["DeletePublicAccessBlockCommand"]);
  });

  it("gives no undo when it only put back a block (enable-block-public-access closes that)", async () => {
    closedBucket();
    const h = harness(task);
    await h.run({ bucketName: BUCKET, publicAccessBlock: RECORDED_BLOCK });
    expect(h.journal.all()[0]!.undo).toBeUndefined();
  });

  it("runs once per incident and step", async () => {
    closedBucket();
    const h = harness(task);
    const first = await h.run({ bucketName: BUCKET, acl: RECORDED_ACL });
    expect(await h.run({ bucketName: BUCKET, acl: RECORDED_ACL })).toEqual(first);
    expect(s3.commandCalls(PutBucketAclCommand)).toHaveLength(1);
  });

  it("changes nothing, and says so, when the bucket already matches the record (grant order and policy whitespace aside)", async () => {
    s3.on(GetPublicAccessBlockCommand).rejects(awsError("NoSuchPublicAccessBlockConfiguration", 404));
    s3.on(GetBucketAclCommand).resolves(aclResponse(groupGrant(ALL_USERS, "READ"), ownerGrant));
    s3.on(GetBucketPolicyCommand).resolves({ Policy: JSON.stringify(JSON.parse(RECORDED_POLICY), null, 2) });
    const h = harness(task);
    expect(await h.run({ bucketName: BUCKET, acl: RECORDED_ACL, policy: RECORDED_POLICY, deletePublicAccessBlock: true })).toEqual({ bucketName: BUCKET, restored: [] });
    expect(mutationOrder()).toEqual([]);
    expect(h.journal.all()[0]!.summary).toMatch(/already had the recorded public-access-block, acl, policy; nothing changed/);
    expect(h.journal.all()[0]!.undo).toBeUndefined();
  });

  it("reports an account-level block refusing the policy as Forbidden", async () => {
    closedBucket();
    s3.on(PutBucketPolicyCommand).rejects(awsError("AccessDenied", 403));
    await expect(harness(task).run({ bucketName: BUCKET, policy: RECORDED_POLICY })).rejects.toMatchObject({ name: "Forbidden" });
  });

  it("maps throttling to Transient", async () => {
    closedBucket();
    s3.on(GetBucketAclCommand).rejects(awsError("SlowDown", 503));
    await expect(harness(task).run({ bucketName: BUCKET, acl: RECORDED_ACL })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing bucket as NotFound with its name", async () => {
    s3.on(GetBucketPolicyCommand).rejects(awsError("NoSuchBucket", 404));
    await expect(harness(task).run({ bucketName: BUCKET, policy: RECORDED_POLICY })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(BUCKET) });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ bucketName: BUCKET })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ bucketName: BUCKET, acl: { ownerId: "not-a-canonical-id", grants: [] } })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ bucketName: BUCKET, policy: "x".repeat(20_481) })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ bucketName: BUCKET, policy: RECORDED_POLICY, deletePolicy: true })).rejects.toMatchObject({ name: "InvalidInput" });
    // A null is "absent" to the executor: alone it restores nothing, so it is refused.
    await expect(harness(task).run({ bucketName: BUCKET, policy: null })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(s3.calls()).toHaveLength(0);
  });
});
