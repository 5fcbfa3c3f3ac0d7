import { readFile } from "node:fs/promises";
import { EC2Client, RevokeSecurityGroupIngressCommand } from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import type { LocalIncidentRunner } from "../../../workflows/local/incident/local-incident-runner.js";
import { runnerFor, scenario, withShortApprovalWaits } from "./support.js";

/**
 * The bundled demo's one question: closing SSH to the internet waits for a responder. The block
 * before it is automatic; the rule goes only on an approval, and Recover never puts it back.
 */

const RUNBOOK = "ssh-rdp-brute-force";
const GROUP = "sg-0123456789abcdef0";
const SSH_RULE = "sgr-0cc33dd44ee55ff66";
const STEP = "contain/close-the-port-to-the-internet";
const responder = (name: string) => ({ actor: name, principals: [`local:${name}`, "arn:aws:iam::000000000000:role/IncidentResponder"] });
const changes = (calls: { service: string; command: string }[]) => calls.map((c) => `${c.service}:${c.command}`);

async function pendingOf(runner: LocalIncidentRunner, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [pending] = await runner.approvals.list();
    if (pending) return pending;
    if (Date.now() > deadline) throw new Error("no approval was requested in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("ssh-rdp-brute-force: closing the port waits for a person", { timeout: 30_000 }, () => {
  it("blocks at once, then waits with the exact rule in the plan; nothing is revoked before the answer", async () => {
    const s = await scenario(RUNBOOK);
    const runner = await runnerFor(s);
    const run = runner.runIncident({ runbookId: RUNBOOK, event: s.event, approvals: "manual" });
    const pending = await pendingOf(runner);
    expect(pending).toMatchObject({ stepId: STEP, task: "ec2.revoke-security-group-rule", requiredApprovals: 1 });
    expect(JSON.stringify(pending.plans)).toContain(SSH_RULE);
    expect(changes(s.account.mutations())).toEqual(["ec2:CreateNetworkAclEntry", "ec2:CreateTags", "ec2:CreateNetworkAclEntry", "ec2:CreateTags", "sns:Publish"]);
    expect(s.account.snapshot().ec2.securityGroups[GROUP]?.ingress.map((r) => r.ruleId)).toContain(SSH_RULE);

    await runner.approvals.approve(pending.id, { as: responder("alice@example.com"), reason: "nobody needs SSH from the internet", digest: pending.digest });
    const result = await run;
    expect(result.status).toBe("resolved");
    expect(s.account.snapshot().ec2.securityGroups[GROUP]?.ingress.map((r) => r.ruleId)).not.toContain(SSH_RULE);
    // Recover did not reopen it: no authorize call at all.
    expect(changes(s.account.mutations())).not.toContain("ec2:AuthorizeSecurityGroupIngress");
    expect(await readFile(result.reportLocation!, "utf8")).toContain(`| ${STEP} | approved | alice@example.com as IncidentResponder | nobody needs SSH from the internet |`);
  });

  it("a rejection leaves the port open, fails the incident with the rejection recorded, and still blocks and reports", async () => {
    const s = await scenario(RUNBOOK);
    const runner = await runnerFor(s);
    const run = runner.runIncident({ runbookId: RUNBOOK, event: s.event, approvals: "manual" });
    const pending = await pendingOf(runner);
    await runner.approvals.reject(pending.id, { as: responder("bob@example.com"), reason: "the bastion must stay reachable for the vendor" });

    const result = await run;
    expect(result).toMatchObject({ status: "failed", outcome: { status: "FAILED", error: "IncidentFailed" } });
    const state = s.account.snapshot();
    expect(state.ec2.securityGroups[GROUP]?.ingress.map((r) => r.ruleId)).toContain(SSH_RULE);
    expect(changes(s.account.mutations())).not.toContain("ec2:RevokeSecurityGroupIngress");
    // The block before the question stands; the finding stays active for the follow-up.
    expect(state.ec2.networkAcls["acl-0e1f2a3b4c5d6e7f8"]?.entries.filter((e) => e.cidr === "203.0.113.77/32")).toHaveLength(2);
    expect(state.guardduty.detectors["3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b"]?.findings["a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1"]).toMatchObject({ archived: false });

    const record = runner.records.get(result.incidentId!)!;
    expect(record.failures).toEqual([expect.objectContaining({ stepId: STEP, error: "Rejected", cause: expect.stringContaining("vendor") })]);
    expect(record.approvals).toEqual([expect.objectContaining({ decision: expect.objectContaining({ decision: "rejected", by: ["bob@example.com"] }) })]);
    const report = await readFile(result.reportLocation!, "utf8");
    expect(report).toContain("Outcome: **FAILED**");
    expect(report).toContain(`| ${STEP} | rejected | bob@example.com as IncidentResponder | the bastion must stay reachable for the vendor |`);
    // The foreach's one item never ran: its row says rejected, not failed, and there is no other row for the step.
    expect(report).toContain(`| ${STEP} [0] | ec2.revoke-security-group-rule | rejected | RS.MI-01 |`);
    expect(report.match(new RegExp(`^\\| ${STEP}( \\[\\d+\\])? \\| ec2`, "gm"))).toHaveLength(1);
    expect(record.timeline.map((t) => t.what)).toContain(`${STEP} did not run: its approval was rejected (Rejected)`);
  });

  it("asks nothing when no rule opens the port to the world", async () => {
    const s = await scenario(RUNBOOK);
    // Someone already closed SSH to the world: the block still runs, nobody is asked.
    await s.account.clientProvider()(EC2Client).send(new RevokeSecurityGroupIngressCommand({ GroupId: GROUP, SecurityGroupRuleIds: [SSH_RULE] }));
    const before = s.account.mutations().length;
    const runner = await runnerFor(s);
    const result = await runner.runIncident({ runbookId: RUNBOOK, event: s.event, approvals: "manual" });
    expect(result.status).toBe("resolved");
    expect(runner.records.get(result.incidentId!)?.approvals).toEqual([]);
    expect(changes(s.account.mutations().slice(before))).toEqual(["ec2:CreateNetworkAclEntry", "ec2:CreateTags", "ec2:CreateNetworkAclEntry", "ec2:CreateTags", "sns:Publish", "guardduty:ArchiveFindings", "guardduty:UpdateFindingsFeedback"]);
  });

  it("an unanswered approval times out and aborts (never proceeds, no escalation): the port stays open and the incident fails", async () => {
    const s = await scenario(RUNBOOK);
    const runner = await runnerFor(s, { definitions: await withShortApprovalWaits(RUNBOOK) });
    const result = await runner.runIncident({ runbookId: RUNBOOK, event: s.event, approvals: "manual" });
    expect(result.status).toBe("failed");
    const record = runner.records.get(result.incidentId!)!;
    expect(record.failures).toEqual([expect.objectContaining({ stepId: STEP, error: "States.Timeout" })]);
    // One request, never escalated: on-timeout is abort.
    expect(record.approvals.map((a) => a.approval.approvers)).toEqual([["arn:aws:iam::*:role/IncidentResponder"]]);
    expect(s.account.snapshot().ec2.securityGroups[GROUP]?.ingress.map((r) => r.ruleId)).toContain(SSH_RULE);
    expect(changes(s.account.mutations())).not.toContain("ec2:RevokeSecurityGroupIngress");
  });
});
