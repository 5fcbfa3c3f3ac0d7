import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isTaskError } from "../../../functions/contract/errors.js";
import { normalizeEvent, severityLabel } from "../../../functions/detect/normalize-event.js";

const NOW = new Date("2026-11-24T12:00:00.000Z");

type Json = Record<string, unknown>;

function fixture(name: string): Json {
  return JSON.parse(readFileSync(new URL(`../../fixtures/events/${name}.json`, import.meta.url), "utf8")) as Json;
}

/** A fixture with one field replaced (or removed, with undefined), by its dotted path. */
function variant(name: string, path: string, value: unknown): Json {
  const event = fixture(name);
  const keys = path.split(".");
  let node = event as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = keys.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return event;
}

/** The InvalidInput the normaliser throws, asserting that it is one and names the field. */
function refusal(event: unknown): { message: string; detail: string | undefined } {
  try {
    normalizeEvent(event, NOW);
  } catch (error) {
    expect(isTaskError(error), String(error)).toBe(true);
    if (!isTaskError(error)) throw error;
    expect(error.name).toBe("InvalidInput");
    return { message: error.message, detail: error.detail };
  }
  throw new Error("expected the event to be refused");
}

describe("normalizeEvent: GuardDuty", () => {
  it("turns an EC2 backdoor finding into instance, network and severity facts", () => {
    expect(normalizeEvent(fixture("guardduty-backdoor-ec2"), NOW)).toEqual({
      trigger: {
        source: "guardduty",
        type: "Backdoor:EC2/C&CActivity.B",
        eventId: "c8c4daa7-a20c-2f03-0070-b7393dd542ad",
        time: "2026-11-24T11:51:58.456Z",
        region: "eu-west-1",
        accountId: "123456789012",
        findingId: "6ec5b8a4e2b1c0f3a9d7e6c5b4a39281",
        detectorId: "12abc34d567e8fa901bc2d34e56789f0",
      },
      resource: {
        kind: "ec2-instance",
        instanceId: "i-0a1b2c3d4e5f67890",
        vpcId: "vpc-0fedcba9876543210",
        subnetId: "subnet-0123456789abcdef0",
        securityGroupId: "sg-0a1b2c3d4e5f60718",
      },
      network: { remoteIp: "198.51.100.23", remotePort: 443, localPort: 49152, protocol: "tcp", direction: "outbound" },
      severity: { label: "high", score: 8 },
    });
  });

  it("keeps the attacker's address and the targeted port of an SSH brute force", () => {
    const facts = normalizeEvent(fixture("guardduty-ssh-brute-force"), NOW);
    expect(facts.network).toEqual({ remoteIp: "203.0.113.77", remotePort: 51022, localPort: 22, protocol: "tcp", direction: "inbound" });
    expect(facts.resource).toMatchObject({ kind: "ec2-instance", instanceId: "i-0123456789abcdef0" });
    expect(facts.severity).toEqual({ label: "low", score: 2 });
    expect(facts.actor).toBeUndefined();
  });

  it("puts a role's session key on the actor and the role on the resource", () => {
    expect(normalizeEvent(fixture("guardduty-iam-exfiltration"), NOW)).toMatchObject({
      trigger: { type: "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS", findingId: "f0e1d2c3b4a5968778695a4b3c2d1e0f" },
      resource: { kind: "iam-access-key", roleName: "web-app-role" },
      actor: { accessKeyId: "ASIAQWERTYUIOPASDFGH", sourceIp: "198.51.100.200", userName: "web-app-role", userAgent: expect.stringContaining("aws-cli") },
      network: { remoteIp: "198.51.100.200" },
    });
    expect(normalizeEvent(fixture("guardduty-iam-exfiltration"), NOW).resource).not.toHaveProperty("accessKeyId");
  });

  it("puts a user's long-term key (AKIA) on the resource, where it can be deactivated", () => {
    const event = variant("guardduty-iam-exfiltration", "detail.resource.accessKeyDetails", { accessKeyId: "AKIAIOSFODNN7EXAMPLE", userName: "ci-deployer", userType: "IAMUser" });
    const facts = normalizeEvent(event, NOW);
    expect(facts.resource).toEqual({ kind: "iam-access-key", accessKeyId: "AKIAIOSFODNN7EXAMPLE", userName: "ci-deployer" });
    expect(facts.actor).not.toHaveProperty("accessKeyId");
  });

  it("names the user, not the session key, for a console sign-in", () => {
    const event = variant("guardduty-iam-exfiltration", "detail.resource.accessKeyDetails", { accessKeyId: "ASIAIOSFODNN7EXAMPLE", userName: "alice", userType: "IAMUser" });
    const facts = normalizeEvent(event, NOW);
    expect(facts.resource).toEqual({ kind: "iam-user", userName: "alice" });
    expect(facts.actor?.accessKeyId).toBe("ASIAIOSFODNN7EXAMPLE");
  });

  it("reads a port probe's first probe", () => {
    const event = variant("guardduty-ssh-brute-force", "detail.service.action", {
      actionType: "PORT_PROBE",
      portProbeAction: { blocked: false, portProbeDetails: [{ localPortDetails: { port: 3389, portName: "RDP" }, remoteIpDetails: { ipAddressV4: "192.0.2.9" } }] },
    });
    expect(normalizeEvent(event, NOW).network).toEqual({ remoteIp: "192.0.2.9", localPort: 3389, direction: "inbound" });
  });

  it("maps scores to GuardDuty's bands", () => {
    expect([0, 1, 3.9, 4, 6.9, 7, 8.9, 9, 10].map(severityLabel)).toEqual(["low", "low", "low", "medium", "medium", "high", "high", "critical", "critical"]);
    const critical = normalizeEvent(variant("guardduty-backdoor-ec2", "detail.severity", 9.2), NOW);
    expect(critical.severity).toEqual({ label: "critical", score: 9.2 });
  });

  it("refuses a sample finding: its placeholder ids may exist", () => {
    const event = variant("guardduty-backdoor-ec2", "detail.service.additionalInfo", { sample: true, type: "default", value: "{}" });
    expect(refusal(event).detail).toBe("detail.service.additionalInfo.sample");
  });

  it("refuses a finding that names no resource it can act on", () => {
    const event = variant("guardduty-backdoor-ec2", "detail.resource", { resourceType: "S3Bucket", s3BucketDetails: [{ name: "x" }] });
    expect(refusal(event).detail).toBe("detail.resource");
  });
});

