import { readdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import type { Scenario } from "../../../workflows/local/simulated-account/index.js";
import type { IncidentRunResult, LocalIncidentRunner } from "../../../workflows/local/incident/local-incident-runner.js";
import { runnerFor, scenario, SCENARIOS } from "./support.js";

/**
 * Every scenario of test/scenarios, run end to end: its runbook's generated machines on the local
 * engine, the real tasks against the simulated account, auto-approval, and a written report.
 */

type State = ReturnType<Scenario["account"]["snapshot"]>;
interface Run {
  readonly s: Scenario;
  readonly runner: LocalIncidentRunner;
  readonly result: IncidentRunResult;
  readonly state: State;
  readonly report: string;
}

const messages = (state: State, audience: string) => Object.entries(state.sns.topics).find(([arn]) => arn.endsWith(`:irflow-${audience}`))?.[1].messages ?? [];
const failedStep = (run: Run) => run.runner.records.get(run.result.incidentId!)?.failures.map((f) => `${f.stepId} ${f.error}`);
const mutationNames = (s: Scenario) => s.account.mutations().map((c) => `${c.service}:${c.command}`);

/** The memory image is in the evidence bucket and the incident record holds its SHA-256, the same S3 keeps. */
function expectMemoryCaptured(run: Run, instanceId: string, sizeBytes: number): void {
  const runs = run.runner.records.get(run.result.incidentId!)?.steps.filter((st) => st.record.mode === "run" && st.record.task === "ec2.capture-memory") ?? [];
  expect(runs).toHaveLength(1);
  const evidence = runs[0]!.record.evidence[0]!;
  expect(evidence).toMatchObject({ kind: "ec2-instance-memory", sizeBytes, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  expect(evidence.location).toMatch(new RegExp(`^s3://irflow-evidence-123456789012/.*${instanceId}`));
  // The recorded SHA-256 is that of the bytes S3 holds.
  const objects = Object.values(run.state.s3.buckets["irflow-evidence-123456789012"]!.objects);
  expect(objects).toContainEqual(expect.objectContaining({ size: sizeBytes, sha256: evidence.sha256 }));
}

const checks: Record<string, (run: Run) => void> = {
  "ssh-rdp-brute-force": ({ result, state, s, report, runner }) => {
    expect(result.status).toBe("resolved");
    const acl = state.ec2.networkAcls["acl-0e1f2a3b4c5d6e7f8"]!;
    const denies = acl.entries.filter((e) => e.cidr === "203.0.113.77/32");
    expect(denies).toHaveLength(2);
    expect(denies).toEqual(expect.arrayContaining([expect.objectContaining({ ruleNumber: 1, egress: false, action: "deny" }), expect.objectContaining({ ruleNumber: 1, egress: true, action: "deny" })]));
    expect(Object.keys(acl.tags).filter((k) => k.startsWith("irflow:"))).toEqual(["irflow:block:in:1", "irflow:block:out:1"]);
    expect(messages(state, "owner")).toHaveLength(1);
    expect(messages(state, "owner")[0]?.subject).toContain("closing port 22");
    expect(state.guardduty.detectors["3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b"]?.findings["a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1"]).toMatchObject({ archived: true, feedback: "USEFUL" });
    // The approved close removed the world-open SSH rule, and only it; Recover did not put it back.
    expect(state.ec2.securityGroups["sg-0123456789abcdef0"]?.ingress.map((r) => r.ruleId)).toEqual(["sgr-0aa11bb22cc33dd44", "sgr-0bb22cc33dd44ee55"]);
    expect(s.account.callsTo("ec2", "AuthorizeSecurityGroupIngress")).toEqual([]);
    const revoke = runner.records.get(result.incidentId!)?.steps.find((st) => st.record.mode === "run" && st.record.task === "ec2.revoke-security-group-rule");
    expect(revoke?.record.undo).toMatchObject({ task: "ec2.restore-security-group-rule", input: { ruleId: "sgr-0cc33dd44ee55ff66", fromPort: 22, cidr: "0.0.0.0/0" } });
    // Untouched: the private subnet's default ACL.
    expect(state.ec2.networkAcls["acl-0f1e2d3c4b5a69780"]?.entries.some((e) => e.action === "deny")).toBe(false);
    expect(mutationNames(s)).toEqual(["ec2:CreateNetworkAclEntry", "ec2:CreateTags", "ec2:CreateNetworkAclEntry", "ec2:CreateTags", "sns:Publish", "ec2:RevokeSecurityGroupIngress", "guardduty:ArchiveFindings", "guardduty:UpdateFindingsFeedback"]);
    expect(report).toContain("CreateNetworkAclEntry");
    expect(report).toContain("203.0.113.77/32");
    expect(report).toContain("RevokeSecurityGroupIngress sgr-0cc33dd44ee55ff66");
  },

  "security-group-open-to-world": ({ result, state, report }) => {
    expect(result.status).toBe("resolved");
    const group = state.ec2.securityGroups["sg-0123456789abcdef0"]!;
    expect(group.ingress.map((r) => r.ruleId)).toEqual(["sgr-0f1e2d3c4b5a69780"]);
    expect(group.ingress.some((r) => r.cidr === "0.0.0.0/0")).toBe(false);
    expect(group.egress.map((r) => r.ruleId)).toEqual(["sgr-0e1d2c3b4a5968770", "sgr-0e1d2c3b4a5968771"]);
    expect(messages(state, "owner")).toHaveLength(1);
    expect(report).toContain("sgr-0aa11bb22cc33dd44");
  },

  "public-s3-bucket": ({ result, state, s, report }) => {
    expect(result.status).toBe("resolved");
    const bucket = state.s3.buckets["acme-marketing-assets"]!;
    expect(bucket.public).toEqual({ acl: false, policy: false });
    expect(bucket.publicAccessBlock).toEqual({ blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: true, restrictPublicBuckets: true });
    expect(bucket.grants.map((g) => g.grantee)).not.toContain("http://acs.amazonaws.com/groups/global/AllUsers");
    expect(bucket.grants.filter((g) => g.grantee.endsWith("/LogDelivery"))).toHaveLength(2);
    expect((bucket.policy as { Statement: { Sid: string }[] }).Statement.map((st) => st.Sid)).toEqual(["CloudFrontRead"]);
    // The configuration before the change is evidence, in the evidence bucket.
    expect(Object.keys(state.s3.buckets["irflow-evidence-123456789012"]!.objects)).toHaveLength(1);
    expect(report).toMatch(/## Evidence\n\n- [a-z0-9-]+: `s3:\/\/irflow-evidence-123456789012\//);
    expect(report).toContain("PutPublicAccessBlock");
    // The account-level block was read (the account has none), for this account.
    expect(s.account.callsTo("s3control", "GetPublicAccessBlock").map((c) => c.input)).toEqual([{ AccountId: "123456789012" }]);
    expect(state.s3control.publicAccessBlock).toBeNull();
  },

  "iam-access-key-compromise": ({ result, state, report }) => {
    expect(result.status).toBe("resolved");
    const user = state.iam.users["ci-deployer"]!;
    expect(user.accessKeys).toEqual([expect.objectContaining({ accessKeyId: "AKIAQ3EGCIDEPLOYER01", status: "Inactive" }), expect.objectContaining({ accessKeyId: "AKIAQ3EGCIDEPLOYER02", status: "Inactive" })]);
    expect(user.inlinePolicies).toHaveProperty("AWSRevokeOlderSessions");
    // The scenario's notes say "consoleLogin: removed", but the runbook removes the password only
    // for console sign-in findings (`$.trigger.type` matches *ConsoleLogin*); this is MaliciousIPCaller.
    expect(user.loginProfile).not.toBeNull();
    expect(state.iam.users["break-glass"]?.loginProfile).not.toBeNull();
    expect(messages(state, "owner").length).toBeGreaterThanOrEqual(1);
    expect(Object.values(state.guardduty.detectors)[0]?.findings).toSatisfy((findings: Record<string, { archived: boolean; feedback: string | null }>) => Object.values(findings).every((f) => f.archived && f.feedback === "USEFUL"));
    expect(report).toContain("AKIAQ3EGCIDEPLOYER01");
  },

  "iam-hygiene": (run) => {
    const { result, state, report } = run;
    // break-glass is tagged irflow:exempt: its key is refused (PreconditionFailed) and skipped,
    // recorded with the reason, while alice's key is deactivated and Eradicate still runs.
    expect(result.status).toBe("resolved");
    expect(failedStep(run)).toEqual(["contain/deactivate-keys-past-90-days PreconditionFailed (item 0 skipped)"]);
    expect(state.iam.users.alice?.accessKeys.find((k) => k.accessKeyId === "AKIAQ3EGALICE0000001")?.status).toBe("Inactive");
    expect(state.iam.users["break-glass"]?.accessKeys.every((k) => k.status === "Active")).toBe(true);
    expect(state.iam.users.carol?.loginProfile).toBeNull();
    expect(state.iam.users.dave?.loginProfile).not.toBeNull();
    const owner = messages(state, "owner").map((m) => (m as { subject?: string }).subject);
    // Only the key that was deactivated gets the "deactivated" notice; the skipped one does not.
    expect(owner).toContain("Access key AKIAQ3EGALICE0000001 deactivated at 90 days");
    expect(owner.filter((subject) => subject?.includes("AKIAQ3EGBREAKGLASS01"))).toEqual([]);
    expect(owner).toContain("Console password removed: carol");
    expect(messages(state, "security-lead").map((m) => (m as { subject?: string }).subject)).toContain("Root user of 123456789012 has no MFA");
    expect(report).toContain("Outcome: **RESOLVED**");
    expect(report).toMatch(/contain\/deactivate-keys-past-90-days: PreconditionFailed \(item 0 skipped\): [^\n]*irflow:exempt/);
  },

  "ec2-instance-compromise": (run) => {
    const { result, state, s, report } = run;
    const instanceId = "i-0a1b2c3d4e5f67890";
    // Isolation keeps only HTTPS to the VPC endpoints, so the capture right after it succeeds and
    // all five phases complete: the group replaced the instance, which is terminated.
    expect(result.status).toBe("resolved");
    expect(failedStep(run)).toEqual([]);
    const snapshots = Object.values(state.ec2.snapshots);
    expect(snapshots.map((x) => x.volumeId).sort()).toEqual(["vol-0aa0bb0cc0dd0ee01", "vol-0aa0bb0cc0dd0ee02"]);
    expect(snapshots.every((x) => x.tags["irflow:incident"] === result.incidentId)).toBe(true);
    const instance = state.ec2.instances[instanceId]!;
    expect(["shutting-down", "terminated"]).toContain(instance.state);
    expect(instance.volumes.every((v) => !v.deleteOnTermination)).toBe(true);
    expect(instance.tags).toMatchObject({ "irflow:incident": result.incidentId, "irflow:isolated-by": result.incidentId });
    const quarantine = Object.values(state.ec2.securityGroups).find((g) => g.name === "irflow-quarantine")!;
    expect(quarantine.ingress).toEqual([]);
    expect(quarantine.egress.map((r) => [r.protocol, r.fromPort, r.toPort, r.groupId ?? r.prefixListId])).toEqual([
      ["tcp", 443, 443, "sg-0e0d0c0b0a0908070"],
      ["tcp", 443, 443, "pl-6ea54007"],
    ]);
    expectMemoryCaptured(run, instanceId, 524288);
    expect(state.autoscaling.groups["web-asg"]?.instances).not.toContain(instanceId);
    expect(state.iam.roles["web-app-role"]?.inlinePolicies).toHaveProperty("AWSRevokeOlderSessions");
    expect(Object.values(state.guardduty.detectors)[0]?.findings["6ec5b8a4e2b1c0f3a9d7e6c5b4a39281"]).toMatchObject({ archived: true, feedback: "USEFUL" });
    const order = mutationNames(s);
    // Memory is captured after isolation and before the role's sessions are revoked (the agent signs with the role).
    expect(order.indexOf("ssm:SendCommand")).toBeGreaterThan(order.lastIndexOf("ec2:ModifyNetworkInterfaceAttribute"));
    expect(order.indexOf("ssm:SendCommand")).toBeLessThan(order.indexOf("iam:PutRolePolicy"));
    expect(order.indexOf("ssm:SendCommand")).toBeLessThan(order.indexOf("ec2:TerminateInstances"));
    expect(report).toContain("Outcome: **RESOLVED**");
    expect(report).toContain("ModifyNetworkInterfaceAttribute");
    expect(report).toMatch(/ec2-instance-memory: `s3:\/\/irflow-evidence-123456789012\/[^`]+` sha256 [0-9a-f]{64}/);
  },

  "flow-log-known-bad-traffic": (run) => {
    const { result, state, s, report } = run;
    const instanceId = "i-0b2c3d4e5f6a7b8c9";
    expect(result.status).toBe("resolved");
    expect(failedStep(run)).toEqual([]);
    expect(Object.values(state.ec2.snapshots).map((x) => x.volumeId).sort()).toEqual(["vol-0b2c3d4e5f6a7b8c1", "vol-0b2c3d4e5f6a7b8c2"]);
    const instance = state.ec2.instances[instanceId]!;
    expect(["shutting-down", "terminated"]).toContain(instance.state);
    expect(instance.volumes.every((v) => !v.deleteOnTermination)).toBe(true);
    expect(instance.tags).toHaveProperty("irflow:isolated-by", result.incidentId);
    expectMemoryCaptured(run, instanceId, 1048576);
    const order = mutationNames(s);
    expect(order.indexOf("ssm:SendCommand")).toBeGreaterThan(order.lastIndexOf("ec2:ModifyNetworkInterfaceAttribute"));
    expect(order.indexOf("ssm:SendCommand")).toBeLessThan(order.indexOf("ec2:TerminateInstances"));
    expect(report).toContain("Outcome: **RESOLVED**");
  },

  "network-acl-block-expiry": ({ result, state, report }) => {
    expect(result.status).toBe("resolved");
    const acl = state.ec2.networkAcls["acl-0e1f2a3b4c5d6e7f8"]!;
    expect(acl.entries.filter((e) => e.ruleNumber === 1)).toEqual([]);
    for (const tag of ["irflow:block:in:1", "irflow:block:out:1", "irflow:block:in:3"]) expect(acl.tags).not.toHaveProperty(tag);
    const other = state.ec2.networkAcls["acl-0e1f2a3b4c5d6e7f9"]!;
    expect(other.entries.map((e) => e.ruleNumber)).toEqual(expect.arrayContaining([4, 5]));
    expect(report).toContain("DeleteNetworkAclEntry");
  },
};

const names = readdirSync(SCENARIOS).filter((f) => f.endsWith(".yaml")).map((f) => f.slice(0, -".yaml".length)).sort();

describe("every scenario, end to end with auto-approval", () => {
  it("has a check for every scenario file", () => {
    expect(Object.keys(checks).sort()).toEqual(names);
  });

  it.each(names)("%s", async (name) => {
    const s = await scenario(name);
    const runner = await runnerFor(s);
    const result = await runner.runIncident({ runbookId: s.runbook!, event: s.event, approvals: "auto" });
    expect(result.incidentId).toMatch(/^inc-/);
    expect(result.reportLocation).toMatch(new RegExp(`${result.incidentId!}\\.md$`));
    const report = await readFile(result.reportLocation!, "utf8");
    expect(report).toContain(`# Post-incident report: ${result.incidentId!}`);
    expect(report).toContain(`Runbook: ${s.runbook!} (revision `);
    expect(runner.records.get(result.incidentId!)?.milestones.map((m) => m.name)).toEqual(expect.arrayContaining(["detected", "closed"]));
    checks[name]!({ s, runner, result, state: s.account.snapshot(), report });
  });
});
