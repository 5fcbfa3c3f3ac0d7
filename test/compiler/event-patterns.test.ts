import { describe, expect, it } from "vitest";
import { FLOW_LOG_DETAIL_TYPE, FLOW_LOG_SOURCE, triggerRule, type TriggerRule } from "../../workflows/compiler/event-patterns.js";
import { SAMPLE_RUNBOOK } from "../fixtures/sample-runbook.js";
import { compileOk, mutate } from "./helpers.js";

/**
 * A small EventBridge pattern matcher, enough for the patterns irflow writes: a pattern is an
 * object whose leaves are arrays of matchers; a leaf matches when any matcher matches the value
 * (or, for an array value, any of its elements). Matchers: exact values, prefix, wildcard, and
 * numeric comparisons. Nested pattern objects descend into the event; an event array descends
 * into each element. Anything else throws, so an unsupported pattern cannot pass by accident.
 */
function matches(pattern: Record<string, unknown>, event: unknown): boolean {
  if (event === null || typeof event !== "object") return false;
  if (Array.isArray(event)) return event.some((element) => matches(pattern, element));
  return Object.entries(pattern).every(([key, rule]) => {
    const value = (event as Record<string, unknown>)[key];
    if (Array.isArray(rule)) {
      if (value === undefined) return false;
      const values = Array.isArray(value) ? value : [value];
      return values.some((v) => rule.some((matcher) => matchesValue(matcher, v)));
    }
    if (rule !== null && typeof rule === "object") return matches(rule as Record<string, unknown>, value);
    throw new Error(`pattern leaf for "${key}" must be an array or an object: ${JSON.stringify(rule)}`);
  });
}

