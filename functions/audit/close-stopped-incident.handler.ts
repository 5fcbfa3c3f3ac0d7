import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { SFNClient } from "@aws-sdk/client-sfn";
import * as z from "zod";
import { closeStoppedIncident, INCIDENT_MACHINE_ARNS_ENV, type StoppedIncidentPorts, type StoppedIncidentResult } from "./close-stopped-incident.js";
import { auditLogFromEnv } from "./s3-audit-log.js";
import { jsonLogger } from "../runtime/json-logger.js";

let ports: StoppedIncidentPorts | undefined;

function portsFromEnv(env: NodeJS.ProcessEnv = process.env): StoppedIncidentPorts {
  const bucket = env.IRFLOW_AUDIT_BUCKET;
  if (!bucket) throw new Error("IRFLOW_AUDIT_BUCKET is not set: there is no audit log or report bucket");
  const table = env.IRFLOW_INCIDENTS_TABLE;
  if (!table) throw new Error("IRFLOW_INCIDENTS_TABLE is not set: the incident cannot be found or closed");
  const machines = z.array(z.string().startsWith("arn:")).safeParse(parseJson(env[INCIDENT_MACHINE_ARNS_ENV]));
  if (!machines.success) throw new Error(`${INCIDENT_MACHINE_ARNS_ENV} must be a JSON array of state machine ARNs`);
  const s3 = new S3Client({ maxAttempts: 3 });
  return {
    sfn: new SFNClient({ maxAttempts: 3 }),
    dynamodb: new DynamoDBClient({ maxAttempts: 3 }),
    s3,
    table,
    bucket,
    log: auditLogFromEnv(s3, env),
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    incidentMachines: new Set(machines.data),
  };
}

function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? "null");
  } catch {
    return undefined;
  }
}

/** EventBridge rule target for the incident machines' ABORTED, TIMED_OUT and FAILED ends. */
export async function handler(event: unknown): Promise<StoppedIncidentResult> {
  ports ??= portsFromEnv();
  const log = jsonLogger({ task: "audit.close-stopped-incident" });
  const result = await closeStoppedIncident(event, ports);
  if (result.closed) log.info(result.alreadyClosed ? "already closed" : "closed", { incidentId: result.incidentId, status: result.status, reportLocation: result.reportLocation });
  else log.info("nothing to close", { reason: result.reason, incidentId: result.incidentId });
  return result;
}
