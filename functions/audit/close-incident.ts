import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { preconditionFailed } from "../contract/errors.js";
import { implementTask, type Task, type TaskContext } from "../contract/task.js";
import { DynamoDbIncidentStore } from "../detect/dynamodb-incident-store.js";
import { resolveAuditLog, s3AuditLogFromEnv, type AuditLogSource } from "./audit-log-source.js";
import contract from "./close-incident.contract.js";
import { closeInBucket } from "./close-in-bucket.js";

export type CloseIncidentTask = Task<typeof contract.input, typeof contract.output>;

export interface CloseIncidentPorts {
  readonly log: AuditLogSource;
  /** Where the reports go: `s3://<bucket>/incidents/<id>/report.<format>`. */
  readonly reportBucket: (ctx: TaskContext) => string;
  /** Frees the incident's dedupe key so the next event opens a new incident. */
  readonly closeIncident: (ctx: TaskContext, incidentId: string, at: Date) => Promise<void>;
}

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
      const now = ctx.clock.now();
      const status = input.document.failure !== null && input.document.failure !== undefined ? "failed" : "resolved";
      const { record, reportLocation } = await closeInBucket(
        { log: resolveAuditLog(ports.log, ctx), s3: ctx.aws(S3Client), bucket: ports.reportBucket(ctx), closeIncident: (incidentId, at) => ports.closeIncident(ctx, incidentId, at) },
        input.incidentId,
        { status, document: input.document, actor: `function:${contract.name}` },
        now,
      );
      // The workflow document knows resolved and failed; an incident a responder closed as aborted meanwhile ended badly.
      const closedAs = record.closed ? (record.closed.status === "aborted" ? "failed" : record.closed.status) : status;
      return { output: { reportLocation, status: closedAs }, changes: [], summary: `closed ${input.incidentId} (${record.closed?.status ?? status}); report ${reportLocation}` };
    },
  });
}

export default createCloseIncident();