function matchesValue(matcher: unknown, value: unknown): boolean {
  if (matcher === null || typeof matcher !== "object") return matcher === value;
  const keys = Object.keys(matcher);
  if (keys.length !== 1) throw new Error(`one operator per matcher: ${JSON.stringify(matcher)}`);
  const [op] = keys as [string];
  const operand = (matcher as Record<string, unknown>)[op];
  switch (op) {
    case "prefix":
      return typeof value === "string" && typeof operand === "string" && value.startsWith(operand);
    case "wildcard": {
      if (typeof value !== "string" || typeof operand !== "string") return false;
      const regex = new RegExp(`^${operand.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
      return regex.test(value);
    }
    case "numeric": {
      if (typeof value !== "number" || !Array.isArray(operand) || operand.length % 2 !== 0) return false;
      for (let i = 0; i < operand.length; i += 2) {
        const [cmp, bound] = [operand[i] as string, operand[i + 1] as number];
        const ok = { ">=": value >= bound, ">": value > bound, "<=": value <= bound, "<": value < bound, "=": value === bound }[cmp];
        if (ok === undefined) throw new Error(`unknown numeric operator ${cmp}`);
        if (!ok) return false;
      }
      return true;
    }
    default:
      throw new Error(`the test matcher does not know ${op}`);
  }
}

const eventOf = (rule: TriggerRule): Record<string, unknown> => {
  expect(rule.kind).toBe("event");
  return (rule as Extract<TriggerRule, { kind: "event" }>).pattern;
};

// Realistic events, trimmed to the fields that matter plus some that do not.
const guardDutyFinding = (type: string, severity: number) => ({
  version: "0",
  id: "c8e5f3a2-1b7e-4b5e-9d55-0c1e2f3a4b5c",
  "detail-type": "GuardDuty Finding",
  source: "aws.guardduty",
  account: "123456789012",
  time: "2024-05-01T12:00:00Z",
  region: "eu-west-1",
  resources: [],
  detail: {
    schemaVersion: "2.0",
    accountId: "123456789012",
    region: "eu-west-1",
    partition: "aws",
    id: "a4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9",
    arn: "arn:aws:guardduty:eu-west-1:123456789012:detector/12abc34d567e8fa901bc2d34e56789f0/finding/a4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9",
    type,
    resource: { resourceType: "Instance", instanceDetails: { instanceId: "i-0123456789abcdef0" } },
    service: { serviceName: "guardduty", detectorId: "12abc34d567e8fa901bc2d34e56789f0", archived: false, count: 3 },
    severity,
    title: "EC2 instance is communicating with a command and control server",
  },
});

const cloudTrailEvent = (eventName: string, cidrIp: string, eventSource = "ec2.amazonaws.com") => ({
  version: "0",
  id: "6f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
  "detail-type": "AWS API Call via CloudTrail",
  source: `aws.${eventSource.split(".")[0]}`,
  account: "123456789012",
  time: "2024-05-01T12:00:00Z",
  region: "eu-west-1",
  resources: [],
  detail: {
    eventVersion: "1.09",
    userIdentity: { type: "IAMUser", arn: "arn:aws:iam::123456789012:user/mallory", accountId: "123456789012", userName: "mallory" },
    eventTime: "2024-05-01T11:59:58Z",
    eventSource,
    eventName,
    awsRegion: "eu-west-1",
    sourceIPAddress: "203.0.113.7",
    requestParameters: {
      groupId: "sg-0123456789abcdef0",
      ipPermissions: {
        items: [
          { ipProtocol: "tcp", fromPort: 443, toPort: 443, ipRanges: { items: [{ cidrIp: "10.0.0.0/8" }] } },
          { ipProtocol: "tcp", fromPort: 22, toPort: 22, ipRanges: { items: [{ cidrIp }] } },
        ],
      },
    },
    readOnly: false,
    eventType: "AwsApiCall",
    managementEvent: true,
  },
});

const configChange = (configRuleName: string, complianceType: string) => ({
  version: "0",
  id: "0d1e2f3a-4b5c-6d7e-8f9a-0b1c2d3e4f5a",
  "detail-type": "Config Rules Compliance Change",
  source: "aws.config",
  account: "123456789012",
  time: "2024-05-01T12:00:00Z",
  region: "eu-west-1",
  resources: [],
  detail: {
    resourceId: "customer-exports",
    awsRegion: "eu-west-1",
    awsAccountId: "123456789012",
    configRuleName,
    messageType: "ComplianceChangeNotification",
    resourceType: "AWS::S3::Bucket",
    newEvaluationResult: {
      evaluationResultIdentifier: { evaluationResultQualifier: { configRuleName, resourceType: "AWS::S3::Bucket", resourceId: "customer-exports" } },
      complianceType,
    },
    oldEvaluationResult: { complianceType: complianceType === "COMPLIANT" ? "NON_COMPLIANT" : "COMPLIANT" },
  },
});

const flowLogRecord = (action: string, dstPort: number, knownBad: boolean) => ({
  source: FLOW_LOG_SOURCE,
  "detail-type": FLOW_LOG_DETAIL_TYPE,
  detail: { action, dstPort, knownBad, srcAddr: "198.51.100.23", dstAddr: "10.0.1.15", protocol: 6, interfaceId: "eni-0123456789abcdef0" },
});

describe("the test's own pattern matcher", () => {
  it("matches exact values, prefixes, wildcards and numeric ranges, and arrays by any element", () => {
    expect(matches({ a: ["x", "y"] }, { a: "y" })).toBe(true);
    expect(matches({ a: ["x"] }, { a: "xx" })).toBe(false);
    expect(matches({ a: [{ prefix: "ab" }] }, { a: "abc" })).toBe(true);
    expect(matches({ a: [{ prefix: "ab" }] }, { a: "cab" })).toBe(false);
    expect(matches({ a: [{ wildcard: "a*/c" }] }, { a: "a:b/c" })).toBe(true);
    expect(matches({ a: [{ wildcard: "a*/c" }] }, { a: "a:b/cd" })).toBe(false);
    expect(matches({ a: [{ numeric: [">=", 7] }] }, { a: 7 })).toBe(true);
    expect(matches({ a: [{ numeric: [">=", 7] }] }, { a: 6.9 })).toBe(false);
    expect(matches({ a: [{ numeric: [">=", 7] }] }, { a: "8" })).toBe(false);
    expect(matches({ a: { b: ["x"] } }, { a: [{ b: "y" }, { b: "x" }] })).toBe(true);
    expect(matches({ a: ["x"] }, { a: ["y", "x"] })).toBe(true);
    expect(matches({ a: ["x"] }, {})).toBe(false);
    expect(() => matches({ a: [{ "anything-but": "x" }] }, { a: "y" })).toThrow();
  });
});

describe("guardduty triggers", () => {
  it("match finding types exactly, by prefix for a trailing *, by wildcard otherwise, and severity numerically", () => {
    const rule = triggerRule({ guardduty: ["Backdoor:EC2/*", "Trojan:EC2/BlackholeTraffic", "UnauthorizedAccess:*/SSHBruteForce"], minSeverity: 7 });
    expect(rule).toMatchObject({ kind: "event", source: "guardduty" });
    expect(eventOf(rule)).toEqual({
      source: ["aws.guardduty"],
      "detail-type": ["GuardDuty Finding"],
      detail: {
        type: [{ prefix: "Backdoor:EC2/" }, "Trojan:EC2/BlackholeTraffic", { wildcard: "UnauthorizedAccess:*/SSHBruteForce" }],
        severity: [{ numeric: [">=", 7] }],
      },
    });
    expect(rule.description).toContain("severity >= 7");
  });

  it("a * that is not only at the end is a wildcard, and a lone type is exact", () => {
    expect(eventOf(triggerRule({ guardduty: ["*:EC2/*"] }))).toMatchObject({ detail: { type: [{ wildcard: "*:EC2/*" }] } });
    expect(eventOf(triggerRule({ guardduty: ["Recon:EC2/PortProbeUnprotectedPort"] }))).toMatchObject({ detail: { type: ["Recon:EC2/PortProbeUnprotectedPort"] } });
  });

  it("filters on severity only when minSeverity is given, including 0", () => {
    expect(eventOf(triggerRule({ guardduty: ["Backdoor:EC2/*"] })).detail).not.toHaveProperty("severity");
    expect(eventOf(triggerRule({ guardduty: ["Backdoor:EC2/*"], minSeverity: 0 })).detail).toHaveProperty("severity", [{ numeric: [">=", 0] }]);
  });

  it("the sample runbook's rule takes a high-severity C&C finding and nothing else", () => {
    const compiled = compileOk(SAMPLE_RUNBOOK);
    const pattern = eventOf(compiled.triggers[0]!);
    expect(matches(pattern, guardDutyFinding("Backdoor:EC2/C&CActivity.B", 8))).toBe(true);
    expect(matches(pattern, guardDutyFinding("Backdoor:EC2/C&CActivity.B!DNS", 7))).toBe(true);
    expect(matches(pattern, guardDutyFinding("Trojan:EC2/BlackholeTraffic", 7.5))).toBe(true);
    // Another finding type, a lower severity, an exact type with a suffix, another source.
    expect(matches(pattern, guardDutyFinding("Recon:EC2/PortProbeUnprotectedPort", 8))).toBe(false);
    expect(matches(pattern, guardDutyFinding("Backdoor:EC2/C&CActivity.B", 5))).toBe(false);
    expect(matches(pattern, guardDutyFinding("Backdoor:EC2/C&CActivity.B", 6.9))).toBe(false);
    expect(matches(pattern, guardDutyFinding("Trojan:EC2/BlackholeTraffic!DNS", 8))).toBe(false);
    expect(matches(pattern, { ...guardDutyFinding("Backdoor:EC2/C&CActivity.B", 8), source: "aws.securityhub" })).toBe(false);
    expect(compiled.triggers[1]).toEqual({ kind: "manual", source: "manual", description: "started by a responder" });
  });

  it("a wildcard type matches across the resource part", () => {
    const pattern = eventOf(triggerRule({ guardduty: ["UnauthorizedAccess:*/SSHBruteForce"] }));
    expect(matches(pattern, guardDutyFinding("UnauthorizedAccess:EC2/SSHBruteForce", 2))).toBe(true);
    expect(matches(pattern, guardDutyFinding("UnauthorizedAccess:EC2/RDPBruteForce", 2))).toBe(false);
  });
});

describe("cloudtrail triggers", () => {
  const trigger = {
    cloudtrail: {
      source: "ec2.amazonaws.com",
      events: ["AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress"],
      match: { requestParameters: { ipPermissions: { items: { ipRanges: { items: { cidrIp: ["0.0.0.0/0"] } } } } } },
    },
  };

  it("match the service's source, the API call and the extra filters under detail", () => {
    expect(eventOf(triggerRule(trigger))).toEqual({
      source: ["aws.ec2"],
      "detail-type": ["AWS API Call via CloudTrail"],
      detail: {
        eventSource: ["ec2.amazonaws.com"],
        eventName: ["AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress"],
        requestParameters: { ipPermissions: { items: { ipRanges: { items: { cidrIp: ["0.0.0.0/0"] } } } } },
      },
    });
    expect(eventOf(triggerRule({ cloudtrail: { source: "iam.amazonaws.com", events: ["CreateAccessKey"] } }))).toEqual({
      source: ["aws.iam"],
      "detail-type": ["AWS API Call via CloudTrail"],
      detail: { eventSource: ["iam.amazonaws.com"], eventName: ["CreateAccessKey"] },
    });
  });

  it("a runbook's rule takes an ingress rule opened to the world, not other calls or ranges", () => {
    const text = mutate('  - guardduty: ["Backdoor:EC2/*", "Trojan:EC2/BlackholeTraffic"]\n    minSeverity: 7\n', [
      "  - cloudtrail:",
      "      source: ec2.amazonaws.com",
      "      events: [AuthorizeSecurityGroupIngress]",
      "      match:",
      "        requestParameters:",
      "          ipPermissions:",
      "            items:",
      "              ipRanges:",
      "                items:",
      '                  cidrIp: ["0.0.0.0/0"]',
      "",
    ].join("\n"));
    const compiled = compileOk(text);
    const pattern = eventOf(compiled.triggers[0]!);
    expect(matches(pattern, cloudTrailEvent("AuthorizeSecurityGroupIngress", "0.0.0.0/0"))).toBe(true);
    expect(matches(pattern, cloudTrailEvent("RevokeSecurityGroupIngress", "0.0.0.0/0"))).toBe(false);
    expect(matches(pattern, cloudTrailEvent("AuthorizeSecurityGroupIngress", "192.0.2.0/24"))).toBe(false);
    expect(matches(pattern, cloudTrailEvent("AuthorizeSecurityGroupIngress", "0.0.0.0/0", "iam.amazonaws.com"))).toBe(false);
  });
});

describe("config triggers", () => {
  it("match rule names by prefix (conformance packs add suffixes) and the new compliance", () => {
    const rule = triggerRule({ config: { rules: ["s3-bucket-public-read-prohibited", "s3-bucket-public-write-prohibited"], compliance: "NON_COMPLIANT" } });
    expect(eventOf(rule)).toEqual({
      source: ["aws.config"],
      "detail-type": ["Config Rules Compliance Change"],
      detail: {
        configRuleName: [{ prefix: "s3-bucket-public-read-prohibited" }, { prefix: "s3-bucket-public-write-prohibited" }],
        newEvaluationResult: { complianceType: ["NON_COMPLIANT"] },
      },
    });
  });

  it("a runbook's rule (compliance defaulting to NON_COMPLIANT) takes a bucket turning public, not one turning compliant", () => {
    const text = mutate('  - guardduty: ["Backdoor:EC2/*", "Trojan:EC2/BlackholeTraffic"]\n    minSeverity: 7\n', "  - config: { rules: [s3-bucket-public-read-prohibited] }\n");
    const pattern = eventOf(compileOk(text).triggers[0]!);
    expect(matches(pattern, configChange("s3-bucket-public-read-prohibited", "NON_COMPLIANT"))).toBe(true);
    expect(matches(pattern, configChange("s3-bucket-public-read-prohibited-conformance-pack-x1y2z3", "NON_COMPLIANT"))).toBe(true);
    expect(matches(pattern, configChange("s3-bucket-public-read-prohibited", "COMPLIANT"))).toBe(false);
    expect(matches(pattern, configChange("ec2-imdsv2-check", "NON_COMPLIANT"))).toBe(false);
  });
});

describe("flow-log triggers", () => {
  it("match irflow's flow-log records by action, port and threat list", () => {
    const pattern = eventOf(triggerRule({ flowlogs: { action: "REJECT", ports: [22, 3389], knownBad: true } }));
    expect(pattern).toEqual({ source: ["irflow.flowlogs"], "detail-type": ["VPC Flow Log Record"], detail: { action: ["REJECT"], dstPort: [22, 3389], knownBad: [true] } });
    expect(matches(pattern, flowLogRecord("REJECT", 22, true))).toBe(true);
    expect(matches(pattern, flowLogRecord("REJECT", 3389, true))).toBe(true);
    expect(matches(pattern, flowLogRecord("REJECT", 443, true))).toBe(false);
    expect(matches(pattern, flowLogRecord("REJECT", 22, false))).toBe(false);
    expect(matches(pattern, flowLogRecord("ACCEPT", 22, true))).toBe(false);
  });

  it("leave out the port and threat-list filters when not asked", () => {
    const pattern = eventOf(triggerRule({ flowlogs: { action: "ACCEPT" } }));
    expect(pattern).toEqual({ source: ["irflow.flowlogs"], "detail-type": ["VPC Flow Log Record"], detail: { action: ["ACCEPT"] } });
    expect(matches(pattern, flowLogRecord("ACCEPT", 8080, false))).toBe(true);
  });
});

describe("schedule and manual triggers", () => {
  it("a schedule is a scheduled rule with its expression, not an event pattern", () => {
    expect(triggerRule({ schedule: "rate(1 day)" })).toEqual({ kind: "schedule", source: "schedule", description: "on the schedule rate(1 day)", expression: "rate(1 day)" });
    expect(triggerRule({ schedule: "cron(0 6 * * ? *)" })).toMatchObject({ kind: "schedule", expression: "cron(0 6 * * ? *)" });
  });

  it("manual makes no rule", () => {
    const rule = triggerRule({ manual: true });
    expect(rule).toEqual({ kind: "manual", source: "manual", description: "started by a responder" });
    expect(rule).not.toHaveProperty("pattern");
  });

  it("a runbook keeps its triggers in order", () => {
    const text = mutate("  - manual: true\n", "  - manual: true\n  - schedule: cron(0 6 * * ? *)\n  - flowlogs: { action: REJECT, ports: [22] }\n");
    expect(compileOk(text).triggers.map((t) => t.source)).toEqual(["guardduty", "manual", "schedule", "flowlogs"]);
  });
});
