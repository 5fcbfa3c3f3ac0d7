import { createHash } from "node:crypto";
import { DescribeInstancesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { GetObjectCommand, HeadObjectCommand, type HeadObjectCommandOutput, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  type Command,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
} from "@aws-sdk/client-ssm";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type * as z from "zod";
import { aws, awsErrorCode, classifyAwsError } from "../contract/aws-errors.js";
import { sha256Hex } from "../contract/digest.js";
import { notFound, preconditionFailed, transient } from "../contract/errors.js";
import { assertNotExempt } from "../contract/guards.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import contract from "./capture-memory.contract.js";

type Input = z.output<typeof contract.input>;

/** How long SSM may wait for the agent to pick the command up; the capture's own limit is input.timeoutSeconds. */
const DELIVERY_TIMEOUT_SECONDS = 300;
const FIRST_POLL_MS = 5_000;
const MAX_POLL_MS = 30_000;
const LIST_PAGES = 10;
const ENDED_BADLY = new Set(["Failed", "Cancelled", "Cancelling", "TimedOut"]);

/** One capture: the SSM command and the object it uploads. */
interface Capture {
  readonly commandId: string;
  readonly instanceId: string;
  readonly bucket: string;
  readonly key: string;
  readonly requestedAt: Date;
  readonly resumed: boolean;
}

/**
 * The command's comment names the incident and step, so a retry finds the capture it started
 * instead of starting another (SSM commands cannot be tagged; the comment holds 100 characters).
 */
function commentFor(ctx: TaskContext): string {
  const step = sha256Hex(`${ctx.incidentId}#${ctx.stepId}#${ctx.item ?? ""}`).slice(0, 16);
  return `irflow ${ctx.incidentId || "-"} ${step}`;
}

function locationOf(command: Command): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(command.Parameters?.evidenceLocation?.[0] ?? "");
  return match ? { bucket: match[1]!, key: match[2]! } : undefined;
}

async function findCapture(instanceId: string, ctx: TaskContext): Promise<Capture | undefined> {
  const comment = commentFor(ctx);
  const ours: Command[] = [];
  let token: string | undefined;
  for (let page = 0; page < LIST_PAGES; page += 1) {
    let result;
    try {
      result = await ctx.aws(SSMClient).send(
        new ListCommandsCommand({ InstanceId: instanceId, Filters: [{ key: "DocumentName", value: ctx.config.memoryCaptureDocument }], MaxResults: 50, ...(token ? { NextToken: token } : {}) }),
      );
    } catch (error) {
      // SSM refuses to list commands for an instance it does not manage: there is nothing to resume, and the checks below say why.
      if (awsErrorCode(error) === "InvalidInstanceId") return undefined;
      throw classifyAwsError(error, `ListCommands ${instanceId}`);
    }
    ours.push(...(result.Commands ?? []).filter((c) => c.Comment === comment && c.CommandId && locationOf(c)));
    token = result.NextToken;
    if (!token) break;
  }
  // A capture that failed is not resumed: running the step again is the way to try once more.
  const live = ours.filter((c) => !ENDED_BADLY.has(c.Status ?? "")).sort((a, b) => (b.RequestedDateTime?.getTime() ?? 0) - (a.RequestedDateTime?.getTime() ?? 0))[0];
  if (!live) return undefined;
  return { commandId: live.CommandId!, instanceId, ...locationOf(live)!, requestedAt: live.RequestedDateTime ?? ctx.clock.now(), resumed: true };
}

async function assertCapturable(instanceId: string, ctx: TaskContext): Promise<void> {
  const described = await aws(`DescribeInstances ${instanceId}`, () => ctx.aws(EC2Client).send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })));
  const instance = described.Reservations?.[0]?.Instances?.[0];
  if (!instance) throw notFound(`instance ${instanceId} does not exist`, instanceId);
  // A capture loads a module into the kernel of a live system: on one its owners marked exempt, that is their call.
  assertNotExempt(instanceId, instance.Tags, ctx);
  const state = instance.State?.Name ?? "unknown";
  if (state !== "running") throw preconditionFailed(`instance ${instanceId} is ${state}: there is no running memory to capture`, "state");
  const info = await aws(`DescribeInstanceInformation ${instanceId}`, () =>
    ctx.aws(SSMClient).send(new DescribeInstanceInformationCommand({ Filters: [{ Key: "InstanceIds", Values: [instanceId] }] })),
  );
  const managed = info.InstanceInformationList?.find((i) => i.InstanceId === instanceId);
  if (!managed) throw preconditionFailed(`instance ${instanceId} is not managed by Systems Manager (no SSM agent registered), so its memory cannot be captured remotely`, "ssm-unmanaged");
  if (managed.PingStatus !== "Online") {
    throw preconditionFailed(`the SSM agent of ${instanceId} is ${managed.PingStatus ?? "unknown"}: it needs a path to the Systems Manager endpoints (and working credentials) from its quarantine`, "ssm-offline");
  }
}

