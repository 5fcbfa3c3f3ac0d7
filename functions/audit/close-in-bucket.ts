import { createHash } from "node:crypto";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { aws } from "../contract/aws-errors.js";
import type { AuditLog } from "./audit-log.js";
import { auditEntry, KIND, type ClosedStatus } from "./audit-kinds.js";
import { projectRecord, type IncidentRecord } from "./incident-record.js";
import { buildReport, CONTENT_TYPES, renderModel, type ReportFormat } from "./report/index.js";

/** The formats an AWS close writes, each to `s3://<bucket>/incidents/<id>/report.<format>`. */
export const BUCKET_REPORT_FORMATS: readonly ReportFormat[] = ["md", "html", "json"];

export const reportKey = (incidentId: string, format: ReportFormat): string => `incidents/${incidentId}/report.${format}`;

/** Where an AWS close writes: the incident's audit log, the audit bucket, and the incidents table. */
export interface BucketClosePorts {
  readonly log: AuditLog;
  readonly s3: S3Client;
  readonly bucket: string;
  /** Frees the incident's dedupe key so the next event opens a new incident (DynamoDbIncidentStore.close). */
  readonly closeIncident: (incidentId: string, at: Date) => Promise<void>;
}

/** How the incident ends and who closes it; `stopped` when post-incident did not. */
export interface BucketClosure {
  readonly status: ClosedStatus;
  readonly document: Record<string, unknown>;
  readonly actor: string;
  readonly stopped?: NonNullable<IncidentRecord["closed"]>["stopped"];
}

export interface ClosedInBucket {
  /** The log's projection after the close: its `closed` is the close that stands (the first). */
  readonly record: IncidentRecord;
  /** The markdown report's `s3://` location ("" when md was not among the formats written). */
  readonly reportLocation: string;
}

/**
 * Closes an incident in AWS, for post-incident (audit.close-incident) and for an incident
 * execution that stopped before it: `incident.closed` (once: a close already in the log stands),
 * the `closed` milestone (once), the report in each of `formats` rendered from the log up to the
 * close, written to the audit bucket with its SHA-256 in a `report.written` entry, and last the
 * incidents table, so the next event with the incident's key opens a new incident.
 */
export async function closeInBucket(ports: BucketClosePorts, incidentId: string, closure: BucketClosure, now: Date, formats: readonly ReportFormat[] = BUCKET_REPORT_FORMATS): Promise<ClosedInBucket> {
  const { log } = ports;
  const at = now.toISOString();
  let record = projectRecord(incidentId, await log.entries(incidentId));
  if (!record.closed) {
    await log.append(incidentId, auditEntry(KIND.incidentClosed, closure.actor, at, { status: closure.status, document: closure.document, ...(closure.stopped ? { stopped: closure.stopped } : {}) }));
  }
  if (!record.milestones.some((m) => m.name === "closed")) await log.append(incidentId, auditEntry(KIND.milestone, closure.actor, at, { name: "closed" }));
  record = projectRecord(incidentId, await log.entries(incidentId));
  // Every format shows the same model (the log up to the close), so it is built once.
  const model = buildReport(record, now);
  // Every object is put before any is recorded: a retry after one failed puts them all again, and
  // recording each as it went would add the ones before the failure to the log once a try.
  const written: { readonly location: string; readonly format: ReportFormat; readonly sha256: string; readonly sizeBytes: number }[] = [];
  for (const format of formats) {
    const text = renderModel(model, format);
    const key = reportKey(incidentId, format);
    const location = `s3://${ports.bucket}/${key}`;
    await aws(`PutObject ${location}`, () => ports.s3.send(new PutObjectCommand({ Bucket: ports.bucket, Key: key, Body: text, ContentType: CONTENT_TYPES[format] })));
    written.push({ location, format, sha256: createHash("sha256").update(text).digest("hex"), sizeBytes: Buffer.byteLength(text) });
  }
  for (const report of written) await log.append(incidentId, auditEntry(KIND.reportWritten, closure.actor, at, { ...report, coversSeq: record.entries }));
  const reportLocation = written.find((report) => report.format === "md")?.location ?? "";
  await ports.closeIncident(incidentId, now);
  return { record, reportLocation };
}
