/** An answer that landed before the abort but never reached the workflow (it was not resumed with it). */
export interface LateAnswerText {
  readonly decision: "approved" | "rejected";
  /** Who answered (several approvers of a two-person step joined by ", "). */
  readonly by: string;
}

/**
 * How every reader (the refusal, `irflow approvals show`, the timeline, the report) says why an
 * approval was withdrawn: one wording, so they cannot drift apart.
 */
export function withdrawalText(by: string, reason: string, answer?: LateAnswerText): string {
  const aborted = `the incident was aborted by ${by}: ${reason}`;
  return answer ? `${aborted} (it had been ${answer.decision} by ${answer.by}, too late: the answer never reached the workflow)` : aborted;
}
