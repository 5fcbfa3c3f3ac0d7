import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import type { IncidentProgress, IncidentRunResult } from "../../../workflows/local/incident/local-incident-runner.js";
import { until } from "../../support/eventually.js";
import { runnerFor, scenario } from "./support.js";

/** A responder holding the runbooks' default approver role (local identities are names with roles). */
const responder = (name: string) => ({ actor: name, principals: [`local:${name}`, "arn:aws:iam::000000000000:role/IncidentResponder"] });
const changes = (calls: { service: string; command: string }[]) => calls.map((c) => `${c.service}:${c.command}`);

describe("duplicate deliveries", () => {
  it("a second delivery of the same event, at the same time, joins the open incident and changes nothing more", async () => {
    const s = await scenario("ssh-rdp-brute-force");
    const runner = await runnerFor(s);
    const [first, second] = await Promise.all([
      runner.runIncident({ runbookId: "ssh-rdp-brute-force", event: s.event, approvals: "auto" }),
      runner.runIncident({ runbookId: "ssh-rdp-brute-force", event: s.event, approvals: "auto" }),
    ]);
    const statuses = [first, second].map((r) => r.status).sort();
    expect(statuses).toEqual(["joined", "resolved"]);
    expect(first.incidentId).toBe(second.incidentId);
    expect(changes(s.account.mutations())).toEqual(["ec2:CreateNetworkAclEntry", "ec2:CreateTags", "ec2:CreateNetworkAclEntry", "ec2:CreateTags", "sns:Publish", "ec2:RevokeSecurityGroupIngress", "guardduty:ArchiveFindings", "guardduty:UpdateFindingsFeedback"]);
  });

  it("a redelivery after the run joins the incident (still inside its window) without a second change", async () => {
    const s = await scenario("public-s3-bucket");
    const runner = await runnerFor(s);
    const first = await runner.runIncident({ runbookId: "public-s3-bucket", event: s.event, approvals: "auto" });
    const before = s.account.mutations().length;
    const again = await runner.runIncident({ runbookId: "public-s3-bucket", event: s.event, approvals: "auto" });
    expect(first.status).toBe("resolved");
    expect(again).toMatchObject({ status: "joined", incidentId: first.incidentId, outcome: { status: "SUCCEEDED" } });
    expect(again.reportLocation).toBe(first.reportLocation);
    expect(s.account.mutations()).toHaveLength(before);
  });
});

describe("a throttled account (throttleRate 0.3)", () => {
  it.each([
    ["ssh-rdp-brute-force", { "ec2:CreateNetworkAclEntry": 2, "ec2:CreateTags": 2, "sns:Publish": 1, "ec2:RevokeSecurityGroupIngress": 1, "guardduty:ArchiveFindings": 1, "guardduty:UpdateFindingsFeedback": 1 }],
    ["iam-access-key-compromise", { "iam:UpdateAccessKey": 1, "iam:PutUserPolicy": 1, "sns:Publish": 2, "guardduty:ArchiveFindings": 1, "guardduty:UpdateFindingsFeedback": 1 }],
  ] as const)("%s still completes, each change applied exactly once", async (name, expected) => {
    const s = await scenario(name, { faults: { seed: 11, throttleRate: 0.3 } });
    const runner = await runnerFor(s);
    const result = await runner.runIncident({ runbookId: name, event: s.event, approvals: "auto" });
    expect(result.status).toBe("resolved");
    expect(s.account.calls.filter((c) => c.fault !== undefined).length).toBeGreaterThan(0);
    const counts: Record<string, number> = {};
    for (const call of changes(s.account.mutations())) counts[call] = (counts[call] ?? 0) + 1;
    expect(counts).toEqual(expected);
  });

  // An S3 step makes ~5 calls an attempt; it used to run out of Transient retries at 0.3 when the
  // simulated clients skipped the SDK's own retries. The account now sits below the SDK's retry
  // middleware (standard mode, 3 attempts), as the service does, and the incident completes.
  it("public-s3-bucket (S3, ~5 calls a step) completes at 0.3 with the SDK's retries, and applies no change twice", async () => {
    const s = await scenario("public-s3-bucket", { faults: { seed: 11, throttleRate: 0.3 } });
    const runner = await runnerFor(s);
    const result = await runner.runIncident({ runbookId: "public-s3-bucket", event: s.event, approvals: "auto" });
    expect(result.status).toBe("resolved");
    expect(s.account.calls.filter((c) => c.fault === "throttle").length).toBeGreaterThan(0);
    const s3Changes = changes(s.account.mutations()).filter((c) => c.startsWith("s3:"));
    expect(new Set(s3Changes).size).toBe(s3Changes.length);
  });
});

