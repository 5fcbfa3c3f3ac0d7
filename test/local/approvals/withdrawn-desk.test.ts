/** ApprovalDesk.withdraw: an abort closes the approvals its executions waited at as withdrawn, with who and why. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { checkAnswer } from "../../../functions/approval/check-answer.js";
import type { AuditAppender, AuditEntryInput } from "../../../functions/audit/audit-port.js";
import { projectRecord } from "../../../functions/audit/incident-record.js";
import { MemoryAuditLog } from "../../../functions/audit/memory-audit-log.js";
import { buildReport } from "../../../functions/audit/report/report-model.js";
import { MemoryApprovalDesk, type TaskAnswerPort } from "../../../workflows/local/incident/approval-desk.js";
import { MemoryDeskStore, type DeskStore } from "../../../workflows/local/incident/desk-store.js";
import { SqliteApprovalDesk } from "../../../workflows/local/incident/sqlite-approval-desk.js";
import { SqliteApprovals } from "../../../workflows/local/store/sqlite-approvals.js";
import { approval, at, DIGEST, lead, request } from "../../functions/approval/fixtures.js";
import { useTempDatabases } from "../store/support.js";

const temp = useTempDatabases();
afterEach(() => {
  vi.restoreAllMocks();
});

const CONTAIN = request().executionId;
const OTHER = "arn:aws:states:us-east-1:123456789012:execution:ec2-instance-compromise-contain:inc-20261124-000000000000-contain";
const ABORT = { by: "bob", reason: "wrong host" };

function recordingAudit(): AuditAppender & { entries: (AuditEntryInput & { incidentId: string })[] } {
  const entries: (AuditEntryInput & { incidentId: string })[] = [];
  return { entries, append: (incidentId, entry) => (entries.push({ incidentId, ...entry }), Promise.resolve()) };
}

/** The engine side: records what it was told; `gone` tokens are waits the engine ended (the stop). */
function engine() {
  const told: string[] = [];
  const gone = new Set<string>();
  const port: TaskAnswerPort = {
    sendTaskSuccess: (token) => void told.push(`success ${token}`),
    sendTaskFailure: (token, error) => void told.push(`failure ${token} ${error}`),
    isWaiting: (token) => !gone.has(token),
  };
  return { port, told, gone };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const refusal = (code: string, message?: string): unknown => expect.objectContaining({ name: "ApprovalRefused", code, ...(message ? { message } : {}) });

/** The run's desk (with the engine) and, on the embedded database, a responder's desk on another connection. */
function desks(kind: "memory" | "sqlite", now: () => Date, pollMs = 10) {
  const audit = recordingAudit();
  const run = engine();
  if (kind === "memory") {
    const desk = new MemoryApprovalDesk({ answers: run.port, now, audit, pollMs });
    return { audit, run, runDesk: desk, responderDesk: desk };
  }
  const dir = temp.dir();
  const runDesk = new SqliteApprovalDesk(temp.open(dir), { answers: run.port, now, audit, pollMs });
  const responderDesk = new SqliteApprovalDesk(temp.open(dir), { now, audit, pollMs: 0 });
  return { audit, run, runDesk: runDesk, responderDesk: responderDesk };
}

describe.each(["memory", "sqlite"] as const)("withdraw (%s desk)", (kind) => {
  it("closes the stopping executions' approvals as withdrawn, audited with who and why before it returns; others stay pending", async () => {
    const { audit, run, runDesk, responderDesk } = desks(kind, () => at(60));
    const { approvalId } = await runDesk.request(request(), "manual", { requester: "event:aws.guardduty" });
    const other = await runDesk.request(request({ executionId: OTHER, taskToken: "other-token" }), "manual", { requester: "event:aws.guardduty" });

    const withdrawn = runDesk.withdraw([CONTAIN], ABORT);
    // Queued before withdraw returned: the runner stops the executions right after, and their ends follow it in the log.
    expect(audit.entries.map((e) => e.kind)).toEqual(["approval.requested", "approval.requested", "approval.withdrawn"]);
    await withdrawn;
    expect(audit.entries.at(-1)).toEqual({
      incidentId: request().incidentId,
      kind: "approval.withdrawn",
      actor: "system:irflow-local",
      at: at(60).toISOString(),
      body: { approvalId, stepId: "contain/isolate-the-instance", task: "ec2.isolate-instance", digest: DIGEST, executionId: CONTAIN, by: "bob", reason: "wrong host", votes: [] },
    });
    expect(await responderDesk.get(approvalId)).toMatchObject({ status: "withdrawn", decidedAt: at(60).toISOString(), withdrawal: { by: "bob", reason: "wrong host", at: at(60).toISOString() } });
    expect((await responderDesk.list()).map((a) => a.id)).toEqual([other.approvalId]);

    // The stop ends the engine's wait: the desk's poll must not call it expired, nor resume it.
    run.gone.add("secret-task-token-123");
    await pause(60);
    await runDesk.poll();
    expect(audit.entries.map((e) => e.kind)).not.toContain("approval.expired");
    expect(run.told).toEqual([]);
    // Nothing left to withdraw: a second abort adds no entry.
    await runDesk.withdraw([CONTAIN], { by: "carol", reason: "again" });
    expect(audit.entries.filter((e) => e.kind === "approval.withdrawn")).toHaveLength(1);
    runDesk.close();
  });

  it("refuses an answer to a withdrawn approval as withdrawn, naming who aborted the incident and why; the refusal is audited", async () => {
    const { audit, run, runDesk, responderDesk } = desks(kind, () => at(60));
    const { approvalId } = await runDesk.request(request(), "manual", { requester: "event:aws.guardduty" });
    await runDesk.withdraw([CONTAIN], ABORT);
    const message = `approval ${approvalId} was withdrawn: the incident was aborted by bob: wrong host`;
    await expect(responderDesk.approve(approvalId, { as: lead("alice"), reason: "go", digest: DIGEST })).rejects.toEqual(refusal("withdrawn", message));
    await expect(responderDesk.reject(approvalId, { as: lead("alice"), reason: "no" })).rejects.toEqual(refusal("withdrawn", message));
    const refused = audit.entries.filter((e) => e.kind === "approval.refused");
    expect(refused.map((e) => [e.actor, e.body.refusal, e.body.reason])).toEqual([
      [lead("alice").actor, "withdrawn", message],
      [lead("alice").actor, "withdrawn", message],
    ]);
    expect(run.told).toEqual([]);
    runDesk.close();
  });

  it("an expiry sweep past the deadline leaves a withdrawn approval withdrawn and audits no expiry", async () => {
    let clock = at(60);
    const { audit, runDesk, responderDesk } = desks(kind, () => clock);
    const { approvalId } = await runDesk.request(request({ timeoutSeconds: 100 }), "manual", { requester: "event:aws.guardduty" });
    await runDesk.withdraw([CONTAIN], ABORT);
    clock = at(60 + 500);
    await runDesk.sweep();
    await responderDesk.sweep();
    expect((await responderDesk.get(approvalId))?.status).toBe("withdrawn");
    expect(audit.entries.map((e) => e.kind)).toEqual(["approval.requested", "approval.withdrawn"]);
    runDesk.close();
  });
});

describe("checkAnswer on a withdrawn approval", () => {
  it("refuses it as withdrawn before the answer's own checks (a reason, a digest)", () => {
    const withdrawn = { ...approval(), status: "withdrawn" as const, withdrawal: { by: "bob", reason: "wrong host", at: at(5).toISOString() } };
    const check = checkAnswer(withdrawn, { kind: "approve", caller: lead("alice"), reason: "", digest: "" }, at(6));
    expect(check).toEqual({ ok: false, refusal: { code: "withdrawn", message: "approval apr-1 was withdrawn: the incident was aborted by bob: wrong host" } });
    // A record without who and why (written by hand, say) is still refused as withdrawn.
    const bare = checkAnswer({ ...approval(), status: "withdrawn" }, { kind: "reject", caller: lead("alice"), reason: "no" }, at(6));
    expect(bare).toMatchObject({ ok: false, refusal: { code: "withdrawn", message: expect.stringContaining("was withdrawn") } });
  });
});

describe.each(["memory", "sqlite"] as const)("withdraw, the review's races (%s desk)", (kind) => {
  const TWO_PERSON = { requiredApprovals: 2 };

  it("an approval requested after its execution was withdrawn (the handler was already running) is withdrawn at once, never expired or resumed", async () => {
    const { audit, run, runDesk, responderDesk } = desks(kind, () => at(60));
    // The abort came before the handler reached the desk: nothing of this execution was waiting yet.
    await runDesk.withdraw([CONTAIN], ABORT);
    const { approvalId } = await runDesk.request(request(), "manual", { requester: "event:aws.guardduty" });
    expect(audit.entries.map((e) => e.kind)).toEqual(["approval.requested", "approval.withdrawn"]);
    expect(audit.entries[1]).toMatchObject({ actor: "system:irflow-local", body: { approvalId, executionId: CONTAIN, by: "bob", reason: "wrong host", votes: [] } });
    expect(await responderDesk.get(approvalId)).toMatchObject({ status: "withdrawn", withdrawal: { by: "bob", reason: "wrong host" } });
    expect(await responderDesk.list()).toEqual([]);
    // Its wait is gone with the stopped execution: the desk's last look must not call it expired.
    run.gone.add("secret-task-token-123");
    await runDesk.poll();
    expect(audit.entries.map((e) => e.kind)).toEqual(["approval.requested", "approval.withdrawn"]);
    expect(run.told).toEqual([]);
    // Another execution's request still waits as before.
    const other = await runDesk.request(request({ executionId: OTHER, taskToken: "other-token" }), "manual", { requester: "event:aws.guardduty" });
    expect((await responderDesk.list()).map((a) => a.id)).toEqual([other.approvalId]);
    runDesk.close();
  });

  it("approval.withdrawn names the votes cast before the abort (a two-person step alice voted on)", async () => {
    const { audit, runDesk, responderDesk } = desks(kind, () => at(60));
    const { approvalId } = await runDesk.request(request(TWO_PERSON), "manual", { requester: "event:aws.guardduty" });
    await expect(responderDesk.approve(approvalId, { as: lead("alice"), reason: "looks right", digest: DIGEST })).resolves.toMatchObject({ decision: "recorded" });
    await runDesk.withdraw([CONTAIN], ABORT);
    expect(audit.entries.find((e) => e.kind === "approval.withdrawn")?.body).toMatchObject({ by: "bob", reason: "wrong host", votes: [lead("alice").actor] });
    expect(await responderDesk.get(approvalId)).toMatchObject({ status: "withdrawn", votes: [expect.objectContaining({ by: lead("alice").actor })] });
    runDesk.close();
  });

  it("approval.expired of a wait the engine ended names the votes cast since the request too", async () => {
    const { audit, run, runDesk, responderDesk } = desks(kind, () => at(60));
    const { approvalId } = await runDesk.request(request(TWO_PERSON), "manual", { requester: "event:aws.guardduty" });
    await responderDesk.approve(approvalId, { as: lead("alice"), reason: "looks right", digest: DIGEST });
    run.gone.add("secret-task-token-123");
    await runDesk.poll();
    expect(audit.entries.find((e) => e.kind === "approval.expired")?.body).toMatchObject({ approvalId, votes: [lead("alice").actor] });
    runDesk.close();
  });
});

describe("withdraw after an answer landed that the run had not resumed yet (sqlite: answered from another terminal)", () => {
  /** The run's desk does not poll by itself here: the abort comes before it notices the answer. */
  async function answeredThenAborted(answer: "approve" | "reject") {
    const audit = new MemoryAuditLog();
    const run = engine();
    const dir = temp.dir();
    const runDesk = new SqliteApprovalDesk(temp.open(dir), { answers: run.port, now: () => at(60), audit, pollMs: 0 });
    const responderDesk = new SqliteApprovalDesk(temp.open(dir), { now: () => at(61), audit, pollMs: 0 });
    const { approvalId } = await runDesk.request(request(), "manual", { requester: "event:aws.guardduty" });
    if (answer === "approve") await responderDesk.approve(approvalId, { as: lead("alice"), reason: "go ahead", digest: DIGEST });
    else await responderDesk.reject(approvalId, { as: lead("alice"), reason: "not this host" });
    await runDesk.withdraw([CONTAIN], ABORT);
    // The stop ended the wait; the run's next look must not hand the answer to it.
    run.gone.add("secret-task-token-123");
    await runDesk.poll();
    runDesk.close();
    return { audit, run, runDesk, responderDesk, approvalId };
  }

  it("withdraws it keeping the votes, records that the approval came too late, and the timeline and report say so (not 'approved by alice')", async () => {
    const { audit, run, responderDesk, approvalId } = await answeredThenAborted("approve");
    expect(run.told).toEqual([]);
    const alice = lead("alice").actor;
    const answer = { decision: "approved", by: alice, reason: "go ahead" };
    expect(await responderDesk.get(approvalId)).toMatchObject({ status: "withdrawn", votes: [expect.objectContaining({ by: alice })], withdrawal: { by: "bob", reason: "wrong host", answer } });
    const entries = audit.entriesNow(request().incidentId);
    expect(entries.map((e) => e.kind)).toEqual(["approval.requested", "approval.approved", "approval.withdrawn"]);
    expect(entries[2]!.body).toMatchObject({ by: "bob", reason: "wrong host", votes: [alice], answer });

    const record = projectRecord(request().incidentId, entries);
    const late = `the incident was aborted by bob: wrong host (it had been approved by ${alice}, too late: the answer never reached the workflow)`;
    expect(record.timeline.at(-1)?.what).toBe(`contain/isolate-the-instance withdrawn: ${late}`);
    expect(record.approvals[0]?.decision).toMatchObject({ decision: "withdrawn", by: ["bob"], reason: "wrong host", lateAnswer: { decision: "approved", by: alice } });
    const report = buildReport(record, at(120));
    expect(report.approvals).toEqual([expect.objectContaining({ decision: "withdrawn", by: ["bob"] })]);
    expect(report.steps.find((step) => step.stepId === "contain/isolate-the-instance")).toMatchObject({ outcome: "withdrawn", summary: `withdrawn: ${late}` });
    // A later answer is refused, saying the same.
    await expect(responderDesk.approve(approvalId, { as: lead("carol"), reason: "again", digest: DIGEST })).rejects.toMatchObject({ code: "withdrawn", message: `approval ${approvalId} was withdrawn: ${late}` });
  });

  it("a rejection that had not reached the workflow is withdrawn the same way, saying it was rejected", async () => {
    const { audit, run, responderDesk, approvalId } = await answeredThenAborted("reject");
    expect(run.told).toEqual([]);
    const alice = lead("alice").actor;
    expect((await responderDesk.get(approvalId))?.withdrawal).toMatchObject({ answer: { decision: "rejected", by: alice, reason: "not this host" } });
    const record = projectRecord(request().incidentId, audit.entriesNow(request().incidentId));
    expect(record.approvals[0]?.decision).toMatchObject({ decision: "withdrawn", lateAnswer: { decision: "rejected", by: alice } });
  });

  it("an answer the run had already resumed keeps its decision: the abort withdraws nothing", async () => {
    const audit = new MemoryAuditLog();
    const run = engine();
    const runDesk = new SqliteApprovalDesk(temp.open(temp.dir()), { answers: run.port, now: () => at(60), audit, pollMs: 0 });
    const { approvalId } = await runDesk.request(request(), "manual", { requester: "event:aws.guardduty" });
    await runDesk.approve(approvalId, { as: lead("alice"), reason: "go ahead", digest: DIGEST });
    expect(run.told).toEqual(["success secret-task-token-123"]);
    await runDesk.withdraw([CONTAIN], ABORT);
    expect((await runDesk.get(approvalId))?.status).toBe("approved");
    expect(audit.entriesNow(request().incidentId).map((e) => e.kind)).toEqual(["approval.requested", "approval.approved"]);
  });

  it("a store that fails to withdraw leaves the approval watched: the next look withdraws it, not expires it", async () => {
    const audit = recordingAudit();
    const run = engine();
    const runDesk = new SqliteApprovalDesk(temp.open(temp.dir()), { answers: run.port, now: () => at(60), audit, pollMs: 0 });
    const { approvalId } = await runDesk.request(request(), "manual", { requester: "event:aws.guardduty" });
    vi.spyOn(SqliteApprovals.prototype, "markWithdrawn").mockImplementationOnce(() => {
      throw new Error("database is locked");
    });
    await expect(runDesk.withdraw([CONTAIN], ABORT)).rejects.toThrow("database is locked");
    run.gone.add("secret-task-token-123");
    await runDesk.poll();
    expect(audit.entries.map((e) => e.kind)).toEqual(["approval.requested", "approval.withdrawn"]);
    expect((await runDesk.get(approvalId))?.status).toBe("withdrawn");
    runDesk.close();
  });
});

describe("withdraw when the store failed, then the deadline passed", () => {
  it("the expiry sweep withdraws the aborted execution's approval instead of expiring it", async () => {
    let clock = at(60);
    const audit = recordingAudit();
    const run = engine();
    const runDesk = new SqliteApprovalDesk(temp.open(temp.dir()), { answers: run.port, now: () => clock, audit, pollMs: 0 });
    const { approvalId } = await runDesk.request(request({ timeoutSeconds: 100 }), "manual", { requester: "event:aws.guardduty" });
    vi.spyOn(SqliteApprovals.prototype, "markWithdrawn").mockImplementationOnce(() => {
      throw new Error("database is locked");
    });
    await expect(runDesk.withdraw([CONTAIN], ABORT)).rejects.toThrow("database is locked");
    clock = at(60 + 500);
    await runDesk.sweep();
    expect(audit.entries.map((e) => e.kind)).toEqual(["approval.requested", "approval.withdrawn"]);
    expect(await runDesk.get(approvalId)).toMatchObject({ status: "withdrawn", withdrawal: { by: "bob", reason: "wrong host" } });
    runDesk.close();
  });
});

describe.each([
  ["memory", () => new MemoryDeskStore()],
  ["sqlite", () => new SqliteApprovals(temp.open(temp.dir()))],
] as const)("markWithdrawn (%s store)", (_kind, storeOf: () => DeskStore) => {
  const votes = (by: string) => [{ by, reason: "go", at: at(10).toISOString() }];

  it("closes a pending approval, and an answered one not yet resumed (keeping its votes and the answer); not a resumed, expired or withdrawn one", () => {
    const store = storeOf();
    const withdrawal = { at: at(20), by: "bob", reason: "wrong host" };
    store.insert({ ...approval(), id: "apr-pending" }, "t1");
    store.insert({ ...approval(), id: "apr-answered" }, "t2");
    store.insert({ ...approval(), id: "apr-resumed" }, "t3");
    store.insert({ ...approval(), id: "apr-expired" }, "t4");
    for (const id of ["apr-answered", "apr-resumed"]) expect(store.vote(id, { votes: votes("alice"), expectedVotes: 0, decision: { status: "approved", at: at(10).toISOString() } }, at(10))).toBe(true);
    expect(store.claimResume("apr-resumed", at(11))).toBe("t3");
    expect(store.markExpired("apr-expired", at(12))).toBe(true);

    expect(store.markWithdrawn("apr-pending", withdrawal)).toBe(true);
    expect(store.view("apr-pending")?.withdrawal).toEqual({ by: "bob", reason: "wrong host", at: at(20).toISOString() });
    expect(store.markWithdrawn("apr-answered", withdrawal)).toBe(true);
    expect(store.view("apr-answered")).toMatchObject({ status: "withdrawn", votes: votes("alice"), withdrawal: { answer: { decision: "approved", by: "alice", reason: "go" } } });
    // Its token is never handed out now.
    expect(store.claimResume("apr-answered", at(21))).toBeUndefined();
    expect(store.decidedUnresumed(["apr-answered"])).toEqual([]);
    for (const id of ["apr-resumed", "apr-expired", "apr-pending", "apr-unknown"]) expect(store.markWithdrawn(id, withdrawal)).toBe(false);
    expect(store.view("apr-resumed")?.status).toBe("approved");
  });

  it("a rejection not yet resumed is kept as the answer, rejected, with who and why", () => {
    const store = storeOf();
    store.insert({ ...approval({ requiredApprovals: 2 }), id: "apr-1" }, "t1");
    // alice approved first; carol's rejection then decided the two-person step.
    expect(store.vote("apr-1", { votes: votes("alice"), expectedVotes: 0 }, at(10))).toBe(true);
    const rejection = { by: "carol", reason: "not this host", at: at(11).toISOString() };
    expect(store.vote("apr-1", { votes: votes("alice"), expectedVotes: 1, decision: { status: "rejected", at: rejection.at, rejection } }, at(11))).toBe(true);
    expect(store.markWithdrawn("apr-1", { at: at(20), by: "bob", reason: "wrong host" })).toBe(true);
    expect(store.view("apr-1")).toMatchObject({ status: "withdrawn", votes: votes("alice"), withdrawal: { answer: { decision: "rejected", by: "carol", reason: "not this host" } } });
  });
});
