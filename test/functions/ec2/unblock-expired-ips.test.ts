import { DeleteNetworkAclEntryCommand, DeleteTagsCommand, DescribeNetworkAclsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/ec2/unblock-expired-ips.contract.js";
import task from "../../../functions/ec2/unblock-expired-ips.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness, INCIDENT_ID } from "../../support/task-harness.js";
import { acl, ALLOW_ALL, entry, NetworkAclFake, VPC } from "./network-acl-fake.js";

const ec2 = mockClient(EC2Client);
const ACL = "acl-0123456789abcdef0";
const ACL2 = "acl-0fedcba987654321f";
const OLD = "198.51.100.1/32";
const NEW = "198.51.100.2/32";
const PAST = "2026-11-24T11:59:59.000Z"; // harness NOW is 12:00:00
const FUTURE = "2026-11-24T18:00:00.000Z";
const tag = (cidr: string, at: string) => `${cidr}|${at}|${INCIDENT_ID}`;

/** ACL: an expired block (in+out at 1), a live one (in+out at 2), a reused number (in 3), a stale record (out 4), an untagged deny (in 5). */
function world() {
  return new NetworkAclFake([
    acl(ACL, {
      subnets: ["subnet-0123456789abcdef0"],
      entries: [
        entry(1, false, "deny", OLD),
        entry(1, true, "deny", OLD),
        entry(2, false, "deny", NEW),
        entry(2, true, "deny", NEW),
        entry(3, false, "allow", "10.0.0.0/8"),
        entry(5, false, "deny", "192.0.2.1/32"),
        ...ALLOW_ALL,
      ],
      tags: {
        Name: "web",
        "irflow:block:in:1": tag(OLD, PAST),
        "irflow:block:out:1": tag(OLD, PAST),
        "irflow:block:in:2": tag(NEW, FUTURE),
        "irflow:block:out:2": tag(NEW, FUTURE),
        "irflow:block:in:3": tag("192.0.2.9/32", PAST),
        "irflow:block:out:4": tag("192.0.2.10/32", PAST),
      },
    }),
    acl(ACL2, { vpcId: "vpc-0fedcba987654321f", entries: [entry(1, false, "deny", OLD), ...ALLOW_ALL], tags: { "irflow:block:in:1": tag(OLD, PAST) } }),
  ]);
}

const mutations = () => [...ec2.commandCalls(DeleteNetworkAclEntryCommand).filter((c) => !c.args[0].input.DryRun), ...ec2.commandCalls(DeleteTagsCommand)];

describe("ec2.unblock-expired-ips", () => {
  beforeEach(() => ec2.reset());
  afterEach(() => expectCallsDeclared(contract, { EC2Client: ec2 }));

  it("plans the removal of expired entries with DryRun, reading only ACLs that carry irflow blocks", async () => {
    world().install(ec2);
    const plan = await harness(task).plan({ vpcId: VPC });
    expect(ec2.commandCalls(DescribeNetworkAclsCommand)[0]!.args[0].input.Filters).toEqual([
      { Name: "tag-key", Values: ["irflow:block:*"] },
      { Name: "vpc-id", Values: [VPC] },
    ]);
    expect(plan.changes).toBe(3); // in 1, out 1, and the stale record at out 4
    expect(ec2.commandCalls(DeleteNetworkAclEntryCommand).map((c) => c.args[0].input)).toEqual([{ NetworkAclId: ACL, RuleNumber: 1, Egress: false, DryRun: true }]);
    expect(mutations()).toHaveLength(0);
  });

  it("removes entries past their expiry, keeps the rest, and reports numbers that now hold another rule", async () => {
    const fake = world();
    fake.install(ec2);
    const h = harness(task);
    const output = await h.run({ vpcId: VPC });
    expect(output).toEqual({
      removed: [
        { networkAclId: ACL, ruleNumber: 1, egress: false, cidr: OLD, expiredAt: PAST },
        { networkAclId: ACL, ruleNumber: 1, egress: true, cidr: OLD, expiredAt: PAST },
      ],
      remaining: 2,
      mismatched: [{ networkAclId: ACL, ruleNumber: 3, egress: false }],
    });
    expect(ec2.commandCalls(DeleteNetworkAclEntryCommand).map((c) => c.args[0].input)).toEqual([
      { NetworkAclId: ACL, RuleNumber: 1, Egress: false },
      { NetworkAclId: ACL, RuleNumber: 1, Egress: true },
    ]);
    expect(fake.rules(ACL)).toEqual([
      ["egress", 2, "deny", NEW],
      ["egress", 100, "allow", "0.0.0.0/0"],
      ["ingress", 2, "deny", NEW],
      ["ingress", 3, "allow", "10.0.0.0/8"],
      ["ingress", 5, "deny", "192.0.2.1/32"],
      ["ingress", 100, "allow", "0.0.0.0/0"],
    ]);
    expect(fake.tags(ACL)).toEqual({ Name: "web", "irflow:block:in:2": tag(NEW, FUTURE), "irflow:block:out:2": tag(NEW, FUTURE), "irflow:block:in:3": tag("192.0.2.9/32", PAST) });
    // The other VPC's ACL is outside this sweep.
    expect(fake.rules(ACL2)).toContainEqual(["ingress", 1, "deny", OLD]);
    const record = h.journal.all().find((r) => r.mode === "run")!;
    expect(record.changes).toEqual([
      { resource: ACL, action: "DeleteNetworkAclEntry ingress 1", before: { ruleNumber: 1, egress: false, ruleAction: "deny", protocol: "-1", cidr: OLD, tag: { "irflow:block:in:1": tag(OLD, PAST) } }, after: null },
      { resource: ACL, action: "DeleteNetworkAclEntry egress 1", before: { ruleNumber: 1, egress: true, ruleAction: "deny", protocol: "-1", cidr: OLD, tag: { "irflow:block:out:1": tag(OLD, PAST) } }, after: null },
      { resource: ACL, action: "DeleteTags irflow:block:out:4", before: tag("192.0.2.10/32", PAST), after: null },
    ]);
    expect(record.undo).toBeUndefined();
  });

  it("sweeps the whole region when no VPC is given", async () => {
    const fake = world();
    fake.install(ec2);
    const output = await harness(task).run({});
    expect(ec2.commandCalls(DescribeNetworkAclsCommand)[0]!.args[0].input.Filters).toEqual([{ Name: "tag-key", Values: ["irflow:block:*"] }]);
    expect(output.removed).toHaveLength(3);
    expect(fake.rules(ACL2)).toEqual([["egress", 100, "allow", "0.0.0.0/0"], ["ingress", 100, "allow", "0.0.0.0/0"]]);
  });

  it("leaves a block that expires exactly now for the next sweep", async () => {
    new NetworkAclFake([acl(ACL, { entries: [entry(1, false, "deny", OLD), ...ALLOW_ALL], tags: { "irflow:block:in:1": tag(OLD, "2026-11-24T12:00:00.000Z") } })]).install(ec2);
    await expect(harness(task).run({})).resolves.toEqual({ removed: [], remaining: 1, mismatched: [] });
    expect(mutations()).toHaveLength(0);
  });

  it("runs once per step; a later sweep finds nothing expired and says so", async () => {
    world().install(ec2);
    const h = harness(task);
    const first = await h.run({ vpcId: VPC });
    const calls = ec2.calls().length;
    expect(await h.run({ vpcId: VPC })).toEqual(first);
    expect(ec2.calls()).toHaveLength(calls);
    const done = mutations().length;
    const next = await h.run({ vpcId: VPC }, { stepId: "recover/sweep-again" });
    expect(next).toEqual({ removed: [], remaining: 2, mismatched: [{ networkAclId: ACL, ruleNumber: 3, egress: false }] });
    expect(mutations()).toHaveLength(done);
    expect(h.journal.all().find((r) => r.mode === "run" && r.changes.length === 0)!.summary).toMatch(/no expired irflow block/);
  });

  it("maps throttling to Transient", async () => {
    ec2.on(DescribeNetworkAclsCommand).rejects(awsError("RequestLimitExceeded", 503));
    await expect(harness(task).run({})).rejects.toMatchObject({ name: "Transient" });
  });

  it("holds to the blast radius and removes nothing beyond it", async () => {
    world().install(ec2);
    await expect(harness(task).run({}, { maxChanges: 2 })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "blast-radius" });
    expect(mutations()).toHaveLength(0);
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ vpcId: "vpc-1 OR 1=1" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(ec2.calls()).toHaveLength(0);
  });
});