/**
 * A PUT URL for exactly one key, so the compromised instance never holds credentials for the
 * evidence bucket. The signing client asks for checksums only when required: by default the SDK
 * signs a CRC32 of the empty body into a presigned PUT, and S3 would refuse the real upload.
 */
async function presignPut(bucket: string, key: string, expiresIn: number, ctx: TaskContext): Promise<string> {
  const base = ctx.aws(S3Client);
  const signer = new S3Client({ region: base.config.region, credentials: base.config.credentials, requestChecksumCalculation: "WHEN_REQUIRED" });
  try {
    return await aws(`presign PutObject s3://${bucket}/${key}`, () => getSignedUrl(signer, new PutObjectCommand({ Bucket: bucket, Key: key }), { expiresIn }));
  } finally {
    signer.destroy();
  }
}

const stamp = (date: Date) => date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");

async function startCapture(input: Input, bucket: string, ctx: TaskContext): Promise<Capture> {
  const now = ctx.clock.now();
  const key = `${ctx.incidentId || "no-incident"}/${input.instanceId}/memory-${stamp(now)}.lime`;
  const document = ctx.config.memoryCaptureDocument;
  const uploadUrl = await presignPut(bucket, key, input.timeoutSeconds + DELIVERY_TIMEOUT_SECONDS, ctx);
  const result = await aws(`SendCommand ${document} ${input.instanceId}`, () =>
    ctx.aws(SSMClient).send(
      new SendCommandCommand({
        InstanceIds: [input.instanceId],
        DocumentName: document,
        Comment: commentFor(ctx),
        TimeoutSeconds: DELIVERY_TIMEOUT_SECONDS,
        Parameters: { uploadUrl: [uploadUrl], evidenceLocation: [`s3://${bucket}/${key}`], executionTimeout: [String(input.timeoutSeconds)] },
      }),
    ),
  );
  const commandId = result.Command?.CommandId;
  if (!commandId) throw transient(`SendCommand ${document} ${input.instanceId} returned no command id`);
  return { commandId, instanceId: input.instanceId, bucket, key, requestedAt: result.Command?.RequestedDateTime ?? now, resumed: false };
}

async function invocation(capture: Capture, ctx: TaskContext): Promise<GetCommandInvocationCommandOutput | undefined> {
  try {
    return await ctx.aws(SSMClient).send(new GetCommandInvocationCommand({ CommandId: capture.commandId, InstanceId: capture.instanceId }));
  } catch (error) {
    // Right after SendCommand the invocation may not be registered yet.
    if (awsErrorCode(error) === "InvocationDoesNotExist") return undefined;
    throw classifyAwsError(error, `GetCommandInvocation ${capture.commandId} ${capture.instanceId}`);
  }
}

const stillRunning = (capture: Capture, status: string) =>
  transient(`memory capture ${capture.commandId} on ${capture.instanceId} is still ${status} at the end of this invocation; the retry resumes waiting on it`, "still-running");

function failure(result: GetCommandInvocationCommandOutput | undefined): string {
  const detail = [result?.StatusDetails, result?.ResponseCode !== undefined ? `exit ${result.ResponseCode}` : undefined, result?.StandardErrorContent?.trim().slice(0, 500)];
  return detail.filter(Boolean).join("; ") || "no detail";
}

async function waitForCapture(capture: Capture, timeoutSeconds: number, ctx: TaskContext): Promise<GetCommandInvocationCommandOutput> {
  const budgetMs = (timeoutSeconds + DELIVERY_TIMEOUT_SECONDS) * 1000;
  let delay = FIRST_POLL_MS;
  let waited = 0;
  for (;;) {
    const current = await invocation(capture, ctx);
    const status = current?.Status ?? "Pending";
    if (status === "Success") return current!;
    if (ENDED_BADLY.has(status)) throw preconditionFailed(`memory capture ${capture.commandId} on ${capture.instanceId} ended ${status}: ${failure(current)}`, status);
    // Waited time counts too: it is what bounds the wait when the clock is not the wall clock.
    const elapsed = Math.max(ctx.clock.now().getTime() - capture.requestedAt.getTime(), waited);
    if (elapsed >= budgetMs) {
      throw preconditionFailed(`memory capture ${capture.commandId} on ${capture.instanceId} is still ${status} after ${Math.round(elapsed / 1000)} s, beyond its limit of ${timeoutSeconds} s`, "timeout");
    }
    if (ctx.signal.aborted) throw stillRunning(capture, status);
    try {
      await ctx.sleep(delay);
    } catch {
      throw stillRunning(capture, status);
    }
    waited += delay;
    delay = Math.min(MAX_POLL_MS, Math.round(delay * 1.5));
  }
}

