import type { AuditAppender } from "../audit/audit-port.js";

/**
 * Audit entries as structured log lines (CloudWatch Logs keeps them): what the approval Lambdas
 * use until the hash-chained S3 audit log is wired into them; the entries are the same.
 */
export function consoleAudit(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): AuditAppender {
  return {
    append: (incidentId, entry) => {
      write(JSON.stringify({ audit: true, incidentId, ...entry }));
      return Promise.resolve();
    },
  };
}
