/** The one wording of a withdrawal, which the refusal, approvals show, the timeline and the report share. */
import { describe, expect, it } from "vitest";
import { withdrawalText } from "../../../functions/approval/withdrawal-text.js";

describe("withdrawalText", () => {
  it("says who aborted the incident and why", () => {
    expect(withdrawalText("bob", "wrong host")).toBe("the incident was aborted by bob: wrong host");
  });

  it("says an answer that had landed came too late to reach the workflow", () => {
    expect(withdrawalText("bob", "wrong host", { decision: "approved", by: "alice, carol" })).toBe(
      "the incident was aborted by bob: wrong host (it had been approved by alice, carol, too late: the answer never reached the workflow)",
    );
    expect(withdrawalText("bob", "wrong host", { decision: "rejected", by: "alice" })).toContain("it had been rejected by alice, too late");
  });
});
