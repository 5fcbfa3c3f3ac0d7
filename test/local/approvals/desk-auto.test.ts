import { describe, expect, it } from "vitest";
import { AUTO_APPROVER, MemoryApprovalDesk, type TaskAnswerPort } from "../../../workflows/local/incident/approval-desk.js";
import { at, request } from "../../functions/approval/fixtures.js";

describe("LocalApprovalDesk with auto-approval", () => {
  it("answers after the microtasks that follow the request (the engine's hand-over), before the event loop turns", async () => {
    const order: string[] = [];
    const answers: TaskAnswerPort = {
      sendTaskSuccess: (token) => order.push(`success ${token}`),
      sendTaskFailure: (token) => order.push(`failure ${token}`),
      isWaiting: () => true,
    };
    const desk = new MemoryApprovalDesk({ answers, now: () => at(60), pollMs: 0 });
    setImmediate(() => order.push("turn"));
    const { approvalId } = await desk.request(request({ taskToken: "token-a" }), "auto");
    // What the engine does with the returned request (TaskSubmitted) runs in these microtasks.
    void Promise.resolve().then(() => order.push("handed over"));
    expect(order).toEqual([]);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(order).toEqual(["handed over", "success token-a", "turn"]);
    expect(await desk.get(approvalId)).toMatchObject({ status: "approved", votes: [{ by: AUTO_APPROVER }] });
    desk.close();
  });
});