describe("normalizeEvent: CloudTrail", () => {
  it("turns a world-open ingress rule into permission and actor facts", () => {
    expect(normalizeEvent(fixture("cloudtrail-authorize-sg-ingress-world"), NOW)).toEqual({
      trigger: {
        source: "cloudtrail",
        type: "AuthorizeSecurityGroupIngress",
        eventId: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        time: "2026-11-24T11:57:39Z",
        region: "us-east-1",
        accountId: "123456789012",
      },
      resource: { kind: "security-group", securityGroupId: "sg-0123456789abcdef0" },
      actor: {
        arn: "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_PowerUser_0123456789abcdef/alice@example.com",
        accountId: "123456789012",
        sourceIp: "192.0.2.44",
        userAgent: expect.stringMatching(/^aws-cli\/2\.17\.20 /),
        accessKeyId: "ASIAEXAMPLEKEY123456",
      },
      permission: { groupId: "sg-0123456789abcdef0", ruleId: "sgr-0aa11bb22cc33dd44", direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, cidr: "0.0.0.0/0" },
      severity: { label: "high", score: 8 },
    });
  });

  it("picks the first world-open range among several rules, IPv6 and numeric protocols included", () => {
    const event = variant("cloudtrail-authorize-sg-ingress-world", "detail.requestParameters.ipPermissions", {
      items: [
        { ipProtocol: "tcp", fromPort: 443, toPort: 443, ipRanges: { items: [{ cidrIp: "10.0.0.0/8" }] } },
        { ipProtocol: "17", fromPort: 53, toPort: 53, ipRanges: { items: [{ cidrIp: "192.0.2.0/24" }] }, ipv6Ranges: { items: [{ cidrIpv6: "::/0" }] } },
      ],
    });
    (event.detail as Json).eventName = "AuthorizeSecurityGroupEgress";
    (event.detail as Json).responseElements = { _return: true };
    expect(normalizeEvent(event, NOW).permission).toEqual({ groupId: "sg-0123456789abcdef0", direction: "egress", protocol: "udp", fromPort: 53, toPort: 53, cidr: "::/0" });
  });

  it("omits the ports of an all-protocols rule", () => {
    const event = variant("cloudtrail-authorize-sg-ingress-world", "detail.requestParameters.ipPermissions", {
      items: [{ ipProtocol: "-1", ipRanges: { items: [{ cidrIp: "0.0.0.0/0" }] } }],
    });
    expect(normalizeEvent(event, NOW).permission).toEqual({ groupId: "sg-0123456789abcdef0", ruleId: "sgr-0aa11bb22cc33dd44", direction: "ingress", protocol: "-1", cidr: "0.0.0.0/0" });
  });

  it("takes the group id from the response when the call named the group by name", () => {
    const event = variant("cloudtrail-authorize-sg-ingress-world", "detail.requestParameters.groupId", undefined);
    (event.detail as { requestParameters: Json }).requestParameters.groupName = "default";
    expect(normalizeEvent(event, NOW).permission?.groupId).toBe("sg-0123456789abcdef0");
  });

  it("refuses a protocol the document cannot represent rather than guess", () => {
    const event = variant("cloudtrail-authorize-sg-ingress-world", "detail.requestParameters.ipPermissions", { items: [{ ipProtocol: "47", ipRanges: { items: [{ cidrIp: "0.0.0.0/0" }] } }] });
    expect(refusal(event).detail).toBe("detail.requestParameters.ipPermissions.items.0.ipProtocol");
  });

  it("turns PutBucketAcl into a bucket resource with the caller", () => {
    expect(normalizeEvent(fixture("cloudtrail-put-bucket-acl"), NOW)).toEqual({
      trigger: { source: "cloudtrail", type: "PutBucketAcl", eventId: "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e", time: "2026-11-24T08:22:07Z", region: "eu-central-1", accountId: "123456789012" },
      resource: { kind: "s3-bucket", bucketName: "acme-marketing-assets" },
      actor: {
        arn: "arn:aws:iam::123456789012:user/deploy-bot",
        userName: "deploy-bot",
        accountId: "123456789012",
        sourceIp: "203.0.113.5",
        userAgent: "[aws-sdk-js/3.600.0 ua/2.0 os/linux#5.10 lang/js md/nodejs#20.11.0 api/s3#3.600.0]",
        accessKeyId: "AKIAEXAMPLEDEPLOYKEY",
      },
      severity: { label: "medium", score: 5.5 },
    });
  });

  it("handles PutBucketPolicy the same way, and drops a service name in sourceIPAddress", () => {
    const event = variant("cloudtrail-put-bucket-acl", "detail.eventName", "PutBucketPolicy");
    (event.detail as Json).sourceIPAddress = "cloudformation.amazonaws.com";
    const facts = normalizeEvent(event, NOW);
    expect(facts.trigger.type).toBe("PutBucketPolicy");
    expect(facts.resource).toEqual({ kind: "s3-bucket", bucketName: "acme-marketing-assets" });
    expect(facts.actor).not.toHaveProperty("sourceIp");
  });

  it("cleans and cuts an attacker's user agent instead of refusing the event", () => {
    const event = variant("cloudtrail-put-bucket-acl", "detail.userAgent", `evil\u0000\u001b[31m\u202e${"A".repeat(100_000 - 20)}`);
    const agent = normalizeEvent(event, NOW).actor?.userAgent ?? "";
    expect(agent.length).toBe(1024);
    expect([...agent].some((c) => c.charCodeAt(0) < 0x20 || c === "\u202e")).toBe(false);
  });

  it("refuses a CloudTrail event it does not know", () => {
    const event = variant("cloudtrail-authorize-sg-ingress-world", "detail.eventName", "RunInstances");
    expect(refusal(event).detail).toBe("detail.eventName");
  });

  it("refuses a bucket name that is not one", () => {
    const event = variant("cloudtrail-put-bucket-acl", "detail.requestParameters.bucketName", "../../etc/passwd");
    expect(refusal(event).detail).toBe("detail.requestParameters.bucketName");
  });
});

