import { createHash } from "node:crypto";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { HistoryEvent, SFNClient } from "@aws-sdk/client-sfn";
import * as z from "zod";
import { awsErrorCode, classifyAwsError } from "../contract/aws-errors.js";
import { IncidentId } from "../incident/document.js";
import type { AuditAppender } from "./audit-port.js";
import { auditEntry, KIND, phaseExecutionName } from "./audit-kinds.js";
import { fullHistory, type RetryPorts } from "./execution-history.js";
import { taskTokensIn, withoutTaskTokens } from "./task-token-digest.js";

/** The EventBridge event Step Functions sends when an execution changes status. */
export const ExecutionStatusChange = z.object({
  source: z.literal("aws.states"),
  "detail-type": z.literal("Step Functions Execution Status Change"),
  detail: z.object({
    executionArn: z.string().startsWith("arn:"),
    stateMachineArn: z.string().startsWith("arn:"),
    name: z.string().min(1).max(80),
    status: z.string(),
    startDate: z.number().nullish(),
    stopDate: z.number().nullish(),
    input: z.string().nullish(),
    output: z.string().nullish(),
  }),
});
export type ExecutionStatusChange = z.infer<typeof ExecutionStatusChange>;

const TERMINAL = new Set(["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]);

export interface ArchiverPorts extends RetryPorts {
  readonly sfn: SFNClient;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly audit: AuditAppender;
  readonly now: () => Date;
}

export type ArchiveResult =
  | { readonly archived: true; readonly incidentId?: string; readonly location: string; readonly events: number; readonly duplicate: boolean }
  | { readonly archived: false; readonly reason: string };

/**
 * Which incident an execution belongs to. Phase executions are started as `<incidentId>-<phase>`
 * (see the incident machine and the local runner), so their name says it. The incident
 * machine's own execution has a free name; its output (the incident document) carries
 * `incidentId`, else its input if a responder started it for an incident. None: unattributed
 * (a detect that refused the event opened no incident), archived all the same.
 */
export function incidentOfExecution(detail: ExecutionStatusChange["detail"]): string | undefined {
  const named = phaseExecutionName(detail.name);
  if (named && IncidentId.safeParse(named.incidentId).success) return named.incidentId;
  for (const text of [detail.output, detail.input]) {
    if (!text) continue;
    try {
      const value = (JSON.parse(text) as { incidentId?: unknown } | null)?.incidentId;
      if (IncidentId.safeParse(value).success) return value as string;
    } catch {
      // not JSON: nothing to read
    }
  }
  return undefined;
}

export const executionArchiveKey = (incidentId: string | undefined, name: string): string =>
  incidentId ? `incidents/${incidentId}/executions/${name}.json` : `executions/unattributed/${name}.json`;

/**
 * The archiver: Step Functions keeps history 90 days, auditors need years. On a terminal status it
 * pages through the whole history (1,000 events a page) and writes it, in order, as one object per
 * execution; then appends `execution.archived` (location, event count, SHA-256) to the incident's
 * log. A redelivered event finds the object already there (`IfNoneMatch`) and does nothing more.
 */
export async function archiveExecution(raw: unknown, ports: ArchiverPorts): Promise<ArchiveResult> {
  const parsed = ExecutionStatusChange.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { archived: false, reason: `not an execution status change: ${issue.path.join(".") || "(event)"}: ${issue.message}` };
  }
  const { detail } = parsed.data;
  if (!TERMINAL.has(detail.status)) return { archived: false, reason: `${detail.status} is not a terminal status` };

  let events: HistoryEvent[];
  try {
    events = await fullHistory(ports.sfn, detail.executionArn, ports);
  } catch (error) {
    if (awsErrorCode(error) === "ExecutionDoesNotExist") return { archived: false, reason: `ExecutionDoesNotExist: ${detail.executionArn} (deleted, or history past retention)` };
    throw classifyAwsError(error, `GetExecutionHistory ${detail.executionArn}`);
  }

  const incidentId = incidentOfExecution(detail);
  const key = executionArchiveKey(incidentId, detail.name);
  const document = {
    executionArn: detail.executionArn,
    stateMachineArn: detail.stateMachineArn,
    name: detail.name,
    status: detail.status,
    startDate: detail.startDate ? new Date(detail.startDate).toISOString() : null,
    stopDate: detail.stopDate ? new Date(detail.stopDate).toISOString() : null,
    archivedAt: ports.now().toISOString(),
    ...(incidentId ? { incidentId } : {}),
    events,
  };
  // The tokens are dead once the execution has ended, but an archive outlives every guess about that.
  const body = withoutTaskTokens(JSON.stringify(document), taskTokensIn(events));
  const digest = createHash("sha256").update(body);
  const sha256 = digest.copy().digest("hex");
  const location = `s3://${ports.bucket}/${key}`;
  try {
    await ports.s3.send(new PutObjectCommand({ Bucket: ports.bucket, Key: key, Body: body, ContentType: "application/json", IfNoneMatch: "*", ChecksumSHA256: digest.digest("base64") }));
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (awsErrorCode(error) === "PreconditionFailed" || status === 412) return { archived: true, ...(incidentId ? { incidentId } : {}), location, events: events.length, duplicate: true };
    throw classifyAwsError(error, `PutObject ${location}`);
  }
  if (incidentId) {
    await ports.audit.append(
      incidentId,
      auditEntry(KIND.executionArchived, "system:archiver", ports.now().toISOString(), { executionArn: detail.executionArn, status: detail.status, location, events: events.length, sha256, sizeBytes: Buffer.byteLength(body) }),
    );
  }
  return { archived: true, ...(incidentId ? { incidentId } : {}), location, events: events.length, duplicate: false };
}
