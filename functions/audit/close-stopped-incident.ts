import { GetItemCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import { DescribeExecutionCommand, type HistoryEvent, type SFNClient } from "@aws-sdk/client-sfn";
import * as z from "zod";
import { awsErrorCode, classifyAwsError } from "../contract/aws-errors.js";
import type { IamGrant } from "../contract/task-contract.js";
import { DynamoDbIncidentStore } from "../detect/dynamodb-incident-store.js";
import { IncidentId } from "../incident/document.js";
import { ExecutionStatusChange } from "./archive-execution.js";
import type { AuditLog } from "./audit-log.js";
import { BUCKET_REPORT_FORMATS, closeInBucket, type BucketClosure } from "./close-in-bucket.js";
import { fullHistory, withRetries, type RetryPorts } from "./execution-history.js";
import { projectRecord } from "./incident-record.js";
import { explainCause } from "./report/explain-cause.js";

/** The ends of an incident execution that leave post-incident unrun: this function closes those. */
export const STOPPED_STATUSES = ["ABORTED", "TIMED_OUT", "FAILED"] as const;
type StoppedStatus = (typeof STOPPED_STATUSES)[number];

/** The status change, with the error and cause Step Functions adds to a failed or stopped execution's event. */
export const StoppedExecutionEvent = ExecutionStatusChange.extend({
  detail: ExecutionStatusChange.shape.detail.extend({
    error: z.string().nullish(),
    cause: z.string().nullish(),
  }),
});
export type StoppedExecutionEvent = z.infer<typeof StoppedExecutionEvent>;

/** The environment variable listing the stage's incident machines' ARNs (a JSON array). */
export const INCIDENT_MACHINE_ARNS_ENV = "IRFLOW_INCIDENT_MACHINE_ARNS";

export const CLOSER_ACTOR = "system:close-stopped-incident";

/**
 * The IAM this function needs, beside the code that calls it (the stacks read these). The incident
 * item (read; closed by DynamoDbIncidentStore.close), the audit log (listed, read, appended) and
 * the reports; resource templates as in task contracts.
 */
export const CLOSE_STOPPED_IAM: readonly IamGrant[] = [
  { actions: ["dynamodb:GetItem", "dynamodb:UpdateItem"], resources: ["{table:incidents}"] },
  { actions: ["s3:ListBucket"], resources: ["{bucket:audit}"] },
  { actions: ["s3:GetObject", "s3:PutObject"], resources: ["{bucket:audit}/*"] },
];

/**
 * The Step Functions actions it needs, by the kind of machine whose executions they read: the
 * incident execution's history and description, and the detect child's history (for an incident
 * stopped while detect ran). Execution ARNs exist only once the machines do, so the stack fills them.
 */
export const CLOSE_STOPPED_EXECUTION_IAM: Readonly<Record<"states:GetExecutionHistory" | "states:DescribeExecution", readonly ("incident" | "detect")[]>> = {
  "states:GetExecutionHistory": ["incident", "detect"],
  "states:DescribeExecution": ["incident"],
};

export interface StoppedIncidentPorts extends RetryPorts {
  readonly sfn: SFNClient;
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  /** The incidents table (DynamoDbIncidentStore's). */
  readonly table: string;
  /** The audit bucket: the reports go beside the log, as post-incident writes them. */
  readonly bucket: string;
  readonly log: AuditLog;
  readonly now: () => Date;
  /** The incident machines' ARNs: an event of any other machine is ignored. Unset: not checked. */
  readonly incidentMachines?: ReadonlySet<string>;
}

export type StoppedIncidentResult =
  | { readonly closed: true; readonly incidentId: string; readonly status: "aborted" | "failed" | "resolved"; readonly reportLocation: string; readonly alreadyClosed: boolean }
  | { readonly closed: false; readonly reason: string; readonly incidentId?: string };

/** A malformed event: thrown, so the rule's retries and dead-letter queue keep it in view. */
export class MalformedStatusChange extends Error {
  constructor(readonly field: string, message: string) {
    super(`not an execution status change: ${field}: ${message}`);
    this.name = "MalformedStatusChange";
  }
}

/**
 * Closes the incident of an incident execution that ended ABORTED, TIMED_OUT or FAILED, so that
 * DESIGN §1's "post-incident always runs" holds on AWS as it does locally: `incident.closed` as
 * aborted (ABORTED) or failed, with `stopped` (how the execution ended and its cause), the
 * `closed` milestone, the report in every format, and the dedupe key freed. Redelivered events and
 * incidents post-incident already closed append nothing twice; an execution that opened no
 * incident, or only joined one another execution runs, is left alone.
 */
export async function closeStoppedIncident(raw: unknown, ports: StoppedIncidentPorts): Promise<StoppedIncidentResult> {
  const parsed = StoppedExecutionEvent.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MalformedStatusChange(issue.path.join(".") || "(event)", issue.message);
  }
  const { detail } = parsed.data;
  if (!isStopped(detail.status)) return { closed: false, reason: `${detail.status}: post-incident ran or is still to run` };
  if (ports.incidentMachines && !ports.incidentMachines.has(detail.stateMachineArn)) return { closed: false, reason: `${detail.stateMachineArn} is not an incident machine` };

  const found = await findIncident(detail, ports);
  if (!found) return { closed: false, reason: `${detail.executionArn} opened no incident (its detect refused the event or never reached it)` };
  if (found.joined) return { closed: false, incidentId: found.incidentId, reason: `${detail.executionArn} joined incident ${found.incidentId}; the execution that opened it closes it` };

  const item = await withRetries(() => ports.dynamodb.send(new GetItemCommand({ TableName: ports.table, Key: { pk: { S: `incident#${found.incidentId}` }, sk: { S: "incident" } }, ConsistentRead: true })), ports).catch((error: unknown) => {
    throw classifyAwsError(error, `GetItem ${ports.table} incident#${found.incidentId}`);
  });
  const stored = item.Item;
  if (!stored) return { closed: false, incidentId: found.incidentId, reason: `incident ${found.incidentId} is not in ${ports.table}: it was never opened` };
  if (stored.status?.S === "superseded") return { closed: false, incidentId: found.incidentId, reason: `incident ${found.incidentId} was superseded while opening: there is nothing to close` };

  const entries = await ports.log.entries(found.incidentId);
  const before = projectRecord(found.incidentId, entries);
  const missing = BUCKET_REPORT_FORMATS.filter((format) => !before.reports.some((report) => report.format === format));
  const tableClosed = stored.status?.S === "closed";
  if (before.closed && missing.length === 0 && tableClosed) {
    return { closed: true, incidentId: found.incidentId, status: before.closed.status, reportLocation: reportOf(before.reports), alreadyClosed: true };
  }

  const closure = before.closed ? undefined : await stoppedClosure(detail, openedDocument(stored.document?.S) ?? found.document, ports);
  const store = new DynamoDbIncidentStore(ports.dynamodb, ports.table);
  const { record, reportLocation } = await closeInBucket(
    { log: ports.log, s3: ports.s3, bucket: ports.bucket, closeIncident: (incidentId, at) => store.close(incidentId, at) },
    found.incidentId,
    // A close already in the log stands; closeInBucket then appends no second one.
    closure ?? { status: before.closed!.status, document: before.closed!.document, actor: CLOSER_ACTOR },
    ports.now(),
    // Reports written by an earlier try (or by post-incident) are not written again.
    before.closed ? missing : BUCKET_REPORT_FORMATS,
  );
  return { closed: true, incidentId: found.incidentId, status: record.closed?.status ?? closure!.status, reportLocation: reportLocation || reportOf(record.reports), alreadyClosed: before.closed !== undefined };
}