describe("manual approval", () => {
  it("lists the pending approval without its token; a rejection records the failure, runs post-incident and ends FAILED", async () => {
    const s = await scenario("ec2-instance-compromise");
    const runner = await runnerFor(s);
    const progress: IncidentProgress[] = [];
    const run = runner.runIncident({ runbookId: "ec2-instance-compromise", event: s.event, approvals: "manual", onEvent: (p) => progress.push(p) });

    const pending = await until(async () => (await runner.approvals.list())[0], 3000);
    expect(pending).toMatchObject({ stepId: "contain/isolate-the-instance", task: "ec2.isolate-instance", requiredApprovals: 1, plans: [{ changes: expect.any(Number) }] });
    const token = runner.engine.pendingTokens()[0]!.token;
    expect(JSON.stringify(await runner.approvals.list())).not.toContain(token);
    expect(Object.keys(pending)).not.toContain("taskToken");
    expect(changes(s.account.mutations())).not.toContain("ec2:ModifyNetworkInterfaceAttribute");

    const decision = await runner.approvals.reject(pending.id, { as: responder("alice@example.com"), reason: "the instance is a honeypot" });
    expect(decision).toMatchObject({ decision: "rejected", by: ["alice@example.com"] });
    await expect(runner.approvals.approve(pending.id, { as: responder("bob@example.com"), reason: "too late", digest: pending.digest })).rejects.toMatchObject({ name: "ApprovalRefused", code: "already-decided" });

    const result: IncidentRunResult = await run;
    expect(result).toMatchObject({ status: "failed", outcome: { status: "FAILED", error: "IncidentFailed" } });
    const record = runner.records.get(result.incidentId!)!;
    expect(record.failures).toEqual([expect.objectContaining({ stepId: "contain/isolate-the-instance", error: "Rejected", cause: expect.stringContaining("honeypot") })]);
    expect(record.approvals).toEqual([expect.objectContaining({ decision: expect.objectContaining({ decision: "rejected" }) })]);
    // Nothing after the rejected step ran; the snapshots before it did.
    const mutations = changes(s.account.mutations());
    expect(mutations).toContain("ec2:CreateSnapshots");
    expect(mutations).not.toContain("ec2:ModifyNetworkInterfaceAttribute");
    expect(mutations).not.toContain("iam:PutRolePolicy");

    const phases = (key: string) => progress.filter((p) => p.machineKey === key && p.event.type.startsWith("Execution")).map((p) => p.event.type);
    expect(phases("ec2-instance-compromise/contain")).toEqual(["ExecutionStarted", "ExecutionFailed"]);
    expect(phases("ec2-instance-compromise/post-incident")).toEqual(["ExecutionStarted", "ExecutionSucceeded"]);
    expect(phases("ec2-instance-compromise/eradicate")).toEqual([]);
    expect(progress.every((p, i) => i === 0 || p.event.timestamp >= progress[i - 1]!.event.timestamp)).toBe(true);

    const report = await readFile(result.reportLocation!, "utf8");
    expect(report).toContain("Outcome: **FAILED**");
    expect(report).toContain("| contain/isolate-the-instance | rejected | alice@example.com as IncidentResponder | the instance is a honeypot |");
    expect(report).toContain("contain/isolate-the-instance: Rejected");
    expect(report).toContain("CreateSnapshots");
    expect(report).not.toContain(token);
  });

  it("an approval lets the step act; the approver is in the record and the report", async () => {
    const s = await scenario("flow-log-known-bad-traffic");
    const runner = await runnerFor(s);
    const run = runner.runIncident({ runbookId: "flow-log-known-bad-traffic", event: s.event, approvals: "manual" });
    const pending = await until(async () => (await runner.approvals.list())[0], 3000);
    expect(pending.stepId).toBe("contain/isolate-the-instance");
    await runner.approvals.approve(pending.id, { as: responder("alice@example.com"), reason: "confirmed with team-data", digest: pending.digest });
    // The capture after isolation works (the quarantine group keeps HTTPS to the SSM endpoints);
    // the next approval is the termination's, which is refused here.
    const next = await until(async () => (await runner.approvals.list()).find((a) => a.id !== pending.id), 3000);
    expect(next.stepId).toBe("eradicate/terminate-the-instance");
    await runner.approvals.reject(next.id, { as: { actor: "bob@example.com", principals: ["arn:aws:iam::000000000000:role/IncidentLead"] }, reason: "keep it for the forensics team" });
    const result = await run;
    expect(result.status).toBe("failed");
    expect(changes(s.account.mutations())).toContain("ssm:SendCommand");
    expect(changes(s.account.mutations())).not.toContain("ec2:TerminateInstances");
    expect(changes(s.account.mutations())).toContain("ec2:ModifyNetworkInterfaceAttribute");
    expect(runner.records.get(result.incidentId!)?.approvals[0]?.decision).toMatchObject({ decision: "approved", by: ["alice@example.com"] });
    expect(await readFile(result.reportLocation!, "utf8")).toContain("| contain/isolate-the-instance | approved | alice@example.com as IncidentResponder |");
  });
});