/** S3's own SHA-256 of the whole object; a multipart upload's checksum ("…-N") is of its parts, not of the file. */
function fullObjectSha256(head: HeadObjectCommandOutput): string | undefined {
  if (!head.ChecksumSHA256 || head.ChecksumType === "COMPOSITE" || head.ChecksumSHA256.includes("-")) return undefined;
  const hex = Buffer.from(head.ChecksumSHA256, "base64").toString("hex");
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

function isByteStream(body: unknown): body is AsyncIterable<Uint8Array> {
  return typeof body === "object" && body !== null && Symbol.asyncIterator in body;
}

/**
 * Hashes the stored object when S3 holds no SHA-256 for it (a plain presigned PUT gets only S3's
 * default CRC): the digest still comes from the bytes S3 keeps, never from the instance.
 */
async function hashObject(capture: Capture, versionId: string | undefined, size: number, ctx: TaskContext): Promise<string> {
  const where = `s3://${capture.bucket}/${capture.key}`;
  const object = await aws(`GetObject ${where}`, () =>
    ctx.aws(S3Client).send(new GetObjectCommand({ Bucket: capture.bucket, Key: capture.key, ...(versionId ? { VersionId: versionId } : {}) }), { abortSignal: ctx.signal }),
  );
  if (!isByteStream(object.Body)) throw preconditionFailed(`GetObject ${where} returned no readable body`, "body");
  const body: AsyncIterable<Uint8Array> = object.Body;
  const hash = createHash("sha256");
  let read = 0;
  try {
    for await (const chunk of body) {
      hash.update(chunk);
      read += chunk.length;
    }
  } catch (error) {
    if (ctx.signal.aborted) throw transient(`hashing ${where} was cut short by the end of this invocation; the retry hashes it again`, "still-hashing");
    throw classifyAwsError(error, `GetObject ${where}`);
  }
  if (read !== size) throw preconditionFailed(`${where} changed while it was read (${read} bytes, not ${size}); its evidence value is in doubt`, "changed");
  return hash.digest("hex");
}

async function readBack(capture: Capture, ctx: TaskContext) {
  const where = `s3://${capture.bucket}/${capture.key}`;
  const head = await aws(`HeadObject ${where}`, () => ctx.aws(S3Client).send(new HeadObjectCommand({ Bucket: capture.bucket, Key: capture.key, ChecksumMode: "ENABLED" })));
  const sizeBytes = head.ContentLength ?? 0;
  if (sizeBytes < 1) throw preconditionFailed(`memory capture ${capture.commandId} succeeded but ${where} is empty`, "empty");
  const versionId = head.VersionId && head.VersionId !== "null" ? head.VersionId : undefined;
  const fromS3 = fullObjectSha256(head);
  const sha256 = fromS3 ?? (await hashObject(capture, versionId, sizeBytes, ctx));
  // The version pins the evidence: the upload URL stays valid for a while, and a later PUT would be another version.
  const location = `${where}${versionId ? `?versionId=${encodeURIComponent(versionId)}` : ""}`;
  return { sizeBytes, sha256, location, hashedBy: fromS3 ? "S3's SHA-256 checksum" : "irflow reading the stored object" };
}

function completedAt(result: GetCommandInvocationCommandOutput, ctx: TaskContext): string {
  const end = new Date(result.ExecutionEndDateTime ?? "");
  return (Number.isNaN(end.getTime()) ? ctx.clock.now() : end).toISOString();
}

export default implementTask(contract, {
  async run(input, ctx) {
    const bucket = input.evidenceBucket ?? ctx.config.evidenceBucket;
    if (!bucket) throw preconditionFailed("no evidence bucket: set evidenceBucket in the deployment's configuration or in the step", "evidenceBucket");
    let capture = await findCapture(input.instanceId, ctx);
    if (!capture) {
      await assertCapturable(input.instanceId, ctx);
      capture = await startCapture(input, bucket, ctx);
    }
    const done = await waitForCapture(capture, input.timeoutSeconds, ctx);
    const object = await readBack(capture, ctx);
    const document = ctx.config.memoryCaptureDocument;
    return {
      output: { instanceId: input.instanceId, commandId: capture.commandId, bucket: capture.bucket, key: capture.key, sha256: object.sha256, sizeBytes: object.sizeBytes, completedAt: completedAt(done, ctx) },
      changes: [],
      evidence: [
        {
          kind: "ec2-instance-memory",
          location: object.location,
          sha256: object.sha256,
          sizeBytes: object.sizeBytes,
          description: `memory of ${input.instanceId}, captured by SSM command ${capture.commandId} (${document}); SHA-256 from ${object.hashedBy}`,
        },
      ],
      summary: `captured the memory of ${input.instanceId} to ${object.location} (${object.sizeBytes} bytes, sha256 ${object.sha256})${capture.resumed ? `; resumed command ${capture.commandId} started earlier for this step, no second capture` : ""}`,
    };
  },
});
