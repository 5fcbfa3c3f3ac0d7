import { createHash } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { aws } from "../contract/aws-errors.js";
import { preconditionFailed } from "../contract/errors.js";
import { implementTask, type Task, type TaskContext } from "../contract/task.js";
import { DynamoDbIncidentStore } from "../detect/dynamodb-incident-store.js";
import { auditEntry, KIND } from "./audit-kinds.js";
import { resolveAuditLog, s3AuditLogFromEnv, type AuditLogSource } from "./audit-log-source.js";
import contract from "./close-incident.contract.js";
import { projectRecord } from "./incident-record.js";
import { CONTENT_TYPES, renderReport, type ReportFormat } from "./report/index.js";

export type CloseIncidentTask = Task<typeof contract.input, typeof contract.output>;

export interface CloseIncidentPorts {
  readonly log: AuditLogSource;
  /** Where the reports go: `s3://<bucket>/incidents/<id>/report.<format>`. */
  readonly reportBucket: (ctx: TaskContext) => string;
  /** Frees the incident's dedupe key so the next event opens a new incident. */
  readonly closeIncident: (ctx: TaskContext, incidentId: string, at: Date) => Promise<void>;
}

const FORMATS: readonly ReportFormat[] = ["md", "html", "json"];

function lambdaPorts(env: NodeJS.ProcessEnv = process.env): CloseIncidentPorts {
  return {
    log: s3AuditLogFromEnv(env),
    reportBucket: () => {
      if (!env.IRFLOW_AUDIT_BUCKET) throw preconditionFailed("IRFLOW_AUDIT_BUCKET is not set: there is no audit bucket for the report", "IRFLOW_AUDIT_BUCKET");
      return env.IRFLOW_AUDIT_BUCKET;
    },
    closeIncident: (ctx, incidentId, at) => {
      if (!env.IRFLOW_INCIDENTS_TABLE) throw preconditionFailed("IRFLOW_INCIDENTS_TABLE is not set: the incident cannot be closed", "IRFLOW_INCIDENTS_TABLE");
      return new DynamoDbIncidentStore(ctx.aws(DynamoDBClient), env.IRFLOW_INCIDENTS_TABLE).close(incidentId, at);
    },
  };
}

/**
 * audit.close-incident in AWS: appends `incident.closed` (with the final document) and the
 * `closed` milestone, renders the report from the audit log's projection with the same code the
 * local runner and the CLI use, writes it to the audit bucket in every format, records each
 * report's SHA-256 in the log, and closes the incident in the incidents table.
 */
export function createCloseIncident(ports: CloseIncidentPorts = lambdaPorts()): CloseIncidentTask {
  return implementTask(contract, {
    async run(input, ctx) {
      const log = resolveAuditLog(ports.log, ctx);
      const now = ctx.clock.now();
      const at = now.toISOString();
      const status = input.document.failure !== null && input.document.failure !== undefined ? "failed" : "resolved";
      const actor = `function:${contract.name}`;
      let record = projectRecord(input.incidentId, await log.entries(input.incidentId));
      // A retried close appends nothing twice.
      if (!record.closed) await log.append(input.incidentId, auditEntry(KIND.incidentClosed, actor, at, { status, document: input.document }));
      if (!record.milestones.some((m) => m.name === "closed")) await log.append(input.incidentId, auditEntry(KIND.milestone, actor, at, { name: "closed" }));
      record = projectRecord(input.incidentId, await log.entries(input.incidentId));
      const bucket = ports.reportBucket(ctx);
      const s3 = ctx.aws(S3Client);
      let reportLocation = "";
      for (const format of FORMATS) {
        const text = renderReport(record, format, now);
        const key = `incidents/${input.incidentId}/report.${format}`;
        const location = `s3://${bucket}/${key}`;
        await aws(`PutObject ${location}`, () => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: CONTENT_TYPES[format] })));
        const sha256 = createHash("sha256").update(text).digest("hex");
        await log.append(input.incidentId, auditEntry(KIND.reportWritten, actor, at, { location, format, sha256, sizeBytes: Buffer.byteLength(text), coversSeq: record.entries }));
        if (format === "md") reportLocation = location;
      }
      await ports.closeIncident(ctx, input.incidentId, now);
      // The workflow document knows resolved and failed; an incident a responder closed as aborted meanwhile ended badly.
      const closedAs = record.closed ? (record.closed.status === "aborted" ? "failed" : record.closed.status) : status;
      return { output: { reportLocation, status: closedAs }, changes: [], summary: `closed ${input.incidentId} (${record.closed?.status ?? status}); report ${reportLocation}` };
    },
  });
}

export default createCloseIncident();
