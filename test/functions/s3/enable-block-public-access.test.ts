import { GetBucketTaggingCommand, GetPublicAccessBlockCommand, PutPublicAccessBlockCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/s3/enable-block-public-access.contract.js";
import task from "../../../functions/s3/enable-block-public-access.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";
import { BUCKET } from "./s3-fixtures.js";

const s3 = mockClient(S3Client);
const ALL_ON = { blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true };
const PARTIAL = { BlockPublicAcls: true, IgnorePublicAcls: false, BlockPublicPolicy: true, RestrictPublicBuckets: false };

function bucket(block: object | undefined, tags?: Record<string, string>) {
  if (tags) s3.on(GetBucketTaggingCommand).resolves({ TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) });
  else s3.on(GetBucketTaggingCommand).rejects(awsError("NoSuchTagSet", 404));
  if (block) s3.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: block });
  else s3.on(GetPublicAccessBlockCommand).rejects(awsError("NoSuchPublicAccessBlockConfiguration", 404));
  s3.on(PutPublicAccessBlockCommand).resolves({});
}

describe("s3.enable-block-public-access", () => {
  beforeEach(() => s3.reset());
  afterEach(() => expectCallsDeclared(contract, { S3Client: s3 }));

  it("plans from the current block without changing it", async () => {
    bucket(PARTIAL);
    const plan = await harness(task).plan({ bucketName: BUCKET });
    expect(plan.changes).toBe(1);
    expect(plan.summary).toMatch(/now: blockPublicAcls, blockPublicPolicy/);
    expect(s3.commandCalls(PutPublicAccessBlockCommand)).toHaveLength(0);
  });

  it("turns on all four settings, recording the previous ones and an exact undo", async () => {
    bucket(PARTIAL);
    const h = harness(task);
    const previous = { blockPublicAcls: true, ignorePublicAcls: false, blockPublicPolicy: true, restrictPublicBuckets: false };
    expect(await h.run({ bucketName: BUCKET })).toEqual({ bucketName: BUCKET, previousPublicAccessBlock: previous });
    expect(s3.commandCalls(PutPublicAccessBlockCommand)[0]!.args[0].input).toEqual({
      Bucket: BUCKET,
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true },
    });
    const [record] = h.journal.all().filter((r) => r.mode === "run");
    expect(record!.changes).toEqual([{ resource: BUCKET, action: "PutPublicAccessBlock", before: previous, after: ALL_ON }]);
    expect(record!.undo).toEqual({ task: "s3.restore-bucket-access", input: { bucketName: BUCKET, publicAccessBlock: previous } });
  });

  it("records a bucket without a block of its own as null, and an undo that deletes the block again", async () => {
    bucket(undefined);
    const h = harness(task);
    expect(await h.run({ bucketName: BUCKET })).toEqual({ bucketName: BUCKET, previousPublicAccessBlock: null });
    expect(h.journal.all()[0]!.undo).toEqual({ task: "s3.restore-bucket-access", input: { bucketName: BUCKET, deletePublicAccessBlock: true } });
    expect(h.journal.all()[0]!.changes[0]).toMatchObject({ before: null, after: ALL_ON });
  });

  it("runs once per incident and step", async () => {
    bucket(PARTIAL);
    const h = harness(task);
    const first = await h.run({ bucketName: BUCKET });
    expect(await h.run({ bucketName: BUCKET })).toEqual(first);
    expect(s3.commandCalls(PutPublicAccessBlockCommand)).toHaveLength(1);
  });

  it("changes nothing, and says so, when all four are already on", async () => {
    bucket({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    const h = harness(task);
    expect(await h.run({ bucketName: BUCKET })).toEqual({ bucketName: BUCKET, previousPublicAccessBlock: ALL_ON });
    expect(s3.commandCalls(PutPublicAccessBlockCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.summary).toMatch(/already/);
    expect(h.journal.all()[0]!.undo).toBeUndefined();
  });

  it("maps throttling to Transient", async () => {
    bucket(PARTIAL);
    s3.on(PutPublicAccessBlockCommand).rejects(awsError("SlowDown", 503));
    await expect(harness(task).run({ bucketName: BUCKET })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing bucket as NotFound with its name", async () => {
    s3.on(GetBucketTaggingCommand).rejects(awsError("NoSuchBucket", 404));
    await expect(harness(task).run({ bucketName: BUCKET })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(BUCKET) });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ bucketName: "a".repeat(64) })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({})).rejects.toMatchObject({ name: "InvalidInput" });
    expect(s3.calls()).toHaveLength(0);
  });

  it("refuses a bucket tagged critical unless the step allows it", async () => {
    bucket(PARTIAL, { "irflow:criticality": "critical" });
    await expect(harness(task).run({ bucketName: BUCKET })).rejects.toMatchObject({ name: "PreconditionFailed" });
    expect(s3.commandCalls(PutPublicAccessBlockCommand)).toHaveLength(0);
    await expect(harness(task).run({ bucketName: BUCKET }, { allowExempt: true })).resolves.toMatchObject({ bucketName: BUCKET });
  });
});
