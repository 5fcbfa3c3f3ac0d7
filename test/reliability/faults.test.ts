import { describe, expect, it } from "vitest";
import { verifyChain } from "../../functions/audit/verify-chain.js";
import { changeCounts, changeKeys, comparableState, faultedScenario, runnerFor, scenario, scenarioNames } from "./support.js";

/**
 * Every runbook's scenario on an account that throttles 30% of calls and adds 0–2 ms to each:
 * the incident ends as it does on a healthy account, with the same changes, each applied once,
 * and the same final state.
 */

const names = await scenarioNames();

async function run(name: string, faulted: boolean) {
  const s = faulted ? await faultedScenario(name) : await scenario(name);
  const runner = await runnerFor(s);
  const result = await runner.runIncident({ runbookId: s.runbook!, event: s.event, approvals: "auto" });
  return { s, runner, result };
}

describe("faults: 30% throttling and 0–2 ms latency on every call", { timeout: 120_000 }, () => {
  it.each(names)("%s completes as on a healthy account, each change applied exactly once", async (name) => {
    const healthy = await run(name, false);
    const faulted = await run(name, true);
    const calls = faulted.s.account.calls;

    // The faults were real: many calls refused, and the SDK's own retries absorbed most of them.
    const throttled = calls.filter((c) => c.fault === "throttle").length;
    expect(throttled).toBeGreaterThan(calls.length * 0.15);

    expect(faulted.result.status).toBe(healthy.result.status);
    expect(faulted.result.reportLocation).toBeDefined();
    const failures = (r: typeof healthy) => r.runner.records.get(r.result.incidentId!)?.failures.map((f) => `${f.stepId} ${f.error}`);
    expect(failures(faulted)).toEqual(failures(healthy));

    // The same changes, each exactly once (same command, same input), and the same end state.
    expect(changeCounts(calls)).toEqual(changeCounts(healthy.s.account.calls));
    const keys = changeKeys(calls);
    expect(new Set(keys).size).toBe(keys.length);
    expect(comparableState(faulted.s, [faulted.result.incidentId!])).toEqual(comparableState(healthy.s, [healthy.result.incidentId!]));

    // The audit trail survived the faults: the hash chain verifies, and it has what a healthy run has.
    const entries = faulted.runner.records.log.entriesNow(faulted.result.incidentId!);
    const verdict = await verifyChain(faulted.result.incidentId!, entries);
    expect(verdict.problems).toEqual([]);
    expect(verdict.ok).toBe(true);
    const kinds = (r: typeof healthy) => r.runner.records.log.entriesNow(r.result.incidentId!).map((e) => e.kind).sort();
    expect(kinds(faulted)).toEqual(kinds(healthy));
  });

  it("asserts the field's invariants on the end state: one revoke per rule, one snapshot per volume, no duplicate NACL entry", async () => {
    const sg = await run("security-group-open-to-world", true);
    const revokes = sg.s.account.calls.filter((c) => c.command === "RevokeSecurityGroupIngress" && c.outcome === "ok" && !c.dryRun);
    const rules = revokes.flatMap((c) => ((c.input as { SecurityGroupRuleIds?: string[] }).SecurityGroupRuleIds ?? [JSON.stringify((c.input as { IpPermissions?: unknown }).IpPermissions)]));
    expect(rules.length).toBeGreaterThan(0);
    expect(new Set(rules).size).toBe(rules.length);

    const ec2 = await run("ec2-instance-compromise", true);
    const volumes = Object.values(ec2.s.account.snapshot().ec2.snapshots).map((x) => x.volumeId);
    expect(volumes.sort()).toEqual(["vol-0aa0bb0cc0dd0ee01", "vol-0aa0bb0cc0dd0ee02"]);

    const nacl = await run("ssh-rdp-brute-force", true);
    for (const acl of Object.values(nacl.s.account.snapshot().ec2.networkAcls)) {
      const entries = acl.entries.map((e) => `${e.egress ? "out" : "in"} ${e.ruleNumber}`);
      expect(new Set(entries).size).toBe(entries.length);
    }
  });

  it("the SDK retries a throttled call before the task sees it: most throttles never surface as a task failure", async () => {
    const { s, runner } = await run("public-s3-bucket", true);
    const throttled = s.account.calls.filter((c) => c.fault === "throttle").length;
    const transientFailures = runner.logs.filter((l) => l.level !== "info").length;
    expect(throttled).toBeGreaterThan(0);
    expect(transientFailures).toBeLessThan(throttled);
  });
});
