/** ApprovalDesk.withdraw: an abort closes the approvals its executions waited at as withdrawn, with who and why. */
import { describe, expect, it } from "vitest";
import { checkAnswer } from "../../../functions/approval/check-answer.js";
import type { AuditAppender, AuditEntryInput } from "../../../functions/audit/audit-port.js";
import { MemoryApprovalDesk, type TaskAnswerPort } from "../../../workflows/local/incident/approval-desk.js";
import { SqliteApprovalDesk } from "../../../workflows/local/incident/sqlite-approval-desk.js";
import { approval, at, DIGEST, lead, request } from "../../functions/approval/fixtures.js";
import { useTempDatabases } from "../store/support.js";

const temp = useTempDatabases();

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
function desks(kind: "memory" | "sqlite", now: () => Date) {
  const audit = recordingAudit();
  const run = engine();
  if (kind === "memory") {
    const desk = new MemoryApprovalDesk({ answers: run.port, now, audit, pollMs: 10 });
    return { audit, run, runDesk: desk, responderDesk: desk };
  }
  const dir = temp.dir();
  const runDesk = new SqliteApprovalDesk(temp.open(dir), { answers: run.port, now, audit, pollMs: 10 });
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
