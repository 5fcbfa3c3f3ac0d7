import { CreateNetworkAclEntryCommand, CreateTagsCommand, DeleteNetworkAclEntryCommand, DescribeNetworkAclsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/ec2/block-ip.contract.js";
import task from "../../../functions/ec2/block-ip.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness, INCIDENT_ID } from "../../support/task-harness.js";
import { acl, ALLOW_ALL, entry, NetworkAclFake, VPC } from "./network-acl-fake.js";

const ec2 = mockClient(EC2Client);
const SUBNET = "subnet-0123456789abcdef0";
const ACL = "acl-0123456789abcdef0";
const ACL2 = "acl-0fedcba987654321f";
const IP = "203.0.113.9";
const CIDR = "203.0.113.9/32";
const EXPIRES = "2026-11-25T12:00:00.000Z"; // harness NOW + 24 h
const TAG_VALUE = `${CIDR}|${EXPIRES}|${INCIDENT_ID}`;

function mutations() {
  return [
    ...ec2.commandCalls(CreateNetworkAclEntryCommand).filter((c) => !c.args[0].input.DryRun),
    ...ec2.commandCalls(CreateTagsCommand),
    ...ec2.commandCalls(DeleteNetworkAclEntryCommand),
  ];
}

describe("ec2.block-ip", () => {
  beforeEach(() => ec2.reset());
  afterEach(() => expectCallsDeclared(contract, { EC2Client: ec2 }));

  it("plans an inbound and an outbound deny, proving permission with DryRun and changing nothing", async () => {
    new NetworkAclFake([acl(ACL, { subnets: [SUBNET] })]).install(ec2);
    const plan = await harness(task).plan({ subnetId: SUBNET, ip: IP });
    expect(plan.changes).toBe(2);
    expect(plan.summary).toContain(EXPIRES);
    expect(ec2.commandCalls(DescribeNetworkAclsCommand)[0]!.args[0].input.Filters).toEqual([{ Name: "association.subnet-id", Values: [SUBNET] }]);
    const dry = ec2.commandCalls(CreateNetworkAclEntryCommand);
    expect(dry).toHaveLength(1);
    expect(dry[0]!.args[0].input).toMatchObject({ DryRun: true, NetworkAclId: ACL, RuleAction: "deny", CidrBlock: CIDR });
    expect(mutations()).toHaveLength(0);
  });

  it("denies the /32 both ways below the first allow rule, tags the ACL with cidr, expiry and incident, and records an undo", async () => {
    const fake = new NetworkAclFake([acl(ACL, { subnets: [SUBNET] })]);
    fake.install(ec2);
    const h = harness(task);
    const output = await h.run({ subnetId: SUBNET, ip: IP, expiresAfterHours: 24 });
    const entries = [
      { networkAclId: ACL, ruleNumber: 1, egress: false },
      { networkAclId: ACL, ruleNumber: 1, egress: true },
    ];
    expect(output).toEqual({ cidr: CIDR, entries, expiresAt: EXPIRES });
    expect(ec2.commandCalls(CreateNetworkAclEntryCommand).map((c) => c.args[0].input)).toEqual([
      { NetworkAclId: ACL, RuleNumber: 1, Egress: false, RuleAction: "deny", Protocol: "-1", CidrBlock: CIDR },
      { NetworkAclId: ACL, RuleNumber: 1, Egress: true, RuleAction: "deny", Protocol: "-1", CidrBlock: CIDR },
    ]);
    expect(ec2.commandCalls(CreateTagsCommand).map((c) => c.args[0].input)).toEqual([
      { Resources: [ACL], Tags: [{ Key: "irflow:block:in:1", Value: TAG_VALUE }] },
      { Resources: [ACL], Tags: [{ Key: "irflow:block:out:1", Value: TAG_VALUE }] },
    ]);
    expect(fake.tags(ACL)).toEqual({ "irflow:block:in:1": TAG_VALUE, "irflow:block:out:1": TAG_VALUE });
    const record = h.journal.all().find((r) => r.mode === "run")!;
    expect(record.changes).toEqual([
      { resource: ACL, action: "CreateNetworkAclEntry ingress 1", before: null, after: { ruleNumber: 1, egress: false, ruleAction: "deny", protocol: "-1", cidr: CIDR, tag: { "irflow:block:in:1": TAG_VALUE } } },
      { resource: ACL, action: "CreateNetworkAclEntry egress 1", before: null, after: { ruleNumber: 1, egress: true, ruleAction: "deny", protocol: "-1", cidr: CIDR, tag: { "irflow:block:out:1": TAG_VALUE } } },
    ]);
    expect(record.undo).toEqual({ task: "ec2.unblock-ip", input: { cidr: CIDR, entries } });
  });

  it("takes the lowest free number below each direction's first allow rule, and the expiry from the injected clock", async () => {
    const fake = new NetworkAclFake([
      acl(ACL, {
        subnets: [SUBNET],
        entries: [entry(1, false, "deny", "198.51.100.1/32"), entry(2, false, "deny", "198.51.100.2/32"), entry(5, false, "allow", "10.0.0.0/8"), entry(100, false, "allow", "0.0.0.0/0"), entry(50, true, "allow", "0.0.0.0/0")],
      }),
    ]);
    fake.install(ec2);
    const output = await harness(task).run({ subnetId: SUBNET, ip: IP, expiresAfterHours: 2 });
    expect(output.entries).toEqual([
      { networkAclId: ACL, ruleNumber: 3, egress: false },
      { networkAclId: ACL, ruleNumber: 1, egress: true },
    ]);
    expect(output.expiresAt).toBe("2026-11-24T14:00:00.000Z");
    expect(fake.rules(ACL)).toContainEqual(["ingress", 3, "deny", CIDR]);
  });

  it("fails PreconditionFailed, changing nothing, when no number is free below the first allow rule", async () => {
    new NetworkAclFake([acl(ACL, { subnets: [SUBNET], entries: [entry(1, false, "allow", "0.0.0.0/0"), entry(100, true, "allow", "0.0.0.0/0")] })]).install(ec2);
    await expect(harness(task).run({ subnetId: SUBNET, ip: IP })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "rule-number" });
    expect(mutations()).toHaveLength(0);
  });

  it("respects the entry quota per direction and family instead of evicting a rule", async () => {
    const full = Array.from({ length: 19 }, (_, i) => entry(i + 1, false, "deny", `198.51.100.${i + 1}/32`));
    const acls = [acl(ACL, { subnets: [SUBNET], entries: [...full, ...ALLOW_ALL] })];
    new NetworkAclFake(acls).install(ec2);
    await expect(harness(task).run({ subnetId: SUBNET, ip: IP })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "quota", message: expect.stringContaining("20 ingress IPv4") });
    expect(mutations()).toHaveLength(0);
    // A raised quota lets it through, at the next free number.
    const output = await harness(task).run({ subnetId: SUBNET, ip: IP, entryQuota: 21 });
    expect(output.entries).toContainEqual({ networkAclId: ACL, ruleNumber: 20, egress: false });
    // IPv6 entries have their own quota.
    ec2.reset();
    new NetworkAclFake(acls).install(ec2);
    await expect(harness(task).run({ subnetId: SUBNET, ip: "2001:db8::7" })).resolves.toMatchObject({ cidr: "2001:db8::7/128" });
  });

  it("blocks an IPv6 address as its canonical /128", async () => {
    new NetworkAclFake([acl(ACL, { subnets: [SUBNET] })]).install(ec2);
    const output = await harness(task).run({ subnetId: SUBNET, ip: "2001:DB8:0:0::0:1" });
    expect(output.cidr).toBe("2001:db8::1/128");
    expect(ec2.commandCalls(CreateNetworkAclEntryCommand)[0]!.args[0].input).toMatchObject({ Ipv6CidrBlock: "2001:db8::1/128", Protocol: "-1", RuleAction: "deny" });
    expect(ec2.commandCalls(CreateNetworkAclEntryCommand)[0]!.args[0].input.CidrBlock).toBeUndefined();
  });

  it("blocks at every network ACL a subnet of the VPC uses, and none other", async () => {
    const fake = new NetworkAclFake([acl(ACL, { subnets: [SUBNET] }), acl(ACL2, { subnets: ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"] }), acl("acl-0cccccccccccccccc")]);
    fake.install(ec2);
    const output = await harness(task).run({ vpcId: VPC, ip: IP });
    expect(ec2.commandCalls(DescribeNetworkAclsCommand)[0]!.args[0].input.Filters).toEqual([{ Name: "vpc-id", Values: [VPC] }]);
    expect((output.entries as { networkAclId: string }[]).map((e) => e.networkAclId)).toEqual([ACL, ACL, ACL2, ACL2]);
    expect(fake.rules("acl-0cccccccccccccccc")).toEqual([["egress", 100, "allow", "0.0.0.0/0"], ["ingress", 100, "allow", "0.0.0.0/0"]]);
  });

  it("runs once per incident and step: a repeat returns the recorded result without touching the ACL", async () => {
    new NetworkAclFake([acl(ACL, { subnets: [SUBNET] })]).install(ec2);
    const h = harness(task);
    const first = await h.run({ subnetId: SUBNET, ip: IP });
    const calls = ec2.calls().length;
    expect(await h.run({ subnetId: SUBNET, ip: IP })).toEqual(first);
    expect(ec2.calls()).toHaveLength(calls);
  });

  it("reuses its own block from another step without a duplicate, and says so", async () => {
    const fake = new NetworkAclFake([acl(ACL, { subnets: [SUBNET] })]);
    fake.install(ec2);
    const h = harness(task);
    const first = await h.run({ subnetId: SUBNET, ip: IP }, { stepId: "contain/block-first" });
    const created = mutations().length;
    const second = await h.run({ subnetId: SUBNET, ip: IP }, { stepId: "contain/block-again" });
    expect(second).toEqual(first);
    expect(mutations()).toHaveLength(created);
    expect(fake.rules(ACL).filter(([, , action]) => action === "deny")).toHaveLength(2);
    const record = h.journal.all().find((r) => r.mode === "run" && r.summary.includes("already"))!;
    expect(record.changes).toEqual([]);
    expect(record.summary).toMatch(/already blocked.*nothing changed/);
    // Still this incident's block: its undo still lifts it.
    expect(record.undo?.input).toEqual({ cidr: CIDR, entries: first.entries });
  });

  it("extends another incident's block of the same address instead of duplicating it, and leaves its lifting to that incident", async () => {
    const other = `${CIDR}|2026-11-24T13:00:00.000Z|inc-20261123-0000beef`;
    const fake = new NetworkAclFake([
      acl(ACL, { subnets: [SUBNET], entries: [entry(7, false, "deny", CIDR), entry(7, true, "deny", CIDR), ...ALLOW_ALL], tags: { "irflow:block:in:7": other, "irflow:block:out:7": other } }),
    ]);
    fake.install(ec2);
    const h = harness(task);
    const output = await h.run({ subnetId: SUBNET, ip: IP });
    expect(output.entries).toEqual([
      { networkAclId: ACL, ruleNumber: 7, egress: false },
      { networkAclId: ACL, ruleNumber: 7, egress: true },
    ]);
    expect(ec2.commandCalls(CreateNetworkAclEntryCommand)).toHaveLength(0);
    expect(fake.tags(ACL)["irflow:block:in:7"]).toBe(`${CIDR}|${EXPIRES}|inc-20261123-0000beef`);
    const record = h.journal.all().find((r) => r.mode === "run")!;
    expect(record.changes).toEqual([
      { resource: ACL, action: "CreateTags irflow:block:in:7", before: other, after: `${CIDR}|${EXPIRES}|inc-20261123-0000beef` },
      { resource: ACL, action: "CreateTags irflow:block:out:7", before: other, after: `${CIDR}|${EXPIRES}|inc-20261123-0000beef` },
    ]);
    expect(record.undo).toBeUndefined();
  });

  it("does not count a deny that someone else wrote, or one now behind an allow, as its block", async () => {
    const stale = `${CIDR}|${EXPIRES}|${INCIDENT_ID}`;
    const fake = new NetworkAclFake([
      acl(ACL, {
        subnets: [SUBNET],
        // Untagged deny at 2 (a person's); irflow's egress deny at 60 now sits behind an allow at 50.
        entries: [entry(2, false, "deny", CIDR), entry(100, false, "allow", "0.0.0.0/0"), entry(50, true, "allow", "0.0.0.0/0"), entry(60, true, "deny", CIDR)],
        tags: { "irflow:block:out:60": stale },
      }),
    ]);
    fake.install(ec2);
    const output = await harness(task).run({ subnetId: SUBNET, ip: IP });
    expect(output.entries).toEqual([
      { networkAclId: ACL, ruleNumber: 1, egress: false },
      { networkAclId: ACL, ruleNumber: 1, egress: true },
    ]);
  });

  it("turns a rule number taken concurrently into Transient so the retry allocates again", async () => {
    new NetworkAclFake([acl(ACL, { subnets: [SUBNET] })]).install(ec2);
    ec2.on(CreateNetworkAclEntryCommand).rejects(awsError("NetworkAclEntryAlreadyExists"));
    await expect(harness(task).run({ subnetId: SUBNET, ip: IP })).rejects.toMatchObject({ name: "Transient", message: expect.stringContaining(`${ACL} ingress 1`) });
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);
  });

  it("takes an entry back when its tag cannot be written, so no untracked deny is left", async () => {
    const fake = new NetworkAclFake([acl(ACL, { subnets: [SUBNET] })]);
    fake.install(ec2);
    ec2.on(CreateTagsCommand).rejects(awsError("RequestLimitExceeded", 503));
    await expect(harness(task).run({ subnetId: SUBNET, ip: IP })).rejects.toMatchObject({ name: "Transient" });
    expect(ec2.commandCalls(DeleteNetworkAclEntryCommand).map((c) => c.args[0].input)).toEqual([{ NetworkAclId: ACL, RuleNumber: 1, Egress: false }]);
    expect(fake.rules(ACL).filter(([, , action]) => action === "deny")).toEqual([]);
  });

  it("maps throttling to Transient", async () => {
    ec2.on(DescribeNetworkAclsCommand).rejects(awsError("RequestLimitExceeded", 503));
    await expect(harness(task).run({ subnetId: SUBNET, ip: IP })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a subnet or VPC without network ACLs as NotFound with its id", async () => {
    new NetworkAclFake([]).install(ec2);
    await expect(harness(task).run({ subnetId: SUBNET, ip: IP })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(SUBNET) });
    await expect(harness(task).run({ vpcId: VPC, ip: IP })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(VPC) });
  });

  it("refuses bad input before any AWS call", async () => {
    const h = harness(task);
    await expect(h.run({ subnetId: SUBNET, vpcId: VPC, ip: IP })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(h.run({ ip: IP })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(h.run({ subnetId: SUBNET, ip: "203.0.113.0/24" })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(h.run({ subnetId: SUBNET, ip: IP, expiresAfterHours: 0 })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(h.run({ subnetId: SUBNET, ip: IP, entryQuota: 41 })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(ec2.calls()).toHaveLength(0);
  });

  it("refuses an ACL tagged exempt unless the step allows it", async () => {
    new NetworkAclFake([acl(ACL, { subnets: [SUBNET], tags: { "irflow:exempt": "true" } })]).install(ec2);
    await expect(harness(task).run({ subnetId: SUBNET, ip: IP })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "exempt" });
    expect(mutations()).toHaveLength(0);
    await expect(harness(task).run({ subnetId: SUBNET, ip: IP }, { allowExempt: true })).resolves.toMatchObject({ cidr: CIDR });
  });

  it("holds to the blast radius across a VPC's ACLs", async () => {
    new NetworkAclFake(Array.from({ length: 6 }, (_, i) => acl(`acl-0${String(i).repeat(16)}`, { subnets: [`subnet-0${String(i).repeat(16)}`] }))).install(ec2);
    await expect(harness(task).run({ vpcId: VPC, ip: IP })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "blast-radius" });
    expect(mutations()).toHaveLength(0);
    await expect(harness(task).plan({ vpcId: VPC, ip: IP })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "blast-radius" });
    await expect(harness(task).run({ vpcId: VPC, ip: IP }, { maxChanges: 12 })).resolves.toMatchObject({ cidr: CIDR });
  });

  it("refuses an ACL without room for the two tags that record the block", async () => {
    const tags = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`team:${i}`, "x"]));
    new NetworkAclFake([acl(ACL, { subnets: [SUBNET], tags })]).install(ec2);
    await expect(harness(task).run({ subnetId: SUBNET, ip: IP })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "tag-limit" });
    expect(mutations()).toHaveLength(0);
  });
});
