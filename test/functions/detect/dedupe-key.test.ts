import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { dedupeKey } from "../../../functions/detect/dedupe-key.js";
import { normalizeEvent, type NormalizedEvent } from "../../../functions/detect/normalize-event.js";

const NOW = new Date("2026-11-24T12:00:00.000Z");
const RUNBOOK = "ec2-instance-compromise";

type Json = Record<string, unknown>;

function fixture(name: string): Json {
  return JSON.parse(readFileSync(new URL(`../../fixtures/events/${name}.json`, import.meta.url), "utf8")) as Json;
}

function normalised(name: string, change: (event: Json & { detail: Json }) => void = () => undefined): NormalizedEvent {
  const event = fixture(name) as Json & { detail: Json };
  change(event);
  return normalizeEvent(event, NOW);
}

const keyOf = (name: string, change?: (event: Json & { detail: Json }) => void, runbook = RUNBOOK) => dedupeKey(normalised(name, change), runbook);

/** Normalised facts, for resource shapes no fixture has. */
function facts(resource: NormalizedEvent["resource"], trigger: Partial<NormalizedEvent["trigger"]> = {}): NormalizedEvent {
  return {
    trigger: { source: "guardduty", type: "Policy:IAMUser/RootCredentialUsage", eventId: "e-1", time: "2026-11-24T11:00:00Z", region: "us-east-1", accountId: "123456789012", ...trigger },
    resource,
    severity: { label: "high", score: 8 },
  };
}