const isStopped = (status: string): status is StoppedStatus => (STOPPED_STATUSES as readonly string[]).includes(status);

const reportOf = (reports: readonly { readonly format: string; readonly location: string }[]): string => reports.findLast((report) => report.format === "md")?.location ?? "";

interface FoundIncident {
  readonly incidentId: string;
  /** The incident document as detect opened (or joined) it. */
  readonly document: Record<string, unknown>;
  readonly joined: boolean;
}

/**
 * The incident an incident execution opened: its input or output when they carry it, else the
 * first state in its history whose data does (Detect's output), else the same in its detect
 * child's history (open-incident's output), for an execution stopped while detect still ran.
 */
async function findIncident(detail: StoppedExecutionEvent["detail"], ports: StoppedIncidentPorts): Promise<FoundIncident | undefined> {
  for (const text of [detail.output, detail.input]) {
    const found = documentIn(text);
    if (found) return found;
  }
  const own = await history(detail.executionArn, ports);
  const found = incidentInHistory(own);
  if (found) return found;
  const detect = detectChildOf(own);
  return detect ? incidentInHistory(await history(detect, ports)) : undefined;
}

async function history(executionArn: string, ports: StoppedIncidentPorts): Promise<HistoryEvent[]> {
  try {
    return await fullHistory(ports.sfn, executionArn, ports);
  } catch (error) {
    throw classifyAwsError(error, `GetExecutionHistory ${executionArn}`);
  }
}

