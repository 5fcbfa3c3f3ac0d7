import { describe, expect, it } from "vitest";
import type { AuditAppender, AuditEntryInput } from "../../../functions/audit/audit-port.js";
import { MemoryApprovalDesk, type TaskAnswerPort } from "../../../workflows/local/incident/approval-desk.js";
import { at, request } from "../../functions/approval/fixtures.js";

/** An audit whose appends wait while `hold` is set, until `release`. */
function gatedAudit() {
  const entries: (AuditEntryInput & { incidentId: string })[] = [];
  let opened: () => void = () => undefined;
  let gate: Promise<void> | undefined;
  const audit: AuditAppender = {
    append: async (incidentId, entry) => {
      if (gate) await gate;
      entries.push({ incidentId, ...entry });
    },
  };
  return {
    audit,
    entries,
    hold: () => {
      gate = new Promise<void>((resolve) => (opened = resolve));
    },
    release: () => {
      gate = undefined;
      opened();
    },
  };
}

describe("LocalApprovalDesk.poll", () => {
  it("a call while a look is under way settles only after one more look, so a wait ended meanwhile is audited as expired", async () => {
    const gone = new Set<string>();
    const answers: TaskAnswerPort = { sendTaskSuccess: () => undefined, sendTaskFailure: () => undefined, isWaiting: (token) => !gone.has(token) };
    const { audit, entries, hold, release } = gatedAudit();
    const desk = new MemoryApprovalDesk({ answers, audit, now: () => at(60), pollMs: 0 });
    const first = await desk.request(request({ taskToken: "token-a", stepId: "contain/a" }), "manual");
    const second = await desk.request(request({ taskToken: "token-b", stepId: "contain/b" }), "manual");

    // The timer's look passes the first wait (still on) and stalls auditing the second's expiry.
    gone.add("token-b");
    hold();
    const underWay = desk.poll();
    await Promise.resolve();
    // Then the engine ends the first wait, and the runner asks before returning.
    gone.add("token-a");
    const asked = desk.poll();
    release();
    await underWay;
    await asked;
    const expired = entries.filter((e) => e.kind === "approval.expired").map((e) => (e.body as { approvalId: string }).approvalId);
    expect(expired.sort()).toEqual([first.approvalId, second.approvalId].sort());
    expect(await desk.get(first.approvalId)).toMatchObject({ status: "expired" });
    desk.close();
  });

  it("calls during one look share the next look; a failing look still lets the next one run", async () => {
    let looks = 0;
    const answers: TaskAnswerPort = {
      sendTaskSuccess: () => undefined,
      sendTaskFailure: () => undefined,
      isWaiting: () => {
        looks += 1;
        if (looks === 1) throw new Error("engine unavailable");
        return true;
      },
    };
    const desk = new MemoryApprovalDesk({ answers, now: () => at(60), pollMs: 0 });
    await desk.request(request(), "manual");
    const underWay = desk.poll();
    const [a, b] = [desk.poll(), desk.poll()];
    expect(a).toBe(b);
    await expect(underWay).rejects.toThrow("engine unavailable");
    await expect(a).resolves.toBeUndefined();
    expect(looks).toBe(2);
    desk.close();
  });
});
