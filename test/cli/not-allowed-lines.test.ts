import { describe, expect, it } from "vitest";
import { notAllowedLines } from "../../cli/commands/approval-prompt.js";
import { approval as approvalOf } from "../functions/approval/fixtures.js";

const approval = approvalOf({ approvers: ["arn:aws:iam::*:role/IncidentResponder"] });

describe("the prompt's lines for someone who may not answer", () => {
  it("names the identities file once, whether or not the state folder ends in a slash (the default one does)", () => {
    const carol = { actor: "carol", principals: ["arn:aws:iam::123456789012:role/Auditor"] };
    for (const stateFolder of ["/work/irflow/.irflow/", "/work/irflow/.irflow"]) {
      const hint = notAllowedLines(approval, carol, { flags: "", stateFolder }).at(-1)!;
      expect(hint).toContain("or pin names to roles in /work/irflow/.irflow/identities.yaml, or start the run with --as <name> --role IncidentResponder");
    }
  });
});
