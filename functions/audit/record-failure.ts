import { implementTask, type Task } from "../contract/task.js";
import { auditEntry, KIND } from "./audit-kinds.js";
import { resolveAuditLog, s3AuditLogFromEnv, type AuditLogSource } from "./audit-log-source.js";
import contract from "./record-failure.contract.js";

export type RecordFailureTask = Task<typeof contract.input, typeof contract.output>;

/**
 * audit.record-failure: appends `step.failed` (the step, the error and its cause) to the
 * incident's audit log before the phase fails. Run once per incident and step by the executor's
 * journal, so a Step Functions retry does not record the failure twice.
 */
export function createRecordFailure(source: AuditLogSource = s3AuditLogFromEnv()): RecordFailureTask {
  return implementTask(contract, {
    async run(input, ctx) {
      const body = { stepId: input.stepId, error: input.error.Error, ...(input.error.Cause !== undefined ? { cause: input.error.Cause } : {}) };
      await resolveAuditLog(source, ctx).append(input.incidentId, auditEntry(KIND.stepFailed, `function:${contract.name}`, ctx.clock.now().toISOString(), body));
      return { output: { recorded: true }, changes: [], summary: `recorded ${input.stepId}: ${input.error.Error}` };
    },
  });
}

export default createRecordFailure();