describe("progress events", () => {
  it("each incident's listener gets exactly its own executions' events, with their machines; nothing is kept about them once they end", async () => {
    const s = await scenario("ssh-rdp-brute-force");
    const runner = await runnerFor(s);
    const seen: IncidentProgress[][] = [[], []];
    const events = [s.event, { ...s.event, id: "a-second-event-0000" }];
    const results = await Promise.all(events.map((event, i) => runner.runIncident({ runbookId: "ssh-rdp-brute-force", event, approvals: "auto", name: `progress-${i}`, onEvent: (p) => seen[i]!.push(p) })));
    for (const [i, progress] of seen.entries()) {
      // Every execution of the incident, each from its start to its end, and no other incident's.
      const executions = [...new Set(progress.map((p) => p.executionArn))];
      expect(executions[0]).toBe(results[i]!.executionArn);
      for (const arn of executions) {
        const own = progress.filter((p) => p.executionArn === arn);
        expect(own[0]?.event.type).toBe("ExecutionStarted");
        expect(own.at(-1)?.event.type).toMatch(/^Execution(Succeeded|Failed|Aborted|TimedOut)$/);
        expect(new Set(own.map((p) => p.machineKey)).size).toBe(1);
        expect(runner.engine.describeExecution(arn)?.machineKey).toBe(own[0]?.machineKey);
      }
      expect(executions.some((arn) => seen[1 - i]!.some((p) => p.executionArn === arn))).toBe(false);
      // The same finding twice: one incident runs every phase, the other joins it after detect.
      const machines = [...new Set(progress.map((p) => p.machineKey.split("/")[1]))].sort();
      expect(machines).toEqual(results[i]!.status === "resolved" ? ["contain", "detect", "eradicate", "incident", "post-incident", "recover"] : ["detect", "incident"]);
    }
    expect(results.map((r) => r.status).sort()).toEqual(["joined", "resolved"]);
    expect((runner as unknown as { lineage: Map<string, unknown> }).lineage.size).toBe(0);
  });
});
