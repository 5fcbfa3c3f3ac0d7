/**
 * The one seam through which anything (tasks, the approval desk, the local runner, the AWS
 * handlers) adds to an incident's audit log (DESIGN.md §7). Implementations chain each entry to
 * the previous one's hash; callers only say what happened, who did it and when.
 */
export interface AuditEntryInput {
  /** What happened, dotted: `approval.requested`, `approval.refused`, `step.changed`, … */
  readonly kind: string;
  /** Who did it: a human identity (an IAM ARN, a local user) or `function:<task>` / `system:<part>`. */
  readonly actor: string;
  /** ISO 8601, from the injected clock. */
  readonly at: string;
  /** The facts of the entry; JSON only. Never a secret (task tokens included). */
  readonly body: Readonly<Record<string, unknown>>;
}

export interface AuditAppender {
  /** Appends one entry to the incident's log; resolves once it is durable. */
  append(incidentId: string, entry: AuditEntryInput): Promise<void>;
}

/** For callers that are not asked to audit (unit tests of other concerns). */
export const NO_AUDIT: AuditAppender = { append: () => Promise.resolve() };