describe("normalizeEvent: AWS Config, flow logs, schedules, manual starts", () => {
  it("turns a Config compliance change on a bucket into a bucket resource", () => {
    expect(normalizeEvent(fixture("config-s3-public-read"), NOW)).toEqual({
      trigger: { source: "config", type: "s3-bucket-public-read-prohibited", eventId: "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", time: "2026-11-24T07:45:02.117Z", region: "eu-central-1", accountId: "123456789012" },
      resource: { kind: "s3-bucket", bucketName: "acme-marketing-assets" },
      severity: { label: "medium", score: 5.5 },
    });
  });

  it("reads security groups from Config and refuses resource types it does not know", () => {
    const group = variant("config-s3-public-read", "detail.resourceType", "AWS::EC2::SecurityGroup");
    (group.detail as Json).resourceId = "sg-0123456789abcdef0";
    expect(normalizeEvent(group, NOW).resource).toEqual({ kind: "security-group", securityGroupId: "sg-0123456789abcdef0" });
    expect(refusal(variant("config-s3-public-read", "detail.resourceType", "AWS::RDS::DBInstance")).detail).toBe("detail.resourceType");
    expect(refusal(variant("config-s3-public-read", "detail.resourceType", "AWS::EC2::SecurityGroup")).detail).toBe("detail.resourceId");
  });

  it("turns a rejected flow from a known-bad address into instance and network facts", () => {
    expect(normalizeEvent(fixture("flowlog-reject"), NOW)).toEqual({
      trigger: { source: "flowlogs", type: "REJECT", eventId: "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9", time: "2026-11-24T11:19:50.000Z", region: "us-east-1", accountId: "123456789012" },
      resource: { kind: "ec2-instance", instanceId: "i-0123456789abcdef0", vpcId: "vpc-0a1b2c3d", subnetId: "subnet-0a1b2c3d" },
      network: { remoteIp: "203.0.113.77", remotePort: 51544, localPort: 3389, protocol: "tcp", direction: "inbound" },
      severity: { label: "medium", score: 5.5 },
    });
  });

  it("infers an outbound flow from the private side when the record has no direction", () => {
    const event = fixture("flowlog-reject");
    Object.assign(event.detail as Json, { srcaddr: "172.31.20.5", dstaddr: "198.51.100.23", srcport: 40000, dstport: 4444, action: "ACCEPT", flowDirection: undefined, instanceId: undefined });
    const facts = normalizeEvent(JSON.parse(JSON.stringify(event)) as unknown, NOW);
    expect(facts.network).toEqual({ remoteIp: "198.51.100.23", remotePort: 4444, localPort: 40000, protocol: "tcp", direction: "outbound" });
    expect(facts.resource.kind).toBe("account");
    expect(facts.severity.label).toBe("high");
  });

  it("reads the camelCase field names the compiler's flow-log patterns filter on", () => {
    const event = fixture("flowlog-reject");
    event.detail = { action: "REJECT", dstPort: 22, knownBad: true, srcAddr: "198.51.100.23", dstAddr: "10.0.1.15", protocol: 6, interfaceId: "eni-0123456789abcdef0", instanceId: "i-0123456789abcdef0" };
    expect(normalizeEvent(event, NOW).network).toEqual({ remoteIp: "198.51.100.23", localPort: 22, protocol: "tcp", direction: "inbound" });
    expect(normalizeEvent(event, NOW).trigger.time).toBe("2026-11-24T11:20:15Z");
  });

  it("refuses a flow-log record with a hostile address or interface", () => {
    expect(refusal(variant("flowlog-reject", "detail.srcaddr", "203.0.113.77; curl evil")).detail).toBe("detail.srcaddr");
    expect(refusal(variant("flowlog-reject", "detail.interfaceId", "eni-../../x")).detail).toBe("detail.interfaceId");
    expect(refusal(variant("flowlog-reject", "detail.action", "DROP")).detail).toBe("detail.action");
  });

  it("turns a scheduled event into an account-wide trigger named for its rule", () => {
    expect(normalizeEvent(fixture("schedule"), NOW)).toEqual({
      trigger: { source: "schedule", type: "irflow-stale-access-keys-schedule", eventId: "89d1a02d-5ec7-412e-82f5-13505f849b41", time: "2026-11-24T06:00:00Z", region: "us-east-1", accountId: "123456789012" },
      resource: { kind: "account" },
      severity: { label: "low", score: 2 },
    });
    expect(refusal(variant("schedule", "resources", [])).detail).toBe("resources.0");
  });

  it("uses the runbook's severity for sources that have none", () => {
    expect(normalizeEvent(fixture("schedule"), NOW, { severity: "high" }).severity).toEqual({ label: "high", score: 8 });
    expect(normalizeEvent(fixture("guardduty-ssh-brute-force"), NOW, { severity: "critical" }).severity.label).toBe("low");
  });

  it("validates a manual start in document shape and fills the time from now when absent", () => {
    expect(normalizeEvent(fixture("manual"), NOW)).toEqual({
      trigger: { source: "manual", type: "LeakedAccessKey", eventId: "d4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f7a", time: "2026-11-24T11:59:30Z", region: "us-east-1", accountId: "123456789012" },
      resource: { kind: "iam-access-key", accessKeyId: "AKIAIOSFODNN7EXAMPLE", userName: "ci-deployer" },
      severity: { label: "high", score: 8 },
    });
    expect(normalizeEvent(variant("manual", "time", undefined), NOW).trigger.time).toBe(NOW.toISOString());
  });

  it("refuses a misspelt or hostile field in a manual start", () => {
    expect(refusal(variant("manual", "detail.resource", { kind: "ec2-instance", instanceID: "i-0123456789abcdef0" })).detail).toBe("detail.resource");
    expect(refusal(variant("manual", "detail.resource", { kind: "ec2-instance", instanceId: "i-123; rm -rf /" })).detail).toBe("detail.resource.instanceId");
    expect(refusal(variant("manual", "detail.resource", { kind: "database" })).detail).toBe("detail.resource.kind");
  });
});

