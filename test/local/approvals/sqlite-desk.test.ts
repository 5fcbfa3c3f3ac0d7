import { describe, expect, it } from "vitest";
import type { AuditAppender, AuditEntryInput } from "../../../functions/audit/audit-port.js";
import { ApprovalRefused, type TaskAnswerPort } from "../../../workflows/local/incident/approval-desk.js";
import { SqliteApprovalDesk } from "../../../workflows/local/incident/sqlite-approval-desk.js";
import { at, DIGEST, lead, request, responder, T0 } from "../../functions/approval/fixtures.js";
import { useTempDatabases } from "../store/support.js";

const temp = useTempDatabases();

function recordingAudit(): AuditAppender & { entries: (AuditEntryInput & { incidentId: string })[] } {
  const entries: (AuditEntryInput & { incidentId: string })[] = [];
  return { entries, append: (incidentId, entry) => (entries.push({ incidentId, ...entry }), Promise.resolve()) };
}

/** The engine side: records what it was told; `gone` tokens answer like a timed-out task. */
function engine() {
  const told: { token: string; ok: boolean; output?: unknown; error?: string; cause?: string }[] = [];
  const gone = new Set<string>();
  const port: TaskAnswerPort = {
    sendTaskSuccess: (token, output) => {
      if (gone.has(token)) throw Object.assign(new Error("Task Timed Out"), { name: "TaskTimedOut" });
      told.push({ token, ok: true, output });
    },
    sendTaskFailure: (token, error, cause) => {
      if (gone.has(token)) throw Object.assign(new Error("Task Timed Out"), { name: "TaskTimedOut" });
      told.push({ token, ok: false, error, ...(cause !== undefined ? { cause } : {}) });
    },
    isWaiting: (token) => !gone.has(token),
  };
  return { port, told, gone };
}

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A run process (desk with the engine) and a responder process (its own connection, no engine). */
function twoProcesses(now: () => Date = () => at(60)) {
  const dir = temp.dir();
  const audit = recordingAudit();
  const run = engine();
  const runDesk = new SqliteApprovalDesk(temp.open(dir), { answers: run.port, now, audit, pollMs: 10 });
  const responderDesk = new SqliteApprovalDesk(temp.open(dir), { now, audit, pollMs: 0 });
  return { dir, audit, run, runDesk, responderDesk };
}

const refusal = (code: string): unknown => expect.objectContaining({ name: "ApprovalRefused", code });

