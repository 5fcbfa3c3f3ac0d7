import { userInfo } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { ApprovalIdParam, DIGEST_PREFIX_LENGTH, type ApprovalView } from "../../functions/approval/approval.js";
import { authorityText } from "../../functions/approval/authority-text.js";
import { projectRecord, type RecordedApproval } from "../../functions/audit/incident-record.js";
import { SqliteAuditLog } from "../../workflows/local/store/sqlite-audit-log.js";
import { planLines } from "../../functions/approval/approval-message.js";
import { ApprovalRefused } from "../../functions/approval/check-answer.js";
import { withdrawalText } from "../../functions/approval/withdrawal-text.js";
import { NO_AUDIT, type AuditAppender } from "../../functions/audit/audit-port.js";
import { IDENTITIES_FILE } from "../../workflows/local/incident/local-identities.js";
import { approvalRunLiveness, type RunLiveness } from "../../workflows/local/incident/run-liveness.js";
import { SqliteApprovalDesk } from "../../workflows/local/incident/sqlite-approval-desk.js";
import { describeRunner, describeRunners } from "../../workflows/local/runner-liveness.js";
import type { EmbeddedDatabase } from "../../workflows/local/store/embedded-database.js";
import { openExistingStore, type StoreAccess } from "../existing-store.js";
import { examples } from "../help-examples.js";
import { EXIT, paint } from "../output.js";
import { UsageError } from "../usage-error.js";
import { terminalField, terminalJson } from "../terminal-text.js";
import { roleNames } from "./approval-lines.js";
import { disputeEnding, incidentArgument, logStanding } from "./audit-store.js";
import { identityFor, stateFolder, storeOptions, type StoreOptions } from "./store-options.js";

interface ListOptions extends StoreOptions {
  incident?: string;
  json?: boolean;
}
interface AnswerOptions extends StoreOptions {
  reason?: string;
  digest?: string;
  as?: string;
  role?: string[];
  json?: boolean;
}