describe("normalizeEvent: what it refuses", () => {
  it("refuses anything that is not an event", () => {
    for (const value of [null, undefined, "event", 42, [], {}]) expect(refusal(value).message).toMatch(/^event /);
  });

  it("refuses sources it does not know, quoting them only briefly", () => {
    const event = variant("schedule", "source", `x${"y".repeat(200)}`);
    const { message, detail } = refusal(event);
    expect(detail).toBe("source");
    expect(message.length).toBeLessThan(200);
  });

  it.each([
    ["an injected instance id", "detail.resource.instanceDetails.instanceId", "i-123; rm -rf /"],
    ["a full-width unicode instance id", "detail.resource.instanceDetails.instanceId", "i-0123456789abcdef\uff10"],
    ["a 100 KB finding type", "detail.type", "A".repeat(100_000)],
    ["a finding type with unicode", "detail.type", "Backdoor:EC2/C&CActivity.B\u202e"],
    ["a finding id that is not one", "detail.id", "../../x"],
    ["a severity out of range", "detail.severity", 11],
    ["a severity that is a string", "detail.severity", "8"],
    ["a detector id with a newline", "detail.service.detectorId", "12abc34d567e8fa901bc2d34e56789f0\n"],
    ["a missing account id", "detail.accountId", undefined],
    ["an account id that is not 12 digits", "account", "12345"],
    ["a region that is not one", "detail.region", "us-east-1; curl evil"],
    ["a remote address that is not one", "detail.service.action.networkConnectionAction.remoteIpDetails.ipAddressV4", "999.1.1.1"],
    ["a time that is not one", "time", "yesterday"],
  ])("refuses %s with the field's path and no raw exception", (_what, path, value) => {
    const event = variant("guardduty-backdoor-ec2", path, value);
    const { message, detail } = refusal(event);
    expect(detail).toBe(path === "detail.accountId" ? "detail.accountId" : path);
    expect(message).toContain(path);
    expect(message.length).toBeLessThan(300);
  });

  it("does not change the event it reads", () => {
    const event = fixture("cloudtrail-authorize-sg-ingress-world");
    const copy = structuredClone(event);
    normalizeEvent(event, NOW);
    expect(event).toEqual(copy);
  });
});
