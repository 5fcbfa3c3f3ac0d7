import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { GetObjectCommand, type GetObjectCommandOutput, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DescribeInstanceInformationCommand, GetCommandInvocationCommand, ListCommandsCommand, SendCommandCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import contract from "../../../functions/ec2/capture-memory.contract.js";
import task from "../../../functions/ec2/capture-memory.js";
import { executeTask } from "../../../functions/runtime/execute-task.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness, INCIDENT_ID, NOW } from "../../support/task-harness.js";

const ssm = mockClient(SSMClient);
const s3 = mockClient(S3Client);
const ec2 = mockClient(EC2Client);
const INSTANCE = "i-0123456789abcdef0";
const COMMAND = "0b5e2f3a-1111-4222-8333-444455556666";
const BUCKET = "irflow-evidence-123456789012";
const KEY = `${INCIDENT_ID}/${INSTANCE}/memory-20261124T120000Z.lime`;
const MEMORY = Buffer.from("LiME memory image bytes");
const SHA = createHash("sha256").update(MEMORY).digest("hex");
const END = "2026-11-24T12:09:30.125Z";

function instance(state = "running", tags: Record<string, string> = {}) {
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [{ Instances: [{ InstanceId: INSTANCE, State: { Name: state as "running" }, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] }],
  });
}

function body(data: Buffer): GetObjectCommandOutput["Body"] {
  return Object.assign(Readable.from([data]), {
    transformToByteArray: () => Promise.resolve(new Uint8Array(data)),
    transformToString: () => Promise.resolve(data.toString()),
    transformToWebStream: () => {
      throw new Error("not used");
    },
  });
}

/** An instance that SSM manages, a capture that takes a few polls, and the object it uploaded. */
function healthy() {
  instance();
  ssm.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [{ InstanceId: INSTANCE, PingStatus: "Online", PlatformType: "Linux" }] });
  ssm.on(ListCommandsCommand).resolves({ Commands: [] });
  ssm.on(SendCommandCommand).resolves({ Command: { CommandId: COMMAND, RequestedDateTime: NOW, Status: "Pending" } });
  ssm
    .on(GetCommandInvocationCommand)
    .rejectsOnce(awsError("InvocationDoesNotExist"))
    .resolvesOnce({ Status: "InProgress" })
    .resolves({ Status: "Success", ResponseCode: 0, ExecutionEndDateTime: END });
  s3.on(HeadObjectCommand).resolves({ ContentLength: MEMORY.length, ChecksumSHA256: Buffer.from(SHA, "hex").toString("base64"), ChecksumType: "FULL_OBJECT", VersionId: "v1" });
}

/** The command as ListCommands shows it once it was sent (with the comment and parameters it was sent with). */
function listed(status: string, commandId = COMMAND) {
  const sent = ssm.commandCalls(SendCommandCommand).at(-1)!.args[0].input;
  return { CommandId: commandId, Comment: sent.Comment, DocumentName: sent.DocumentName, Parameters: sent.Parameters, RequestedDateTime: NOW, Status: status as "Success" };
}

const sends = () => ssm.commandCalls(SendCommandCommand);

