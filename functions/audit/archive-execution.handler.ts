import { S3Client } from "@aws-sdk/client-s3";
import { SFNClient } from "@aws-sdk/client-sfn";
import { archiveExecution, type ArchiveResult, type ArchiverPorts } from "./archive-execution.js";
import { auditLogFromEnv } from "./s3-audit-log.js";
import { jsonLogger } from "../runtime/json-logger.js";

let ports: ArchiverPorts | undefined;

function portsFromEnv(): ArchiverPorts {
  const bucket = process.env.IRFLOW_AUDIT_BUCKET;
  if (!bucket) throw new Error("IRFLOW_AUDIT_BUCKET is not set: the archiver has nowhere to write");
  const s3 = new S3Client({ maxAttempts: 3 });
  return { sfn: new SFNClient({ maxAttempts: 3 }), s3, bucket, audit: auditLogFromEnv(s3), now: () => new Date(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };
}

/** EventBridge rule target for "Step Functions Execution Status Change" of irflow's machines. */
export async function handler(event: unknown): Promise<ArchiveResult> {
  ports ??= portsFromEnv();
  const log = jsonLogger({ task: "audit.archive-execution" });
  const result = await archiveExecution(event, ports);
  if (result.archived) log.info(result.duplicate ? "already archived" : "archived", { location: result.location, events: result.events, incidentId: result.incidentId });
  else log.warn("not archived", { reason: result.reason });
  return result;
}
