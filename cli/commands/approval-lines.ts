import { DIGEST_PREFIX_LENGTH, type ApprovalView } from "../../functions/approval/approval.js";
import { planLines } from "../../functions/approval/approval-message.js";
import { terminalField as f } from "../terminal-text.js";
import { suggestAnswerer, type AnswerAs, type Answerer } from "./answer-as.js";

/** What a responder reads about an approval while a run waits at it: the request, how to answer, how it ended. */

/** The `--dir`/`--db` a command in another terminal needs to reach this run's store ("" for the default one). */
export type StoreFlags = string;

const quoted = (value: string): string => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`);

export function storeFlags(options: { dir?: string; db?: string }, defaultDirectory: string): StoreFlags {
  if (options.db !== undefined) return ` --db ${quoted(options.db)}`;
  return options.dir !== undefined && options.dir !== defaultDirectory ? ` --dir ${quoted(options.dir)}` : "";
}

/** Role names of ARN patterns (`arn:aws:iam::*:role/IncidentLead` → IncidentLead), for `--role`. */
export function roleNames(approvers: readonly string[]): string[] {
  return [...new Set(approvers.map((arn) => arn.slice(arn.lastIndexOf("/") + 1) || arn))];
}

const prefix = (approval: ApprovalView): string => approval.digest.slice(0, DIGEST_PREFIX_LENGTH);

/**
 * The request: step, id, digest, deadline, who may answer, and the plan; `label` colours its first
 * word. These lines and the ended line print recorded data (a typed reason, a name, a plan built
 * from an event), so every recorded field goes through `terminalField`.
 */
export function requestLines(approval: ApprovalView, label: (text: string) => string = (text) => text): string[] {
  return [
    `${label("approval needed")}: ${f(approval.stepTitle)} (${f(approval.task)}, ${f(approval.risk)})`,
    `  id ${f(approval.id)}  digest ${f(prefix(approval))}  answer before ${f(approval.deadline)}`,
    `  requested by ${f(approval.requester)}; may answer: ${f(roleNames(approval.approvers).join(", "))}${approval.requiredApprovals > 1 ? ` (${approval.requiredApprovals} different people)` : ""}`,
    ...planLines(approval).map((line) => `  ${f(line)}`),
  ];
}

/** `--as`/`--role` as typed in a shell; a placeholder stays as written, to be filled in. */
export function identityFlags(answerer: Answerer): string {
  return ` --as ${answerer.placeholder ? answerer.name : quoted(answerer.name)} --role ${quoted(answerer.role)}`;
}

/**
 * The exact commands to answer it from another terminal. They name `--as` and `--role`: without
 * them an answer is the login name's, with no role, and is refused as not allowed.
 */
export function answerCommands(approval: ApprovalView, flags: StoreFlags, as: AnswerAs | undefined): string[] {
  const approver = identityFlags(suggestAnswerer(approval, "approve", as));
  const rejecter = identityFlags(suggestAnswerer(approval, "reject", as));
  return [`  irflow approve ${approval.id} --digest ${prefix(approval)} --reason "…"${approver}${flags}`, `  irflow reject ${approval.id} --reason "…"${rejecter}${flags}`].map(f);
}

/** How it ended: approved, rejected, timed out or withdrawn, by whom and why. */
export function endedLine(approval: ApprovalView): string {
  return f(endedText(approval));
}

function endedText(approval: ApprovalView): string {
  const step = approval.stepTitle;
  switch (approval.status) {
    case "approved": {
      const last = approval.votes.at(-1);
      return `approved: ${step} by ${approval.votes.map((vote) => vote.by).join(", ")}${last?.reason ? `: ${last.reason}` : ""}`;
    }
    case "rejected":
      return `rejected: ${step} by ${approval.rejection?.by ?? "?"}${approval.rejection?.reason ? `: ${approval.rejection.reason}` : ""}`;
    case "expired":
      return `timed out: ${step}: nobody answered by ${approval.deadline} (on timeout: ${approval.onTimeout})`;
    case "withdrawn":
      return `withdrawn: ${step}: the incident was aborted${approval.withdrawal ? ` by ${approval.withdrawal.by}: ${approval.withdrawal.reason}` : ""}`;
    case "pending":
      return `approved once: ${step} by ${approval.votes.map((vote) => vote.by).join(", ")}; it needs ${approval.requiredApprovals - approval.votes.length} more approver(s)`;
  }
}
