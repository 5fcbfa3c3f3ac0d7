import { describe, expect, it } from "vitest";
import { MemoryIncidentStore } from "../../functions/detect/incident-store.js";
import type { IncidentRunResult } from "../../workflows/local/incident/local-incident-runner.js";
import { approveUntilSettled, changeCounts, changeKeys, runnerFor, scenario, scenarioNames } from "./support.js";

/**
 * EventBridge delivers at least once and GuardDuty re-reports a finding on every update: a second
 * delivery, or a storm of findings about one resource, is one incident and one change.
 */

const names = await scenarioNames();
const STORM = 500;

/** The same finding about the same resource, as another event (its own event id and update time). */
function occurrence(event: Record<string, unknown>, n: number): Record<string, unknown> {
  const copy = structuredClone(event);
  copy.id = `storm-${String(n).padStart(4, "0")}-0000-4000-8000-000000000000`;
  const detail = copy.detail as Record<string, unknown>;
  detail.updatedAt = new Date(Date.parse("2026-11-24T11:00:00Z") + n * 1000).toISOString();
  return copy;
}

const opened = (results: readonly IncidentRunResult[]) => results.filter((r) => r.status !== "joined");

describe("duplicates: every trigger event delivered twice", { timeout: 120_000 }, () => {
  it.each(names)("%s: two concurrent deliveries are one incident and one set of changes", async (name) => {
    const once = await scenario(name);
    const single = await (await runnerFor(once)).runIncident({ runbookId: once.runbook!, event: once.event, approvals: "auto" });

    const s = await scenario(name);
    const incidents = new MemoryIncidentStore();
    const runner = await runnerFor(s, { incidents });
    const results = await Promise.all([0, 1].map(() => runner.runIncident({ runbookId: s.runbook!, event: s.event, approvals: "auto" })));
    expect(results.map((r) => r.status).sort()).toEqual([single.status, "joined"].sort());
    expect(new Set(results.map((r) => r.incidentId)).size).toBe(1);
    expect(incidents.incidents()).toHaveLength(1);
    // One event delivered twice is one occurrence.
    expect(incidents.incidents()[0]!.occurrences).toHaveLength(1);
    expect(changeCounts(s.account.calls)).toEqual(changeCounts(once.account.calls));
    const keys = changeKeys(s.account.calls);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe("duplicates: a redelivery after the incident closed", { timeout: 120_000 }, () => {
  it.each(["ssh-rdp-brute-force", "security-group-open-to-world", "iam-access-key-compromise", "public-s3-bucket"])("%s: the same event again joins the closed incident and changes nothing more", async (name) => {
    const s = await scenario(name);
    const runner = await runnerFor(s);
    const first = await runner.runIncident({ runbookId: s.runbook!, event: s.event, approvals: "auto" });
    const before = changeKeys(s.account.calls);
    const again = await runner.runIncident({ runbookId: s.runbook!, event: s.event, approvals: "auto" });
    expect(first.status).toBe("resolved");
    expect(again).toMatchObject({ status: "joined", incidentId: first.incidentId });
    expect(changeKeys(s.account.calls)).toEqual(before);
  });
});

describe(`storms: ${STORM} findings about one instance`, { timeout: 120_000 }, () => {
  it("delivered concurrently: one incident, one change, every occurrence recorded", async () => {
    const s = await scenario("ssh-rdp-brute-force");
    const incidents = new MemoryIncidentStore();
    const runner = await runnerFor(s, { incidents });
    const event = s.event as unknown as Record<string, unknown>;
    const results = await Promise.all(Array.from({ length: STORM }, (_, n) => runner.runIncident({ runbookId: s.runbook!, event: occurrence(event, n), approvals: "auto" })));
    expect(opened(results)).toHaveLength(1);
    const incidentId = opened(results)[0]!.incidentId!;
    expect({ status: opened(results)[0]!.status, failures: runner.records.get(incidentId)?.failures }).toEqual({ status: "resolved", failures: [] });
    expect(new Set(results.map((r) => r.incidentId)).size).toBe(1);
    const stored = incidents.incidents();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.occurrences).toHaveLength(STORM);
    expect(changeCounts(s.account.calls)).toEqual({ "ec2:CreateNetworkAclEntry": 2, "ec2:CreateTags": 2, "sns:Publish": 1, "ec2:RevokeSecurityGroupIngress": 1, "guardduty:ArchiveFindings": 1, "guardduty:UpdateFindingsFeedback": 1 });
  }, 120_000);

  it("delivered one after another while the incident is open: one incident, one change, every occurrence recorded", async () => {
    const baseline = await scenario("ec2-instance-compromise");
    const expected = await (await runnerFor(baseline)).runIncident({ runbookId: baseline.runbook!, event: baseline.event, approvals: "auto" });

    const s = await scenario("ec2-instance-compromise");
    const incidents = new MemoryIncidentStore();
    const runner = await runnerFor(s, { incidents });
    const event = s.event as unknown as Record<string, unknown>;
    // The first opens the incident and waits at its first approval, so the rest arrive while it is open.
    const first = runner.runIncident({ runbookId: s.runbook!, event: occurrence(event, 0), approvals: "manual" });
    for (let wait = 0; (await runner.approvals.list()).length === 0; wait += 1) {
      if (wait > 2000) throw new Error("the first incident never asked for approval");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const rest: IncidentRunResult[] = [];
    for (let n = 1; n < STORM; n += 1) rest.push(await runner.runIncident({ runbookId: s.runbook!, event: occurrence(event, n), approvals: "auto" }));
    expect(rest.every((r) => r.status === "joined")).toBe(true);
    const result = await approveUntilSettled(runner, first);
    expect(result.status).toBe(expected.status);
    const stored = incidents.incidents();
    expect(stored).toHaveLength(1);
    expect(stored[0]!.occurrences).toHaveLength(STORM);
    expect(changeCounts(s.account.calls)).toEqual(changeCounts(baseline.account.calls));
  }, 120_000);
});