describe("ec2.capture-memory", () => {
  beforeEach(() => {
    ssm.reset();
    s3.reset();
    ec2.reset();
    // Presigning is local, but it needs credentials to sign with.
    vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    vi.stubEnv("AWS_SESSION_TOKEN", "");
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    expectCallsDeclared(contract, { SSMClient: ssm, S3Client: s3, EC2Client: ec2 });
  });

  it("runs the deployment's document with a presigned PUT for one key, waits with backoff, and records the S3 checksum as evidence", async () => {
    healthy();
    const h = harness(task, { memoryCaptureDocument: "acme-lime-capture" });
    const output = await h.run({ instanceId: INSTANCE });
    expect(output).toEqual({ instanceId: INSTANCE, commandId: COMMAND, bucket: BUCKET, key: KEY, sha256: SHA, sizeBytes: MEMORY.length, completedAt: END });

    const sent = sends()[0]!.args[0].input;
    expect(sent).toMatchObject({ InstanceIds: [INSTANCE], DocumentName: "acme-lime-capture", TimeoutSeconds: 300 });
    expect(sent.Comment).toContain(INCIDENT_ID);
    expect(sent.Comment!.length).toBeLessThanOrEqual(100);
    expect(sent.Parameters!.evidenceLocation).toEqual([`s3://${BUCKET}/${KEY}`]);
    expect(sent.Parameters!.executionTimeout).toEqual(["1800"]);
    const url = new URL(sent.Parameters!.uploadUrl![0]!);
    expect(url.hostname).toBe(`${BUCKET}.s3.us-east-1.amazonaws.com`);
    expect(decodeURIComponent(url.pathname)).toBe(`/${KEY}`);
    expect(url.searchParams.get("X-Amz-Expires")).toBe("2100");
    expect(url.searchParams.get("X-Amz-SignedHeaders")).toBe("host");
    // A checksum of the empty body in the URL would make S3 refuse the real upload.
    expect([...url.searchParams.keys()].filter((k) => k.toLowerCase().includes("checksum"))).toEqual([]);

    expect(ssm.commandCalls(DescribeInstanceInformationCommand)[0]!.args[0].input).toEqual({ Filters: [{ Key: "InstanceIds", Values: [INSTANCE] }] });
    expect(ssm.commandCalls(ListCommandsCommand)[0]!.args[0].input).toMatchObject({ InstanceId: INSTANCE, Filters: [{ key: "DocumentName", value: "acme-lime-capture" }] });
    expect(h.sleeps).toEqual([5_000, 7_500]);
    expect(s3.commandCalls(HeadObjectCommand)[0]!.args[0].input).toEqual({ Bucket: BUCKET, Key: KEY, ChecksumMode: "ENABLED" });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);

    const record = h.journal.all().find((r) => r.mode === "run")!;
    expect(record.changes).toEqual([]);
    expect(record.evidence).toEqual([
      { kind: "ec2-instance-memory", location: `s3://${BUCKET}/${KEY}?versionId=v1`, sha256: SHA, sizeBytes: MEMORY.length, description: expect.stringContaining(COMMAND) as string },
    ]);
  });

  it("hashes the stored object itself when S3 holds no full-object SHA-256 for it", async () => {
    healthy();
    s3.on(HeadObjectCommand).resolves({ ContentLength: MEMORY.length, ChecksumCRC64NVME: "AAAAAAAAAAA=", ChecksumType: "FULL_OBJECT", VersionId: "v7" });
    s3.on(GetObjectCommand).resolves({ Body: body(MEMORY) });
    const h = harness(task);
    await expect(h.run({ instanceId: INSTANCE })).resolves.toMatchObject({ sha256: SHA, sizeBytes: MEMORY.length });
    expect(s3.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({ Bucket: BUCKET, Key: KEY, VersionId: "v7" });
    expect(h.journal.all()[0]!.evidence[0]!.description).toMatch(/irflow reading the stored object/);
  });

  it("does not take a multipart (composite) checksum for the file's SHA-256", async () => {
    healthy();
    s3.on(HeadObjectCommand).resolves({ ContentLength: MEMORY.length, ChecksumSHA256: `${Buffer.from(SHA, "hex").toString("base64")}-3`, ChecksumType: "COMPOSITE" });
    s3.on(GetObjectCommand).resolves({ Body: body(MEMORY) });
    await expect(harness(task).run({ instanceId: INSTANCE })).resolves.toMatchObject({ sha256: SHA });
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(1);
  });

  it("fails the capture when the object changed while it was read", async () => {
    healthy();
    s3.on(HeadObjectCommand).resolves({ ContentLength: MEMORY.length + 10 });
    s3.on(GetObjectCommand).resolves({ Body: body(MEMORY) });
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "changed" });
  });

  it("refuses an instance that Systems Manager does not manage, or whose agent is offline, before sending anything", async () => {
    healthy();
    ssm.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [] });
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "ssm-unmanaged", message: expect.stringContaining(INSTANCE) });
    ssm.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [{ InstanceId: INSTANCE, PingStatus: "ConnectionLost" }] });
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "ssm-offline" });
    expect(sends()).toHaveLength(0);
  });

  it("reports a missing instance as NotFound with its id, and refuses a stopped one", async () => {
    healthy();
    ec2.on(DescribeInstancesCommand).rejects(awsError("InvalidInstanceID.NotFound", 400, `The instance ID '${INSTANCE}' does not exist`));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(INSTANCE) });
    instance("stopped");
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "state" });
    expect(sends()).toHaveLength(0);
  });

  it("reports a capture whose object never arrived as NotFound with its key", async () => {
    healthy();
    s3.on(HeadObjectCommand).rejects(awsError("NotFound", 404));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(KEY) });
  });

  it("refuses an instance tagged exempt unless the step allows it", async () => {
    healthy();
    instance("running", { "irflow:exempt": "true" });
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "exempt" });
    expect(sends()).toHaveLength(0);
    await expect(harness(task).run({ instanceId: INSTANCE }, { allowExempt: true })).resolves.toMatchObject({ commandId: COMMAND });
  });

  it("reports a failed capture with SSM's detail, and a new run of the step starts a fresh one", async () => {
    healthy();
    ssm.on(GetCommandInvocationCommand).resolves({ Status: "Failed", StatusDetails: "Failed", ResponseCode: 2, StandardErrorContent: "insmod: ERROR: could not insert module lime.ko\n" });
    const h = harness(task);
    await expect(h.run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed", message: expect.stringContaining("could not insert module") });
    ssm.on(ListCommandsCommand).resolves({ Commands: [listed("Failed")] });
    ssm.on(GetCommandInvocationCommand).resolves({ Status: "Success", ExecutionEndDateTime: END });
    await expect(h.run({ instanceId: INSTANCE })).resolves.toMatchObject({ commandId: COMMAND });
    expect(sends()).toHaveLength(2);
  });

  it("fails Transient when the capture outlasts the invocation, and the retry resumes the same command", async () => {
    healthy();
    ssm.on(GetCommandInvocationCommand).resolves({ Status: "InProgress" });
    const h = harness(task);
    const controller = new AbortController();
    const envelope = {
      mode: "run",
      input: { instanceId: INSTANCE },
      context: { incidentId: INCIDENT_ID, executionId: "exec-1", runbookId: "test-runbook", stepId: "contain/test-step", task: contract.name },
    };
    const ending = {
      ...h.ports,
      signal: controller.signal,
      sleep: () => {
        controller.abort(new Error("Lambda deadline"));
        return Promise.reject(new Error("aborted"));
      },
    };
    await expect(executeTask(task, envelope, ending)).rejects.toMatchObject({ name: "Transient", message: expect.stringContaining(COMMAND) });
    expect(sends()).toHaveLength(1);

    ssm.on(ListCommandsCommand).resolves({ Commands: [listed("InProgress")] });
    ssm.on(GetCommandInvocationCommand).resolvesOnce({ Status: "InProgress" }).resolves({ Status: "Success", ExecutionEndDateTime: END });
    const output = await h.run({ instanceId: INSTANCE });
    expect(output).toMatchObject({ commandId: COMMAND, key: KEY, sha256: SHA });
    expect(sends()).toHaveLength(1);
    expect(h.journal.all().find((r) => r.mode === "run")!.summary).toMatch(/resumed command/);
  });

  it("stops waiting as Transient once the invocation's signal has fired, even between sleeps", async () => {
    healthy();
    ssm.on(GetCommandInvocationCommand).resolves({ Status: "InProgress" });
    const h = harness(task);
    const controller = new AbortController();
    const envelope = {
      mode: "run",
      input: { instanceId: INSTANCE },
      context: { incidentId: INCIDENT_ID, executionId: "exec-1", runbookId: "test-runbook", stepId: "contain/test-step", task: contract.name },
    };
    const sleep = () => {
      controller.abort(new Error("Lambda deadline"));
      return Promise.resolve();
    };
    await expect(executeTask(task, envelope, { ...h.ports, signal: controller.signal, sleep })).rejects.toMatchObject({ name: "Transient", detail: "still-running" });
    expect(ssm.commandCalls(GetCommandInvocationCommand)).toHaveLength(2);
  });

  it("gives up, bounded by timeoutSeconds, when the command never finishes", async () => {
    healthy();
    ssm.on(GetCommandInvocationCommand).resolves({ Status: "InProgress" });
    const h = harness(task);
    await expect(h.run({ instanceId: INSTANCE, timeoutSeconds: 60 })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "timeout" });
    const waited = h.sleeps.reduce((a, b) => a + b, 0);
    expect(waited).toBeGreaterThanOrEqual((60 + 300) * 1000);
    expect(waited).toBeLessThan((60 + 300) * 1000 + 30_000);
    expect(Math.max(...h.sleeps)).toBe(30_000);
  });

  it("runs once per incident and step: a repeat returns the recorded result without calling AWS", async () => {
    healthy();
    const h = harness(task);
    const first = await h.run({ instanceId: INSTANCE });
    const calls = ssm.calls().length + s3.calls().length + ec2.calls().length;
    expect(await h.run({ instanceId: INSTANCE })).toEqual(first);
    expect(ssm.calls().length + s3.calls().length + ec2.calls().length).toBe(calls);
  });

  it("maps throttling to Transient", async () => {
    healthy();
    ssm.on(ListCommandsCommand).rejects(awsError("ThrottlingException", 400));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "Transient" });
  });

  it("refuses bad input before any AWS call", async () => {
    const h = harness(task);
    await expect(h.run({ instanceId: "i-123; rm -rf /" })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(h.run({ instanceId: INSTANCE, timeoutSeconds: 10 })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(h.run({ instanceId: INSTANCE, evidenceBucket: "Not_A_Bucket" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(ssm.calls().length + s3.calls().length + ec2.calls().length).toBe(0);
  });

  it("needs an evidence bucket, from the step or the deployment", async () => {
    healthy();
    await expect(harness(task, { evidenceBucket: undefined }).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "evidenceBucket" });
    expect(sends()).toHaveLength(0);
    await expect(harness(task, { evidenceBucket: undefined }).run({ instanceId: INSTANCE, evidenceBucket: "other-evidence-bucket" })).resolves.toMatchObject({ bucket: "other-evidence-bucket" });
  });
});