describe("SqliteApprovalDesk across two connections", () => {
  it("an approval written by another process resumes the waiting run with the approvers and reasons; the token never leaves the store", async () => {
    const { run, runDesk, responderDesk, audit } = twoProcesses();
    const { approvalId } = await runDesk.request(request(), "manual", { requester: "event:aws.guardduty", details: [[{ resource: "i-0abc", action: "ModifyInstanceAttribute groups", before: ["sg-1"], after: ["sg-q"] }]] });
    const seen = await responderDesk.get(approvalId);
    expect(seen).toMatchObject({ status: "pending", digest: DIGEST, requester: "event:aws.guardduty", plans: [{ details: [{ before: ["sg-1"], after: ["sg-q"] }] }] });
    expect(JSON.stringify([seen, await responderDesk.list()])).not.toContain("secret-task-token");

    const decision = await responderDesk.approve(approvalId, { as: lead("alice"), reason: "host confirmed", digest: DIGEST.slice(0, 12) });
    expect(decision).toMatchObject({ decision: "approved", by: [lead("alice").actor] });
    await until(() => run.told.length === 1);
    expect(run.told[0]).toMatchObject({ token: "secret-task-token-123", ok: true, output: { approvalId, approvers: [lead("alice").actor], reasons: ["host confirmed"] } });
    expect(audit.entries.map((e) => e.kind)).toEqual(["approval.requested", "approval.approved"]);
    expect(JSON.stringify(audit.entries)).not.toContain("secret-task-token");
    runDesk.close();
  });

  it("a rejection from another process fails the waiting task with Rejected and the reason", async () => {
    const { run, runDesk, responderDesk } = twoProcesses();
    const { approvalId } = await runDesk.request(request(), "manual", { requester: "event:aws.guardduty" });
    await responderDesk.reject(approvalId, { as: lead("bob"), reason: "it is a honeypot" });
    await until(() => run.told.length === 1);
    expect(run.told[0]).toMatchObject({ ok: false, error: "Rejected", cause: expect.stringContaining("it is a honeypot") });
  });

  it("refuses, each with its own reason and an audit entry: unknown id, wrong approver, requester, digest mismatch, missing reason, replay", async () => {
    const { runDesk, responderDesk, audit, run } = twoProcesses();
    const { approvalId } = await runDesk.request(request(), "manual", { requester: lead("rita").actor });
    const answer = { as: lead("alice"), reason: "ok", digest: DIGEST.slice(0, 16) };
    await expect(responderDesk.approve("apr-forged", answer)).rejects.toEqual(refusal("not-found"));
    await expect(responderDesk.approve(approvalId, { ...answer, as: responder("bob") })).rejects.toEqual(refusal("not-allowed"));
    await expect(responderDesk.approve(approvalId, { ...answer, as: lead("rita") })).rejects.toEqual(refusal("requester"));
    await expect(responderDesk.approve(approvalId, { ...answer, digest: "0".repeat(12) })).rejects.toEqual(refusal("digest-mismatch"));
    await expect(responderDesk.approve(approvalId, { ...answer, reason: "" })).rejects.toEqual(refusal("reason-required"));
    await responderDesk.approve(approvalId, answer);
    await expect(responderDesk.approve(approvalId, { ...answer, as: lead("carol") })).rejects.toEqual(refusal("already-decided"));
    await expect(responderDesk.reject(approvalId, { as: lead("carol"), reason: "changed my mind" })).rejects.toEqual(refusal("already-decided"));
    await until(() => run.told.length === 1);
    const refused = audit.entries.filter((e) => e.kind === "approval.refused");
    expect(refused.map((e) => e.body.refusal)).toEqual(["not-allowed", "requester", "digest-mismatch", "reason-required", "already-decided", "already-decided"]);
    expect(refused.map((e) => e.actor)).toContain(lead("rita").actor);
    expect(run.told).toHaveLength(1);
  });

  it("a two-person step resumes only after two different approvers; the same person twice is refused", async () => {
    const { run, runDesk, responderDesk, audit } = twoProcesses();
    const { approvalId } = await runDesk.request(request({ requiredApprovals: 2 }), "manual", { requester: "event:aws.guardduty" });
    const answer = (name: string) => ({ as: lead(name), reason: `${name} agrees`, digest: DIGEST });
    expect(await responderDesk.approve(approvalId, answer("alice"))).toMatchObject({ decision: "recorded" });
    await expect(responderDesk.approve(approvalId, answer("alice"))).rejects.toEqual(refusal("duplicate-approver"));
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(run.told).toEqual([]);
    expect(await runDesk.approve(approvalId, answer("carol"))).toMatchObject({ decision: "approved", by: [lead("alice").actor, lead("carol").actor] });
    await until(() => run.told.length === 1);
    expect(run.told[0]).toMatchObject({ ok: true, output: { approvers: [lead("alice").actor, lead("carol").actor] } });
    expect(audit.entries.map((e) => e.kind)).toEqual(["approval.requested", "approval.vote-recorded", "approval.refused", "approval.approved"]);
  });

  it("two racing answers on two connections decide once and resume once", async () => {
    for (let round = 0; round < 20; round += 1) {
      const { run, runDesk, responderDesk } = twoProcesses();
      const { approvalId } = await runDesk.request(request(), "manual", { requester: "event:aws.guardduty" });
      const results = await Promise.allSettled([
        responderDesk.approve(approvalId, { as: lead("alice"), reason: "go", digest: DIGEST }),
        runDesk.reject(approvalId, { as: lead("bob"), reason: "stop" }),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      const lost = results.find((r) => r.status === "rejected");
      expect(lost?.status === "rejected" && lost.reason).toBeInstanceOf(ApprovalRefused);
      await until(() => run.told.length >= 1);
      await new Promise((resolve) => setTimeout(resolve, 25));
      expect(run.told).toHaveLength(1);
      runDesk.close();
    }
  });

  it("an answer after the wait timed out is refused as expired; the sweep reminds at 80% and expires at the deadline", async () => {
    let clock = at(60);
    const { run, runDesk, responderDesk, audit } = twoProcesses(() => clock);
    const { approvalId } = await runDesk.request(request({ timeoutSeconds: 100 }), "manual", { requester: "event:aws.guardduty" });
    clock = at(79);
    await runDesk.sweep();
    expect(audit.entries.map((e) => e.kind)).toEqual(["approval.requested"]);
    clock = at(60 + 81);
    await runDesk.sweep();
    await runDesk.sweep();
    expect(audit.entries.map((e) => e.kind)).toEqual(["approval.requested", "approval.reminded"]);
    // The engine's wait ended (States.Timeout): the run's poll marks it expired.
    run.gone.add("secret-task-token-123");
    await until(() => audit.entries.some((e) => e.kind === "approval.expired"));
    await expect(responderDesk.approve(approvalId, { as: lead("alice"), reason: "late", digest: DIGEST })).rejects.toEqual(refusal("expired"));
    expect(run.told).toEqual([]);
    expect((await responderDesk.get(approvalId))?.status).toBe("expired");
  });

  it("an answer racing the engine's timeout is refused as expired, not reported approved", async () => {
    const { run, runDesk } = twoProcesses();
    const { approvalId } = await runDesk.request(request(), "manual", { requester: "event:aws.guardduty" });
    runDesk.close();
    run.gone.add("secret-task-token-123");
    await expect(runDesk.approve(approvalId, { as: lead("alice"), reason: "go", digest: DIGEST })).rejects.toEqual(refusal("expired"));
    expect((await runDesk.get(approvalId))?.status).toBe("expired");
  });

  it("sweeps expire approvals whose deadline passed even without an engine", async () => {
    let clock = T0;
    const { responderDesk, runDesk, audit } = twoProcesses(() => clock);
    const { approvalId } = await runDesk.request(request({ timeoutSeconds: 10 }), "manual", { requester: "event:aws.guardduty" });
    clock = at(10);
    await responderDesk.sweep();
    expect((await responderDesk.get(approvalId))?.status).toBe("expired");
    expect(audit.entries.at(-1)).toMatchObject({ kind: "approval.expired", actor: "system:approval-sweep" });
    runDesk.close();
  });
});
