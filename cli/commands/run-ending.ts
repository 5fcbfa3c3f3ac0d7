import type { IncidentRecord, RecordedApproval, RecordedExecution } from "../../functions/audit/incident-record.js";
import { explainCause } from "../../functions/audit/report/explain-cause.js";
import type { Outcome } from "../../workflows/local/outcome.js";
import { terminalField } from "../terminal-text.js";

const MAX_CAUSE = 300;
/** A cause cut to one readable line's length. */
export const cut = (text: string): string => (text.length > MAX_CAUSE ? `${text.slice(0, MAX_CAUSE - 1)}…` : text);

/**
 * Why a run did not resolve, one readable line per phase that did not succeed, from the incident's
 * record (what its audit log proves): "contain failed: rejected by bob: not that host". Without a
 * record (the event was refused before an incident opened) the execution's own cause, unwrapped
 * from the nested JSON a child execution's failure carries. Each line is terminal-safe: reasons are
 * typed by people and causes come from the store, so neither may steer the terminal or forge a line.
 */
export function endingLines(outcome: Outcome, record: IncidentRecord | undefined): string[] {
  return reasonLines(outcome, record).map(terminalField);
}

function reasonLines(outcome: Outcome, record: IncidentRecord | undefined): string[] {
  const phases = (record?.executions ?? []).filter((execution) => execution.phase !== "incident" && execution.status !== undefined && execution.status !== "SUCCEEDED");
  const lines = phases.map((execution) => phaseLine(execution, record!));
  if (lines.length > 0) return lines;
  // Detect is not one of the record's phase executions (it opens the incident): a detect step that
  // failed after the opening is said as a phase's failure is, not as the incident machine's error.
  const detect = record ? failureReasons(record, "detect") : [];
  if (detect.length > 0) return [`detect failed: ${cut(detect.join("; "))}`];
  if (outcome.status !== "FAILED") return [];
  const cause = explainCause(outcome.cause);
  return [`${outcome.error === "DetectionFailed" ? "detection failed" : outcome.error}: ${cut(cause || "no cause recorded")}`];
}

function phaseLine(execution: RecordedExecution, record: IncidentRecord): string {
  const { phase } = execution;
  switch (execution.status) {
    case "ABORTED": {
      // The runner's cause already reads "aborted by <who>: <why>".
      const cause = execution.cause ?? "";
      return cause.startsWith("aborted ") ? `${phase} ${cut(cause)}` : `${phase} aborted${cause ? `: ${cut(cause)}` : ""}`;
    }
    case "TIMED_OUT":
      return `${phase} timed out (the phase ran past its TimeoutSeconds)`;
    default: {
      const reasons = failureReasons(record, phase);
      if (reasons.length === 0) reasons.push(`${execution.error ?? "an error"}${execution.cause ? `: ${explainCause(execution.cause)}` : ""}`);
      return `${phase} failed: ${cut(reasons.join("; "))}`;
    }
  }
}

/** Why the phase's steps failed, in the record's words: an approval that said no (or never said yes), else the step's error. */
function failureReasons(record: IncidentRecord, phase: string): string[] {
  return record.failures
    .filter((failure) => failure.stepId.startsWith(`${phase}/`))
    .map((failure) => {
      // An approved step failed on its own.
      const approval = record.approvals.find((a) => a.approval.stepId === failure.stepId && a.decision !== undefined && a.decision.decision !== "approved");
      return approval ? approvalText(approval) : `${failure.stepId}: ${failure.error}${failure.cause ? `: ${explainCause(failure.cause)}` : ""}`;
    });
}

/** An approval that ended its step: who decided and why, as the report says it. */
function approvalText({ approval, decision }: RecordedApproval): string {
  const by = decision!.by.join(", ");
  switch (decision!.decision) {
    case "rejected":
      return `rejected by ${by}: ${decision!.reason}`;
    case "expired":
      return `nobody answered the approval of ${approval.stepTitle ?? approval.stepId}${approval.deadline ? ` by ${approval.deadline}` : ""} (timed out)`;
    case "withdrawn":
      return `approval withdrawn: aborted by ${by}: ${decision!.reason}`;
    default:
      return `${decision!.decision} by ${by}`;
  }
}
