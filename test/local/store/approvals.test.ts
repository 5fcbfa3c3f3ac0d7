import { describe, expect, it } from "vitest";
import { SqliteApprovals, type NewApproval } from "../../../workflows/local/store/sqlite-approvals.js";
import { useTempDatabases } from "./support.js";

const temp = useTempDatabases();

const T0 = Date.parse("2026-11-24T12:00:00.000Z");
const at = (seconds: number) => new Date(T0 + seconds * 1000);

function pending(id: string, overrides: Partial<NewApproval> = {}): NewApproval {
  return {
    approvalId: id,
    incidentId: "inc-1",
    stepId: "isolate",
    requestedAt: at(0).toISOString(),
    deadline: at(3600).toISOString(),
    approvers: ["alice", "role:ir-lead"],
    plan: { changes: [{ resource: "i-1", action: "ModifyInstanceAttribute groups" }] },
    digest: "sha256:abc",
    taskToken: `token-${id}`,
    ...overrides,
  };
}

describe("SqliteApprovals", () => {
  it("creates pending approvals and lists them, oldest first, by incident, never with the token", () => {
    const approvals = new SqliteApprovals(temp.fresh());
    const created = approvals.createPending(pending("ap-1"));
    approvals.createPending(pending("ap-0", { requestedAt: at(-10).toISOString() }));
    approvals.createPending(pending("ap-2", { incidentId: "inc-2" }));
    expect(created).toEqual({
      approvalId: "ap-1",
      incidentId: "inc-1",
      stepId: "isolate",
      status: "pending",
      requestedAt: at(0).toISOString(),
      deadline: at(3600).toISOString(),
      approvers: ["alice", "role:ir-lead"],
      plan: { changes: [{ resource: "i-1", action: "ModifyInstanceAttribute groups" }] },
      digest: "sha256:abc",
    });
    expect(approvals.listPending().map((a) => a.approvalId)).toEqual(["ap-0", "ap-1", "ap-2"]);
    expect(approvals.listPending({ incidentId: "inc-2" }).map((a) => a.approvalId)).toEqual(["ap-2"]);
    expect(JSON.stringify([approvals.listPending(), approvals.get("ap-1")])).not.toContain("token-");
    expect(approvals.get("nope")).toBeUndefined();
    expect(() => approvals.createPending(pending("ap-1"))).toThrow(/UNIQUE/);
  });

  it("decides once: the winner gets the token, a second answer is told it was already decided", () => {
    const approvals = new SqliteApprovals(temp.fresh());
    approvals.createPending(pending("ap-1"));
    const first = approvals.decide("ap-1", { outcome: "approved", by: "alice", comment: "go" }, { now: at(60) });
    expect(first).toEqual({
      decided: true,
      taskToken: "token-ap-1",
      approval: expect.objectContaining({ status: "approved", decidedBy: "alice", decidedAt: at(60).toISOString(), comment: "go" }),
    });
    const second = approvals.decide("ap-1", { outcome: "rejected", by: "bob" }, { now: at(61) });
    expect(second).toEqual({ decided: false, reason: "already-decided", approval: expect.objectContaining({ status: "approved", decidedBy: "alice" }) });
    expect(approvals.listPending()).toEqual([]);
    expect(approvals.decide("nope", { outcome: "approved", by: "alice" }, { now: at(60) })).toEqual({ decided: false, reason: "not-found" });
  });

  it("refuses an answer at or after the deadline, and expire() marks those pending as expired once", () => {
    const approvals = new SqliteApprovals(temp.fresh());
    approvals.createPending(pending("ap-1"));
    approvals.createPending(pending("ap-2", { deadline: at(7200).toISOString() }));
    expect(approvals.decide("ap-1", { outcome: "approved", by: "alice" }, { now: at(3600) })).toMatchObject({ decided: false, reason: "expired" });
    expect(approvals.get("ap-1")!.status).toBe("pending");
    const expired = approvals.expire(at(3600));
    expect(expired).toEqual([{ taskToken: "token-ap-1", approval: expect.objectContaining({ approvalId: "ap-1", status: "expired", decidedAt: at(3600).toISOString() }) }]);
    expect(approvals.expire(at(3600))).toEqual([]);
    expect(approvals.decide("ap-1", { outcome: "approved", by: "alice" }, { now: at(3700) })).toMatchObject({ decided: false, reason: "expired" });
    expect(approvals.listPending().map((a) => a.approvalId)).toEqual(["ap-2"]);
  });

  it("refuses times that are not times", () => {
    const approvals = new SqliteApprovals(temp.fresh());
    expect(() => approvals.createPending(pending("ap-1", { deadline: "tomorrow" }))).toThrow(/deadline tomorrow is not a time/);
  });

  it("is seen by a second connection (another terminal) as soon as it is written", () => {
    const dir = temp.dir();
    const runner = new SqliteApprovals(temp.open(dir));
    const responder = new SqliteApprovals(temp.open(dir));
    runner.createPending(pending("ap-1"));
    expect(responder.listPending().map((a) => a.approvalId)).toEqual(["ap-1"]);
    expect(responder.decide("ap-1", { outcome: "rejected", by: "alice" }, { now: at(5) })).toMatchObject({ decided: true, taskToken: "token-ap-1" });
    expect(runner.get("ap-1")!.status).toBe("rejected");
  });
});
