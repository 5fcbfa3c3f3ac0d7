import { describe, expect, it } from "vitest";
import type { ApprovalView } from "../../functions/approval/approval.js";
import { notAllowedLines } from "../../cli/commands/approval-prompt.js";

const approval: ApprovalView = {
  id: "apr-1",
  incidentId: "inc-1",
  executionId: "arn:exec:contain",
  runbookId: "x",
  stepId: "contain/isolate",
  stepTitle: "Isolate the instance",
  task: "ec2.isolate-instance",
  risk: "reversible",
  plans: [{ digest: "a".repeat(64), summary: "isolate i-1", changes: 1 }],
  digest: "0123456789abcdef".repeat(4),
  approvers: ["arn:aws:iam::*:role/IncidentResponder"],
  requiredApprovals: 1,
  requester: "event:aws.guardduty",
  requestedAt: "2026-11-25T00:00:00Z",
  deadline: "2026-11-25T00:30:00Z",
  timeoutSeconds: 1800,
  onTimeout: "abort",
  escalation: false,
  status: "pending",
  votes: [],
};

describe("the prompt's lines for someone who may not answer", () => {
  it("names the identities file once, whether or not the state folder ends in a slash (the default one does)", () => {
    const carol = { actor: "carol", principals: ["arn:aws:iam::123456789012:role/Auditor"] };
    for (const stateFolder of ["/work/irflow/.irflow/", "/work/irflow/.irflow"]) {
      const hint = notAllowedLines(approval, carol, { flags: "", stateFolder }).at(-1)!;
      expect(hint).toContain("or pin names to roles in /work/irflow/.irflow/identities.yaml, or start the run with --as <name> --role IncidentResponder");
    }
  });
});
