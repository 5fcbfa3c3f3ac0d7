import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { normalizeEvent } from "../../../functions/detect/normalize-event.js";
import { parseScenario, ScenarioError } from "../../../workflows/local/simulated-account/index.js";
import { NOW, SCENARIOS, scenario } from "./support.js";

/** Every scenario loads, its event is one irflow accepts, and the resources the event names exist. */

const files = readdirSync(SCENARIOS).filter((f) => f.endsWith(".yaml"));
const runbooks = readdirSync(new URL("../../../runbooks/", import.meta.url))
  .filter((f) => f.endsWith(".md") && f !== "README.md")
  .map((f) => f.replace(/\.md$/, ""));

describe("scenario files", () => {
  it("exist for every runbook, each naming its runbook", async () => {
    expect(files.map((f) => f.replace(/\.yaml$/, "")).sort()).toEqual(expect.arrayContaining(runbooks.sort()));
    for (const id of runbooks) expect((await scenario(id)).runbook).toBe(id);
  });

  for (const file of files) {
    const name = file.replace(/\.yaml$/, "");
    it(`${file} loads, and its event names resources that exist`, async () => {
      const s = await scenario(name);
      const facts = normalizeEvent(s.event, NOW);
      expect(facts.trigger.accountId).toBe(s.account.accountId);
      expect(facts.trigger.region).toBe(s.account.region);
      const state = s.account.snapshot();
      const { resource } = facts;
      if (resource.instanceId) expect(state.ec2.instances[resource.instanceId], resource.instanceId).toBeDefined();
      if (resource.subnetId) expect(state.ec2.subnets[resource.subnetId], resource.subnetId).toBeDefined();
      if (resource.vpcId) expect(state.ec2.vpcs[resource.vpcId], resource.vpcId).toBeDefined();
      if (resource.securityGroupId) expect(state.ec2.securityGroups[resource.securityGroupId], resource.securityGroupId).toBeDefined();
      if (resource.bucketName) expect(state.s3.buckets[resource.bucketName], resource.bucketName).toBeDefined();
      if (resource.userName) expect(state.iam.users[resource.userName], resource.userName).toBeDefined();
      if (resource.roleName) expect(state.iam.roles[resource.roleName], resource.roleName).toBeDefined();
      if (resource.accessKeyId) expect(Object.values(state.iam.users).flatMap((u) => u.accessKeys.map((k) => k.accessKeyId))).toContain(resource.accessKeyId);
      if (facts.permission) {
        const group = state.ec2.securityGroups[facts.permission.groupId];
        expect(group?.ingress.map((r) => r.ruleId)).toContain(facts.permission.ruleId);
      }
      if (facts.trigger.detectorId && facts.trigger.findingId) {
        expect(state.guardduty.detectors[facts.trigger.detectorId]?.findings[facts.trigger.findingId]).toMatchObject({ type: facts.trigger.type, archived: false });
      }
      // Every scenario's account can receive the runbooks' notifications.
      for (const audience of ["responders", "owner", "security-lead"]) {
        expect(Object.keys(state.sns.topics)).toContain(`arn:aws:sns:${s.account.region}:${s.account.accountId}:irflow-${audience}`);
      }
      expect(s.expect).toBeDefined();
    });
  }
});

const VALID = `
description: minimal
account: { id: "123456789012", region: us-east-1 }
resources:
  ec2:
    vpcs: [{ vpcId: vpc-0a1b2c3d4e5f60718, cidr: 10.0.0.0/16 }]
event:
  version: "0"
  id: 4a5b6c7d-8e9f-4a0b-9c1d-2e3f4a5b6c7d
  detail-type: Scheduled Event
  source: aws.events
  account: "123456789012"
  time: "2026-11-24T12:00:00Z"
  region: us-east-1
  resources: [arn:aws:events:us-east-1:123456789012:rule/hourly]
  detail: {}
`;

function problems(text: string): ScenarioError {
  try {
    parseScenario(text, "bad.yaml");
  } catch (error) {
    if (error instanceof ScenarioError) return error;
    throw error;
  }
  throw new Error("the scenario loaded");
}

describe("scenario validation", () => {
  it("accepts a minimal scenario", () => {
    expect(parseScenario(VALID, "ok.yaml").account.snapshot().ec2.vpcs).toHaveProperty("vpc-0a1b2c3d4e5f60718");
  });

  it("names the file, the field, the line and the column of a schema problem", () => {
    const error = problems(VALID.replace("cidr: 10.0.0.0/16", "cidr: 10.0.0.0/99"));
    expect(error.issues).toEqual([expect.objectContaining({ path: ["resources", "ec2", "vpcs", 0, "cidr"], line: 6, column: 50 })]);
    expect(error.message).toMatch(/^bad\.yaml: invalid scenario\n {2}bad\.yaml:6:50: resources\.ec2\.vpcs\.0\.cidr: /);
  });

  it("reports unknown fields by name", () => {
    const error = problems(VALID.replace("description: minimal", "description: minimal\nexpected: {}"));
    expect(error.issues).toEqual([expect.objectContaining({ path: ["expected"], message: 'unknown field "expected"', line: 3 })]);
  });

  it("places an unknown field at its key, not at its value below it", () => {
    const error = problems(VALID.replace("description: minimal", "description: minimal\nexpected:\n  status: resolved"));
    expect(error.issues).toEqual([{ path: ["expected"], message: 'unknown field "expected"', line: 3, column: 1 }]);
    expect(error.message).toContain('bad.yaml:3:1: expected: unknown field "expected"');
    const nested = problems(VALID.replace("  ec2:\n", "  ec2:\n    subnetz:\n      - subnetId: subnet-0c1d2e3f4a5b6c7d8\n"));
    expect(nested.issues).toEqual([{ path: ["resources", "ec2", "subnetz"], message: 'unknown field "subnetz"', line: 6, column: 5 }]);
  });

  it("reports a resource that names a missing one, at its line", () => {
    const text = VALID.replace("event:", "    subnets: [{ subnetId: subnet-0c1d2e3f4a5b6c7d8, vpcId: vpc-0f0f0f0f0f0f0f0f0, cidr: 10.0.1.0/24, availabilityZone: us-east-1a }]\nevent:");
    const error = problems(text);
    expect(error.issues).toEqual([expect.objectContaining({ path: ["resources", "ec2", "subnets", 0, "vpcId"], message: "vpc-0f0f0f0f0f0f0f0f0 is not declared in ec2.vpcs", line: 7 })]);
  });

  it("refuses an event of another account or region, and broken YAML", () => {
    expect(problems(VALID.replace('  account: "123456789012"', '  account: "210987654321"')).issues[0]).toMatchObject({ path: ["event", "account"], message: "is 210987654321, not the scenario's account 123456789012" });
    expect(problems(VALID.replace("  region: us-east-1\n  resources", "  region: eu-west-1\n  resources")).issues[0]).toMatchObject({ path: ["event", "region"] });
    expect(problems("description: [unclosed\n").issues[0]).toMatchObject({ line: 2, message: expect.stringMatching(/^invalid YAML/) });
  });
});