/** Where the audit entries of CLI answers go; the embedded audit log plugs in here. */
export type AuditFactory = (database: EmbeddedDatabase) => AuditAppender;
let auditFor: AuditFactory = () => NO_AUDIT;
export function useAudit(factory: AuditFactory): void {
  auditFor = factory;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function registerApprovals(program: Command): void {
  const approvals = program
    .command("approvals")
    .description("list the approvals waiting for an answer (local runs; answer with irflow approve / reject)")
    .option("--incident <id>", "only this incident's (inc-…)")
    .option("--json", "print JSON")
    .addOption(storeOptions.dir())
    .addOption(storeOptions.db())
    .addHelpText("after", examples("irflow approvals --incident inc-20261124-0a1b2c3d4e5f", "irflow approvals --db /tmp/drill/irflow.db --json", "irflow approvals show apr-… --dir /tmp/drill"))
    .action(async (options: ListOptions) => {
      if (options.incident !== undefined) incidentArgument(options.incident, "--incident");
      process.exitCode = await withDesk(options, "read", (desk, database) => listApprovals(desk, database, options));
    });
  approvals
    .command("show")
    .description("one approval in full: its status (pending, approved, rejected, expired, or withdrawn: its incident was aborted, by whom and why), the plan with every change before and after, its digest, who may answer")
    .argument("<id>", "approval id (apr-…)")
    .option("--json", "print JSON")
    // Listed here for --help; commander gives --dir/--db to `approvals` wherever they are written,
    // and optsWithGlobals lets the parent's values win.
    .addOption(storeOptions.dir())
    .addOption(storeOptions.db())
    .action(async (id: string, _options: ListOptions, command: Command) => {
      const options = command.optsWithGlobals<ListOptions>();
      const approvalId = approvalArgument(id);
      process.exitCode = await withDesk(options, "read", (desk, database) => showApproval(desk, database, approvalId, options));
    });
  const approve = program
    .command("approve")
    .description("approve a waiting step: confirm the plan's digest and say why (--digest and --reason are required; exit 1 with the reason when refused)")
    .argument("<id>", "approval id (apr-…)")
    .requiredOption("--reason <text>", "why (required; audit log and report)")
    .requiredOption("--digest <hex>", `the plan digest you reviewed (its first ${DIGEST_PREFIX_LENGTH} or more hex characters)`);
  answerOptions(approve)
    .addHelpText("after", examples('irflow approve apr-… --digest 8e5a815fa200 --reason "key used from a known-bad address" --as bob --role IncidentResponder', "irflow approve apr-… --digest 8e5a815fa200 --reason … --db /tmp/drill/irflow.db"))
    .action(async (id: string, options: AnswerOptions) => {
    process.exitCode = await answer("approve", approvalArgument(id), options);
  });
  const reject = program
    .command("reject")
    .description("reject a waiting step: the workflow records the rejection and goes on to post-incident (--reason is required)")
    .argument("<id>", "approval id (apr-…)")
    .requiredOption("--reason <text>", "why (required; audit log and report)");
  answerOptions(reject)
    .addHelpText("after", examples('irflow reject apr-… --reason "the host is a honeypot; leave it" --as bob --role IncidentResponder'))
    .action(async (id: string, options: AnswerOptions) => {
    process.exitCode = await answer("reject", approvalArgument(id), options);
  });
}

/** What approve and reject both take: who answers, as which roles, output and where the store is. */
function answerOptions(command: Command): Command {
  return command
    .option("--as <name>", "who answers", userInfo().username)
    .option("--role <role>", `a role you act as (name or ARN; repeatable); ${IDENTITIES_FILE} pins names to roles`, collect)
    .option("--json", "print JSON")
    .addOption(storeOptions.dir())
    .addOption(storeOptions.db());
}

function openDesk(options: StoreOptions, access: StoreAccess): { desk: SqliteApprovalDesk; database: EmbeddedDatabase } {
  const database = openExistingStore(options, access);
  // No engine here: a decision is written to the store and the waiting run resumes itself.
  return { desk: new SqliteApprovalDesk(database, { audit: auditFor(database), pollMs: 0 }), database };
}

async function withDesk(options: StoreOptions, access: StoreAccess, work: (desk: SqliteApprovalDesk, database: EmbeddedDatabase) => Promise<number>): Promise<number> {
  const { desk, database } = openDesk(options, access);
  try {
    return await work(desk, database);
  } finally {
    database.close();
  }
}

const write = (line = "") => process.stdout.write(`${line}\n`);
/** Every recorded value in a line goes through this (cli/terminal-text.ts). */
const f = terminalField;

async function listApprovals(desk: SqliteApprovalDesk, database: EmbeddedDatabase, options: ListOptions): Promise<number> {
  const pending = await desk.list(options.incident ? { incidentId: options.incident } : {});
  // An approval whose run died is answered in vain: marked, so a responder closes the incident instead.
  const gone = new Set(pending.filter((a) => approvalRunLiveness(database, a.executionId).liveness === "gone").map((a) => a.id));
  // A responder decides from these rows: one its incident's log contradicts was changed in the store,
  // and a log that fails verification vouches for nothing; either is said.
  const warnings = pendingAgainstLogs(pending, database);
  for (const warning of warnings) process.stderr.write(`${paint.red("warning:")} ${f(warning)}\n`);
  const listed = printList(pending, gone, options);
  return warnings.length > 0 ? EXIT.problems : listed;
}

/** The warnings the pending rows' logs give: each log that fails verification, each row its log contradicts (each log read once). */
function pendingAgainstLogs(pending: readonly ApprovalView[], database: EmbeddedDatabase): string[] {
  const log = new SqliteAuditLog(database);
  const byIncident = new Map<string, { readonly recorded: readonly RecordedApproval[]; readonly verified: boolean }>();
  const warnings: string[] = [];
  for (const approval of pending) {
    let incident = byIncident.get(approval.incidentId);
    if (incident === undefined) {
      const entries = log.entriesNow(approval.incidentId);
      const standing = logStanding(database, approval.incidentId, entries);
      if (standing.warning !== undefined) warnings.push(standing.warning);
      incident = { recorded: projectRecord(approval.incidentId, entries).approvals, verified: standing.verified };
      byIncident.set(approval.incidentId, incident);
    }
    const logged = pendingRowDiffering(approval, incident.recorded.find((r) => r.approval.id === approval.id));
    if (logged !== undefined) warnings.push(`the approvals table lists ${approval.id} pending, but ${approval.incidentId}'s audit log ${logged}${disputeEnding(incident.verified, approval.incidentId, "the request")}`);
  }
  return warnings;
}

/**
 * How the log's account differs from a pending row: it decided the approval already, or it
 * recorded the request with other plan digests or approvers. Undefined when they agree, or when
 * the log has no request yet (it is audited a moment after the row is written).
 */
function pendingRowDiffering(approval: ApprovalView, recorded: RecordedApproval | undefined): string | undefined {
  if (recorded === undefined) return undefined;
  const { decision } = recorded;
  if (decision !== undefined) return `recorded it ${decision.decision}${decision.by.length > 0 ? ` by ${decision.by.join(", ")}` : ""} at ${decision.decidedAt}${decision.reason ? `: ${decision.reason}` : ""}`;
  const digests = recorded.approval.planDigests;
  if (digests.length > 0 && !digests.includes(approval.digest)) return `recorded the request with plan digest ${digests.join(", ")}, not ${approval.digest}`;
  const approvers = recorded.approval.approvers;
  if (approvers.length > 0 && [...approvers].sort().join("\n") !== [...approval.approvers].sort().join("\n")) return `recorded the request for approvers ${approvers.join(", ")}, not ${approval.approvers.join(", ")}`;
  return undefined;
}

function printList(pending: readonly ApprovalView[], gone: ReadonlySet<string>, options: ListOptions): number {
  if (options.json) {
    write(terminalJson(pending.map((a) => ({ ...a, digestPrefix: a.digest.slice(0, DIGEST_PREFIX_LENGTH), ...(gone.has(a.id) ? { runAlive: false } : {}) }))));
    return EXIT.ok;
  }
  if (pending.length === 0) {
    write(`no approvals waiting${options.incident ? ` for ${f(options.incident)}` : ""}`);
    return EXIT.ok;
  }
  for (const a of pending) {
    const votes = a.requiredApprovals > 1 ? `  ${a.votes.length}/${a.requiredApprovals} approvals` : "";
    write(`${paint.bold(f(a.id))}  ${f(a.incidentId)}  ${f(a.stepId)}${votes}${gone.has(a.id) ? `  ${paint.red("(run not alive)")}` : ""}`);
    write(`  ${f(a.stepTitle)} (${f(a.task)}, ${f(a.risk)}); requested by ${f(a.requester)}; may answer: ${f(roleNames(a.approvers).join(", "))}`);
    for (const plan of a.plans) write(`  plan: ${f(plan.summary)} (${plan.changes} change${plan.changes === 1 ? "" : "s"})`);
    write(`  digest ${f(a.digest.slice(0, DIGEST_PREFIX_LENGTH))}  deadline ${f(a.deadline)}`);
    if (gone.has(a.id)) write(`  ${paint.red(`its run is gone: nothing would resume it; irflow incidents close ${f(a.incidentId)} --reason <why>`)}`);
  }
  write("");
  // Locally who answers is --as and --role: an answer without them is the login name's, with no role, and refused.
  write(paint.dim("irflow approvals show <id> for the full plan; irflow approve <id> --digest <digest> --reason <why> --as <name> --role <role> (one that may answer)"));
  return EXIT.ok;
}

async function showApproval(desk: SqliteApprovalDesk, database: EmbeddedDatabase, id: string, options: ListOptions): Promise<number> {
  const stored = await desk.get(id);
  if (!stored) {
    process.stderr.write(`${paint.red("error:")} ${noSuchApproval(id)}\n`);
    return EXIT.problems;
  }
  // The log's account of the answer: where a local rejection's authority is kept, and the record a row
  // must agree with, when it verifies.
  const entries = new SqliteAuditLog(database).entriesNow(stored.incidentId);
  const standing = logStanding(database, stored.incidentId, entries);
  if (standing.warning !== undefined) process.stderr.write(`${paint.red("warning:")} ${f(standing.warning)}\n`);
  const recorded = projectRecord(stored.incidentId, entries).approvals.find((a) => a.approval.id === stored.id)?.decision;
  const approval = withRejectionAuthority(stored, recorded);
  // A row its incident's log contradicts was changed in the store: shown, never passed off as the record.
  const logged = loggedDecisionDiffering(approval, recorded);
  if (logged) {
    process.stderr.write(`${paint.red("warning:")} the approvals table says ${f(approval.status)}, but ${f(approval.incidentId)}'s audit log recorded ${f(logged)}${f(disputeEnding(standing.verified, approval.incidentId, "the answer"))}\n`);
  }
  const disputed = logged !== undefined || !standing.verified;
  // Only a pending approval waits for a run; an answered one's run has moved on or was closed.
  const waiting = approval.status === "pending" ? approvalRunLiveness(database, approval.executionId) : undefined;
  const notice = waiting === undefined ? undefined : waiting.liveness === "gone" ? goneNotice(approval.incidentId, waiting) : waiting.liveness === "unknown" ? unknownNotice(waiting) : undefined;
  if (options.json) {
    write(terminalJson(notice === undefined ? approval : { ...approval, ...(waiting?.liveness === "gone" ? { runAlive: false } : {}), notice }));
    return disputed ? EXIT.problems : EXIT.ok;
  }
  const a = approval;
  write(`${paint.bold(f(a.id))}  ${f(a.status)}`);
  write(`  ${f(a.stepTitle)} (${f(a.stepId)}, ${f(a.task)}, ${f(a.risk)})`);
  write(`  incident ${f(a.incidentId)}, runbook ${f(a.runbookId)}`);
  write(`  requested by ${f(a.requester)} at ${f(a.requestedAt)}; deadline ${f(a.deadline)} (then ${f(a.onTimeout)})`);
  write(`  needs ${a.requiredApprovals} approver${a.requiredApprovals > 1 ? "s" : ""} from ${f(a.approvers.join(", "))}${a.escalation ? " (escalated)" : ""}`);
  for (const vote of a.votes) write(`  approved by ${f(authorityText(vote))} at ${f(vote.at)}: ${f(vote.reason)}`);
  if (a.rejection) write(`  rejected by ${f(authorityText(a.rejection))} at ${f(a.rejection.at)}: ${f(a.rejection.reason)}`);
  if (a.withdrawal) write(`  withdrawn at ${f(a.withdrawal.at)}: ${f(withdrawalText(a.withdrawal.by, a.withdrawal.reason, a.withdrawal.answer))}`);
  write("");
  for (const line of planLines(a)) write(`  ${f(line)}`);
  write("");
  write(`  digest ${f(a.digest)}`);
  if (notice !== undefined) {
    write("");
    write(`  ${(waiting?.liveness === "gone" ? paint.red : paint.yellow)(f(notice))}`);
  }
  return disputed ? EXIT.problems : EXIT.ok;
}

async function answer(kind: "approve" | "reject", id: string, options: AnswerOptions): Promise<number> {
  const identity = await identityFor(options);
  const { desk, database } = openDesk(options, "write");
  try {
    const request = { as: identity, ...(options.reason !== undefined ? { reason: options.reason } : {}), ...(options.digest !== undefined ? { digest: options.digest } : {}) };
    // Asked before the answer is written: a live run may take it and end its phase at once.
    const waiting = await runWaitingAt(desk, database, id);
    const decision = kind === "approve" ? await desk.approve(id, request) : await desk.reject(id, request);
    // The decision stands either way (the audit trail keeps it); a responder is told when no run will act on it.
    const gone = waiting?.liveness === "gone" ? goneNotice(decision.incidentId, waiting) : undefined;
    if (options.json) write(terminalJson(gone ? { ...decision, runAlive: false, notice: gone } : decision, 0));
    else if (decision.decision === "recorded") write(`${paint.green("recorded")}: ${f(identity.actor)} approved ${f(id)}; it needs one more approver`);
    else if (gone) write(`${decision.decision === "approved" ? paint.green("approved") : paint.yellow("rejected")}: ${f(id)} by ${f(decision.by.join(", "))}; recorded`);
    else write(`${decision.decision === "approved" ? paint.green("approved") : paint.yellow("rejected")}: ${f(id)} by ${f(decision.by.join(", "))}; the waiting run resumes`);
    if (gone && !options.json) write(paint.red(f(gone)));
    return EXIT.ok;
  } catch (error) {
    if (!(error instanceof ApprovalRefused)) throw error;
    if (options.json) write(terminalJson({ refused: error.code, message: error.message }, 0));
    // An id this store does not hold is said as `approvals show` says it: nothing was refused, there is nothing there.
    if (error.code === "not-found") process.stderr.write(`${paint.red("error:")} ${noSuchApproval(id)}\n`);
    else process.stderr.write(`${paint.red(`refused (${error.code}):`)} ${f(error.message)}\n`);
    // Locally a role is only what --role or the identities file says: a newcomer who gave none is told how.
    if (error.code === "not-allowed" && !identity.principals.some((principal) => principal.startsWith("arn:"))) {
      const roles = roleNames((await desk.get(id))?.approvers ?? []);
      process.stderr.write(`${f(identity.actor)} answered with no role: name one the step allows (--role ${f(roles.join(" or --role ") || "<role>")}), or pin it to the name in ${join(stateFolder(options), IDENTITIES_FILE)}\n`);
    }
    return EXIT.problems;
  } finally {
    database.close();
  }
}

/** The liveness of the run the approval waits for; undefined when there is no such approval (the answer then says so). */
async function runWaitingAt(desk: SqliteApprovalDesk, database: EmbeddedDatabase, id: string): Promise<RunLiveness | undefined> {
  const approval = await desk.get(id);
  return approval ? approvalRunLiveness(database, approval.executionId) : undefined;
}

/** What a responder is told when the run that waited is gone: that nothing resumes, and what to do instead. */
function goneNotice(incidentId: string, waiting: RunLiveness): string {
  const who = describeRunners(waiting.runners);
  return `the run that waited for it is not alive${who ? ` (${who})` : ""}: nothing will act on this decision; close the incident with irflow incidents close ${incidentId} --reason <why>`;
}

/**
 * When irflow cannot tell: the process exists but stopped beating (suspended, or its pid reused),
 * or the execution names no process (an older irflow). An answer resumes it only if it is alive.
 */
function unknownNotice(waiting: RunLiveness): string {
  const who = waiting.runners.map((runner) => `${describeRunner(runner)}; the process exists but its heartbeat is stale`).join("; ");
  return `irflow cannot tell whether the run waiting for it is alive (${who || "the store records no process for its execution"}): an answer resumes it only if it is`;
}

/** An approval id from the command line, else a usage error saying why (as a malformed incident id is). */
function approvalArgument(id: string): string {
  const parsed = ApprovalIdParam.safeParse(id);
  if (!parsed.success) throw new UsageError(`${f(id)}: ${parsed.error.issues[0]?.message ?? "is not an approval id"}`);
  return parsed.data;
}

const noSuchApproval = (id: string): string => `no such approval ${f(id)} in this database (irflow approvals lists those waiting; irflow history <incident> shows an incident's)`;

/**
 * A local rejection's authority is in the log, not in the approvals table (which keeps the rejecter
 * and the reason): taken from the log's decision, so `show` names it as history does.
 */
function withRejectionAuthority(approval: ApprovalView, recorded: Decision | undefined): ApprovalView {
  if (!approval.rejection || approval.rejection.as || recorded?.decision !== "rejected") return approval;
  const authority = recorded.authority?.[0];
  if (!authority || authority.by !== approval.rejection.by) return approval;
  return { ...approval, rejection: { ...approval.rejection, as: [...authority.as], ...(authority.vouchedBy ? { vouchedBy: authority.vouchedBy } : {}) } };
}

/**
 * How the incident's log recorded the approval's decision, when the approvals table says otherwise
 * (another status, other answerers, another reason); undefined when they agree or the log has no
 * decision yet (an answer is audited a moment after the table is written).
 */
function loggedDecisionDiffering(approval: ApprovalView, decision: Decision | undefined): string | undefined {
  if (approval.status !== "approved" && approval.status !== "rejected") return undefined;
  if (!decision || (decision.decision !== "approved" && decision.decision !== "rejected")) return undefined;
  const by = approval.status === "approved" ? approval.votes.map((vote) => vote.by) : approval.rejection ? [approval.rejection.by] : [];
  const reason = approval.status === "approved" ? (approval.votes.at(-1)?.reason ?? "") : (approval.rejection?.reason ?? "");
  const same = decision.decision === approval.status && [...decision.by].sort().join("\n") === [...by].sort().join("\n") && decision.reason === reason;
  return same ? undefined : `${decision.decision} by ${decision.by.join(", ")}${decision.reason ? `: ${decision.reason}` : ""}`;
}

/** How an incident's log recorded an approval's end. */
type Decision = NonNullable<RecordedApproval["decision"]>;
