import { DIGEST_PREFIX_LENGTH, type ApprovalView } from "./approval.js";

const MAX_DETAIL_CHARS = 300;
/** SNS caps a message at 256 KiB; a summary far shorter is what people read. */
const MAX_MESSAGE_CHARS = 60_000;

function brief(value: unknown): string {
  const text = value === undefined ? "(none)" : JSON.stringify(value);
  return text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}…` : text;
}

/** The plan in words: each plan's summary and, when known, every change with before and after. */
export function planLines(approval: Pick<ApprovalView, "plans">): string[] {
  const lines: string[] = [];
  approval.plans.forEach((plan, index) => {
    const label = approval.plans.length > 1 ? `Plan ${index + 1}/${approval.plans.length}` : "Plan";
    lines.push(`${label}: ${plan.summary} (${plan.changes} change${plan.changes === 1 ? "" : "s"}, digest ${plan.digest.slice(0, DIGEST_PREFIX_LENGTH)})`);
    for (const change of plan.details ?? []) {
      lines.push(`  - ${change.action} ${change.resource}`, `      before: ${brief(change.before)}`, `      after:  ${brief(change.after)}`);
    }
  });
  return lines;
}

export type NoticeKind = "request" | "reminder";

/**
 * The notification approvers get: what would change and how to answer. Never the task token and
 * never a link that approves (mail scanners follow links): answering is a signed POST.
 */
export function approvalNotice(approval: ApprovalView, kind: NoticeKind = "request"): { subject: string; message: string } {
  const prefix = approval.digest.slice(0, DIGEST_PREFIX_LENGTH);
  const who = approval.requiredApprovals > 1 ? `${approval.requiredApprovals} different approvers` : "one approver";
  const subject = `${kind === "reminder" ? "[reminder] " : ""}irflow approval needed: ${approval.stepTitle} (${approval.incidentId})`.slice(0, 99);
  const lines = [
    `${kind === "reminder" ? "Still waiting for an answer" : "Approval needed"}: ${approval.stepTitle}`,
    `Incident ${approval.incidentId}, runbook ${approval.runbookId}, step ${approval.stepId} (${approval.task}, ${approval.risk})`,
    `Requested by ${approval.requester} at ${approval.requestedAt}; answer before ${approval.deadline} (then: ${approval.onTimeout}).`,
    `Needs ${who}, from: ${approval.approvers.join(", ")}${approval.escalation ? " (escalated: nobody answered in time)" : ""}.`,
    "",
    ...planLines(approval),
    "",
    `Digest to confirm: ${approval.digest}`,
    "",
    "To answer (the requester cannot approve their own step):",
    `  irflow approvals show ${approval.id}`,
    `  irflow approve ${approval.id} --digest ${prefix} --reason "<why>"`,
    `  irflow reject ${approval.id} --reason "<why>"`,
    `or a SigV4-signed POST to the approvals API: /approvals/${approval.id}/approve with {"digest":"${prefix}","reason":"<why>"} (or /reject with {"reason":"<why>"}).`,
  ];
  const message = lines.join("\n");
  return { subject, message: message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}\n… (truncated: irflow approvals show ${approval.id})` : message };
}
