import { S3Client } from "@aws-sdk/client-s3";
import type { TaskContext } from "../contract/task.js";
import type { AuditLog } from "./audit-log.js";
import { auditLogFromEnv } from "./s3-audit-log.js";

/** A log, or how to build one from the invocation (its clients exist only inside `run`). */
export type AuditLogSource = AuditLog | ((ctx: TaskContext) => AuditLog);

/** In the Lambda: the audit bucket named by the environment, through the invocation's S3 client. */
export const s3AuditLogFromEnv =
  (env: NodeJS.ProcessEnv = process.env): AuditLogSource =>
  (ctx) =>
    auditLogFromEnv(ctx.aws(S3Client), env, () => ctx.clock.now());

export const resolveAuditLog = (source: AuditLogSource, ctx: TaskContext): AuditLog => (typeof source === "function" ? source(ctx) : source);