describe("dedupeKey", () => {
  it("keys an instance finding on the runbook, account, region and instance", () => {
    expect(keyOf("guardduty-backdoor-ec2")).toBe("ec2-instance-compromise#123456789012#eu-west-1#ec2-instance#i-0a1b2c3d4e5f67890");
  });

  it("gives a storm of 500 findings about one instance one key, whatever their type, finding or event id", () => {
    const keys = new Set(
      Array.from({ length: 500 }, (_, i) =>
        keyOf("guardduty-backdoor-ec2", (event) => {
          event.id = `storm-${i}`;
          event.detail.id = i.toString(16).padStart(32, "0");
          event.detail.type = i % 2 === 0 ? "Backdoor:EC2/C&CActivity.B" : "CryptoCurrency:EC2/BitcoinTool.B!DNS";
          event.detail.severity = (i % 10) + 0.5;
        }),
      ),
    );
    expect(keys.size).toBe(1);
  });

  it("joins what GuardDuty and the flow logs each report about one instance", () => {
    expect(keyOf("guardduty-ssh-brute-force")).toBe(keyOf("flowlog-reject"));
  });

  it("keeps instances, runbooks and accounts apart", () => {
    const base = keyOf("guardduty-backdoor-ec2");
    expect(keyOf("guardduty-backdoor-ec2", (e) => ((e.detail.resource as { instanceDetails: Json }).instanceDetails.instanceId = "i-0fffffffffffffff0"))).not.toBe(base);
    expect(keyOf("guardduty-backdoor-ec2", undefined, "crypto-mining")).not.toBe(base);
    expect(keyOf("guardduty-backdoor-ec2", (e) => (e.detail.accountId = "210987654321"))).not.toBe(base);
  });

  it("keys a role on its name, from any region (IAM is global)", () => {
    const key = keyOf("guardduty-iam-exfiltration");
    expect(key).toBe("ec2-instance-compromise#123456789012#iam-role#web-app-role");
    expect(keyOf("guardduty-iam-exfiltration", (e) => (e.detail.region = "eu-west-1"))).toBe(key);
  });

  it("keys a bucket on its name, so CloudTrail and Config about one bucket are one incident", () => {
    expect(keyOf("cloudtrail-put-bucket-acl")).toBe("ec2-instance-compromise#123456789012#s3-bucket#acme-marketing-assets");
    expect(keyOf("config-s3-public-read")).toBe(keyOf("cloudtrail-put-bucket-acl"));
  });

  it("keys a security group on the group and the exact rule that was opened", () => {
    const key = keyOf("cloudtrail-authorize-sg-ingress-world");
    expect(key).toBe("ec2-instance-compromise#123456789012#us-east-1#security-group#sg-0123456789abcdef0#ingress#tcp#22-22#0.0.0.0/0");
    expect(keyOf("cloudtrail-authorize-sg-ingress-world", (e) => ((e.detail as { eventID: string }).eventID = "0a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"))).toBe(key);
    const other = facts({ kind: "security-group", securityGroupId: "sg-0123456789abcdef0" }, { source: "cloudtrail" });
    const opened = (cidr: string, fromPort = 22): NormalizedEvent => ({ ...other, permission: { groupId: "sg-0123456789abcdef0", direction: "ingress", protocol: "tcp", fromPort, toPort: fromPort, cidr } });
    expect(dedupeKey(opened("0.0.0.0/0", 3389), RUNBOOK)).not.toBe(dedupeKey(opened("0.0.0.0/0"), RUNBOOK));
    expect(dedupeKey(opened("::/0"), RUNBOOK)).not.toBe(dedupeKey(opened("0.0.0.0/0"), RUNBOOK));
    expect(dedupeKey({ ...other, permission: { groupId: "sg-0123456789abcdef0", direction: "ingress", protocol: "-1", cidr: "0.0.0.0/0" } }, RUNBOOK)).toMatch(/#ingress#-1#all#0\.0\.0\.0\/0$/);
    expect(dedupeKey(other, RUNBOOK)).toBe("ec2-instance-compromise#123456789012#us-east-1#security-group#sg-0123456789abcdef0");
  });

  it("keys IAM resources on the long-term key, else the role, else the user", () => {
    expect(dedupeKey(facts({ kind: "iam-access-key", accessKeyId: "AKIAIOSFODNN7EXAMPLE", userName: "ci" }), RUNBOOK)).toBe("ec2-instance-compromise#123456789012#access-key#AKIAIOSFODNN7EXAMPLE");
    expect(dedupeKey(facts({ kind: "iam-user", userName: "ci" }), RUNBOOK)).toBe("ec2-instance-compromise#123456789012#iam-user#ci");
    expect(dedupeKey(facts({ kind: "account", accessKeyId: "AKIAIOSFODNN7EXAMPLE" }), RUNBOOK)).toBe("ec2-instance-compromise#123456789012#access-key#AKIAIOSFODNN7EXAMPLE");
  });

  it("falls back to the GuardDuty finding id, then to the event id", () => {
    expect(dedupeKey(facts({ kind: "account" }, { findingId: "0123456789abcdef0123456789abcdef" }), RUNBOOK)).toBe("ec2-instance-compromise#123456789012#guardduty-finding#0123456789abcdef0123456789abcdef");
    expect(dedupeKey(facts({ kind: "account" }, { source: "config", eventId: "e-42" }), RUNBOOK)).toBe("ec2-instance-compromise#123456789012#event#e-42");
  });

  it("keys a flow-log record without an instance on its remote peer", () => {
    const key = keyOf("flowlog-reject", (e) => delete e.detail.instanceId);
    expect(key).toBe("ec2-instance-compromise#123456789012#us-east-1#flow-peer#vpc-0a1b2c3d#203.0.113.77");
    expect(keyOf("flowlog-reject", (e) => ((e.id = "other-record"), delete e.detail.instanceId))).toBe(key);
  });

  it("runs a schedule once per scheduled minute, however often the event is delivered", () => {
    const key = keyOf("schedule");
    expect(key).toBe("ec2-instance-compromise#123456789012#us-east-1#schedule#irflow-stale-access-keys-schedule#2026-11-24T06:00");
    expect(keyOf("schedule", (e) => ((e.id = "aaaaaaaa-5ec7-412e-82f5-13505f849b41"), (e.time = "2026-11-24T06:00:42Z")))).toBe(key);
    expect(keyOf("schedule", (e) => (e.time = "2026-11-24T06:01:00Z"))).not.toBe(key);
  });

  it("never merges manual starts, except the same start delivered twice", () => {
    const key = keyOf("manual");
    expect(key).toBe("ec2-instance-compromise#123456789012#manual#d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f7a");
    expect(keyOf("manual")).toBe(key);
    expect(keyOf("manual", (e) => (e.id = "e4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f7a"))).not.toBe(key);
  });

  it("refuses a runbook id that is not one (it becomes part of a table key)", () => {
    for (const id of ["", "A", "rb#x", "x".repeat(100), "ec2; rm -rf /"]) {
      expect(() => dedupeKey(normalised("guardduty-backdoor-ec2"), id), id).toThrow(expect.objectContaining({ name: "InvalidInput" }));
    }
  });
});
