import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import type { TriggerRule } from "../../workflows/compiler/event-patterns.js";
import { routesToRunbook, triggerRoutes } from "../../workflows/compiler/trigger-routing.js";

/**
 * Which runbooks an event starts, from the generated manifest's triggers (the ones the stacks deploy
 * as EventBridge rules): `irflow run` refuses an event its runbook would never be started with.
 */
const manifest = JSON.parse(readFileSync("workflows/generated/manifest.json", "utf8")) as { runbooks: { id: string; triggers: TriggerRule[] }[] };
const routedTo = (event: Record<string, unknown>): string[] => manifest.runbooks.filter((runbook) => routesToRunbook(runbook.triggers, event) === true).map((runbook) => runbook.id);
const fixture = (name: string) => JSON.parse(readFileSync(join("test/fixtures/events", name), "utf8")) as Record<string, unknown>;

describe("which runbooks an event starts", () => {
  it("each bundled scenario's event starts its own runbook", () => {
    for (const file of readdirSync("test/scenarios").filter((name) => name.endsWith(".yaml"))) {
      const scenario = parseYaml(readFileSync(join("test/scenarios", file), "utf8")) as { runbook: string; event: Record<string, unknown> };
      expect(routedTo(scenario.event), file).toContain(scenario.runbook);
    }
  });

  it("each event fixture starts exactly the runbooks whose triggers match it", () => {
    expect(routedTo(fixture("guardduty-ssh-brute-force.json"))).toEqual(["ssh-rdp-brute-force"]);
    expect(routedTo(fixture("guardduty-iam-exfiltration.json"))).toEqual(["iam-access-key-compromise"]);
    expect(routedTo(fixture("guardduty-backdoor-ec2.json"))).toEqual(["ec2-instance-compromise"]);
    expect(routedTo(fixture("cloudtrail-authorize-sg-ingress-world.json"))).toEqual(["security-group-open-to-world"]);
    expect(routedTo(fixture("cloudtrail-put-bucket-acl.json"))).toEqual(["public-s3-bucket"]);
    expect(routedTo(fixture("config-s3-public-read.json"))).toEqual(["public-s3-bucket"]);
    expect(routedTo(fixture("flowlog-reject.json"))).toEqual(["flow-log-known-bad-traffic"]);
    // A manual start goes to the runbooks with a manual trigger, a Scheduled Event to those with a schedule.
    expect(routedTo(fixture("manual.json"))).toEqual(["ec2-instance-compromise", "iam-access-key-compromise", "iam-hygiene", "network-acl-block-expiry"]);
    expect(routedTo(fixture("schedule.json"))).toEqual(["iam-hygiene", "network-acl-block-expiry"]);
  });

  it("a finding below a trigger's minimum severity, or a failed CloudTrail call, starts nothing", () => {
    const finding = fixture("guardduty-iam-exfiltration.json");
    expect(routedTo({ ...finding, detail: { ...(finding.detail as object), severity: 3.9 } })).toEqual([]);
    const call = fixture("cloudtrail-authorize-sg-ingress-world.json");
    expect(routedTo({ ...call, detail: { ...(call.detail as object), errorCode: "Client.UnauthorizedOperation" } })).toEqual([]);
  });

  it("a pattern with an operator the matcher does not know cannot tell (undefined), unless another trigger matches", () => {
    const unknown: TriggerRule = { kind: "event", source: "cloudtrail", description: "x", pattern: { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/8" }] } } };
    const manual: TriggerRule = { kind: "manual", source: "manual", description: "started by a responder" };
    const call = fixture("cloudtrail-authorize-sg-ingress-world.json");
    expect(triggerRoutes(unknown, call)).toBeUndefined();
    expect(routesToRunbook([unknown], call)).toBeUndefined();
    expect(routesToRunbook([unknown, manual], fixture("manual.json"))).toBe(true);
    // A field the event lacks fails the pattern whatever its operator.
    expect(routesToRunbook([unknown], fixture("schedule.json"))).toBe(false);
    expect(routesToRunbook([manual], fixture("schedule.json"))).toBe(false);
  });
});