function incidentInHistory(events: readonly HistoryEvent[]): FoundIncident | undefined {
  for (const event of events) {
    const found = documentIn(event.stateExitedEventDetails?.output) ?? documentIn(event.stateEnteredEventDetails?.input);
    if (found) return found;
  }
  return undefined;
}

/** The detect phase's execution: the first child the incident machine started (startExecution.sync). */
function detectChildOf(events: readonly HistoryEvent[]): string | undefined {
  for (const event of events) {
    const details = event.taskSubmittedEventDetails ?? event.taskSucceededEventDetails;
    if (details?.resourceType !== "states" || !details.output) continue;
    const arn = parseObject(details.output)?.ExecutionArn;
    if (typeof arn === "string" && arn.startsWith("arn:")) return arn;
  }
  return undefined;
}

function documentIn(text: string | null | undefined): FoundIncident | undefined {
  const value = parseObject(text);
  if (!value || !IncidentId.safeParse(value.incidentId).success) return undefined;
  return { incidentId: value.incidentId as string, document: value, joined: value.duplicate === true };
}

function parseObject(text: string | null | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The opening document the incidents table keeps (JSON text); undefined when unreadable. */
const openedDocument = (text: string | undefined): Record<string, unknown> | undefined => parseObject(text);

/**
 * How a stopped incident closes, as the local runner closes one: aborted with the stop's cause as
 * the reason, or failed with the error and cause (States.Timeout for a timeout) in the document's
 * `failure`. The event usually carries error and cause; DescribeExecution is asked when it does not.
 */
async function stoppedClosure(detail: StoppedExecutionEvent["detail"], opened: Record<string, unknown>, ports: StoppedIncidentPorts): Promise<BucketClosure> {
  const status = detail.status as StoppedStatus;
  let error = detail.error ?? undefined;
  let cause = detail.cause ?? undefined;
  if (error === undefined && cause === undefined && status !== "TIMED_OUT") {
    const described = await withRetries(() => ports.sfn.send(new DescribeExecutionCommand({ executionArn: detail.executionArn })), ports).catch((failure: unknown) => {
      // History past retention: the close goes on without a cause rather than leave the incident open.
      if (awsErrorCode(failure) === "ExecutionDoesNotExist") return undefined;
      throw classifyAwsError(failure, `DescribeExecution ${detail.executionArn}`);
    });
    error = described?.error || undefined;
    cause = described?.cause || undefined;
  }
  if (status === "ABORTED") {
    return { status: "aborted", document: opened, actor: CLOSER_ACTOR, stopped: { execution: "ABORTED", reason: cause || error || "the incident execution was stopped" } };
  }
  // A FAILED execution names its error; the fallback only covers an event and a description without one.
  const failedWith = status === "TIMED_OUT" ? "States.Timeout" : (error ?? "ExecutionFailed");
  const why = status === "TIMED_OUT" ? "the incident execution timed out" : cause;
  const failure = { Error: failedWith, ...(why ? { Cause: why } : {}) };
  // The reason reads as a sentence (a child's nested JSON down to its message); the document keeps the whole cause.
  const sentence = explainCause(why);
  return { status: "failed", document: { ...opened, failure }, actor: CLOSER_ACTOR, stopped: { execution: status, reason: `${failedWith}${sentence ? `: ${sentence}` : ""}` } };
}
