import { DeleteNetworkAclEntryCommand, DeleteTagsCommand, DescribeNetworkAclsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import blockContract from "../../../functions/ec2/block-ip.contract.js";
import blockIp from "../../../functions/ec2/block-ip.js";
import contract from "../../../functions/ec2/unblock-ip.contract.js";
import task from "../../../functions/ec2/unblock-ip.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness, INCIDENT_ID } from "../../support/task-harness.js";
import { acl, ALLOW_ALL, entry, NetworkAclFake } from "./network-acl-fake.js";

const ec2 = mockClient(EC2Client);
const SUBNET = "subnet-0123456789abcdef0";
const ACL = "acl-0123456789abcdef0";
const CIDR = "203.0.113.9/32";
const TAG = `${CIDR}|2026-11-25T12:00:00.000Z|${INCIDENT_ID}`;
const IN_1 = { networkAclId: ACL, ruleNumber: 1, egress: false };
const OUT_1 = { networkAclId: ACL, ruleNumber: 1, egress: true };

function blocked(extra: { entries?: ReturnType<typeof entry>[]; tags?: Record<string, string> } = {}) {
  return acl(ACL, {
    subnets: [SUBNET],
    entries: [entry(1, false, "deny", CIDR), entry(1, true, "deny", CIDR), ...(extra.entries ?? []), ...ALLOW_ALL],
    tags: { Name: "web", "irflow:block:in:1": TAG, "irflow:block:out:1": TAG, ...(extra.tags ?? {}) },
  });
}

const mutations = () => [...ec2.commandCalls(DeleteNetworkAclEntryCommand).filter((c) => !c.args[0].input.DryRun), ...ec2.commandCalls(DeleteTagsCommand)];

describe("ec2.unblock-ip", () => {
  beforeEach(() => ec2.reset());
  afterEach(() => expectCallsDeclared(contract, { EC2Client: ec2 }));

  it("plans the removal of the recorded entries with DryRun, changing nothing", async () => {
    new NetworkAclFake([blocked()]).install(ec2);
    const plan = await harness(task).plan({ cidr: CIDR, entries: [IN_1, OUT_1] });
    expect(plan.changes).toBe(2);
    const dry = ec2.commandCalls(DeleteNetworkAclEntryCommand);
    expect(dry).toHaveLength(1);
    expect(dry[0]!.args[0].input).toEqual({ NetworkAclId: ACL, RuleNumber: 1, Egress: false, DryRun: true });
    expect(mutations()).toHaveLength(0);
  });

  it("deletes exactly the recorded entries and their tags (by value), and records how to block again", async () => {
    const fake = new NetworkAclFake([blocked()]);
    fake.install(ec2);
    const h = harness(task);
    const output = await h.run({ cidr: CIDR, entries: [IN_1, OUT_1] });
    expect(output).toEqual({ cidr: CIDR, removed: [IN_1, OUT_1], skipped: [] });
    expect(ec2.commandCalls(DescribeNetworkAclsCommand)[0]!.args[0].input.Filters).toEqual([{ Name: "network-acl-id", Values: [ACL] }]);
    expect(ec2.commandCalls(DeleteNetworkAclEntryCommand).map((c) => c.args[0].input)).toEqual([
      { NetworkAclId: ACL, RuleNumber: 1, Egress: false },
      { NetworkAclId: ACL, RuleNumber: 1, Egress: true },
    ]);
    expect(ec2.commandCalls(DeleteTagsCommand).map((c) => c.args[0].input)).toEqual([
      { Resources: [ACL], Tags: [{ Key: "irflow:block:in:1", Value: TAG }] },
      { Resources: [ACL], Tags: [{ Key: "irflow:block:out:1", Value: TAG }] },
    ]);
    expect(fake.rules(ACL)).toEqual([["egress", 100, "allow", "0.0.0.0/0"], ["ingress", 100, "allow", "0.0.0.0/0"]]);
    expect(fake.tags(ACL)).toEqual({ Name: "web" });
    const record = h.journal.all().find((r) => r.mode === "run")!;
    expect(record.changes).toEqual([
      { resource: ACL, action: "DeleteNetworkAclEntry ingress 1", before: { ruleNumber: 1, egress: false, ruleAction: "deny", protocol: "-1", cidr: CIDR, tag: { "irflow:block:in:1": TAG } }, after: null },
      { resource: ACL, action: "DeleteNetworkAclEntry egress 1", before: { ruleNumber: 1, egress: true, ruleAction: "deny", protocol: "-1", cidr: CIDR, tag: { "irflow:block:out:1": TAG } }, after: null },
    ]);
    expect(record.undo).toEqual({ task: "ec2.block-ip", input: { subnetId: SUBNET, ip: "203.0.113.9", expiresAfterHours: 24 } });
  });

  it("never deletes someone else's rule at a reused number, nor an untagged deny", async () => {
    const fake = new NetworkAclFake([
      acl(ACL, {
        subnets: [SUBNET],
        // Ingress 1 now holds a person's allow; egress 2 is a deny for the address that irflow never recorded.
        entries: [entry(1, false, "allow", "10.0.0.0/8"), entry(2, true, "deny", CIDR), ...ALLOW_ALL],
        tags: { "irflow:block:in:1": TAG },
      }),
    ]);
    fake.install(ec2);
    const h = harness(task);
    const output = await h.run({ cidr: CIDR, entries: [IN_1, { networkAclId: ACL, ruleNumber: 2, egress: true }] });
    expect(output).toEqual({ cidr: CIDR, removed: [], skipped: [IN_1, { networkAclId: ACL, ruleNumber: 2, egress: true }] });
    expect(ec2.commandCalls(DeleteNetworkAclEntryCommand)).toHaveLength(0);
    expect(fake.rules(ACL)).toContainEqual(["ingress", 1, "allow", "10.0.0.0/8"]);
    expect(fake.rules(ACL)).toContainEqual(["egress", 2, "deny", CIDR]);
    // The stale record of irflow's own block goes; nothing else.
    expect(ec2.commandCalls(DeleteTagsCommand).map((c) => c.args[0].input)).toEqual([{ Resources: [ACL], Tags: [{ Key: "irflow:block:in:1", Value: TAG }] }]);
    expect(h.journal.all()[0]!.undo).toBeUndefined();
    expect(h.journal.all()[0]!.summary).toMatch(/another rule/);
  });

  it("does not touch a recorded number whose tag names another address", async () => {
    const other = `198.51.100.7/32|2026-11-25T12:00:00.000Z|${INCIDENT_ID}`;
    const fake = new NetworkAclFake([acl(ACL, { subnets: [SUBNET], entries: [entry(1, false, "deny", "198.51.100.7/32"), ...ALLOW_ALL], tags: { "irflow:block:in:1": other } })]);
    fake.install(ec2);
    const output = await harness(task).run({ cidr: CIDR, entries: [IN_1] });
    expect(output).toEqual({ cidr: CIDR, removed: [], skipped: [IN_1] });
    expect(mutations()).toHaveLength(0);
  });

  it("converges when an entry or its whole ACL is already gone", async () => {
    const fake = new NetworkAclFake([acl(ACL, { subnets: [SUBNET], entries: [entry(1, true, "deny", CIDR), ...ALLOW_ALL], tags: { "irflow:block:in:1": TAG, "irflow:block:out:1": TAG } })]);
    fake.install(ec2);
    const gone = { networkAclId: "acl-0fedcba987654321f", ruleNumber: 4, egress: false };
    const output = await harness(task).run({ cidr: CIDR, entries: [IN_1, OUT_1, gone] });
    expect(output).toEqual({ cidr: CIDR, removed: [OUT_1], skipped: [IN_1, gone] });
    expect(fake.tags(ACL)).toEqual({});
  });

  it("runs once per step; a later step finds nothing left to remove and says so", async () => {
    new NetworkAclFake([blocked()]).install(ec2);
    const h = harness(task);
    const first = await h.run({ cidr: CIDR, entries: [IN_1, OUT_1] });
    const calls = ec2.calls().length;
    expect(await h.run({ cidr: CIDR, entries: [IN_1, OUT_1] })).toEqual(first);
    expect(ec2.calls()).toHaveLength(calls);
    const removed = mutations().length;
    const again = await h.run({ cidr: CIDR, entries: [IN_1, OUT_1] }, { stepId: "recover/unblock-again" });
    expect(again).toEqual({ cidr: CIDR, removed: [], skipped: [IN_1, OUT_1] });
    expect(mutations()).toHaveLength(removed);
    expect(h.journal.all().find((r) => r.mode === "run" && r.changes.length === 0)!.summary).toMatch(/nothing to remove/);
  });

  it("undoes exactly what ec2.block-ip recorded, leaving the ACL as it was", async () => {
    const original = acl(ACL, { subnets: [SUBNET], entries: [entry(1, false, "deny", "198.51.100.1/32"), ...ALLOW_ALL], tags: { Name: "web" } });
    const fake = new NetworkAclFake([original]);
    fake.install(ec2);
    const h = harness(blockIp);
    await h.run({ subnetId: SUBNET, ip: "203.0.113.9" });
    expectCallsDeclared(blockContract, { EC2Client: ec2 });
    const undo = h.journal.all().find((r) => r.mode === "run")!.undo!;
    expect(undo.task).toBe(contract.name);
    ec2.resetHistory();
    await harness(task).run(undo.input);
    expect(fake.acls).toEqual([original]);
  });

  it("matches an IPv6 block however the address is written", async () => {
    const v6 = "2001:db8::1/128";
    const tag = `${v6}|2026-11-25T12:00:00.000Z|${INCIDENT_ID}`;
    new NetworkAclFake([acl(ACL, { subnets: [SUBNET], entries: [entry(1, false, "deny", v6), ...ALLOW_ALL], tags: { "irflow:block:in:1": tag } })]).install(ec2);
    const h = harness(task);
    await expect(h.run({ cidr: "2001:DB8:0::1/128", entries: [IN_1] })).resolves.toMatchObject({ removed: [IN_1] });
    expect(h.journal.all()[0]!.undo?.input).toMatchObject({ ip: "2001:db8::1" });
  });

  it("maps throttling to Transient", async () => {
    ec2.on(DescribeNetworkAclsCommand).rejects(awsError("RequestLimitExceeded", 503));
    await expect(harness(task).run({ cidr: CIDR, entries: [IN_1] })).rejects.toMatchObject({ name: "Transient" });
  });

  it("refuses bad input before any AWS call", async () => {
    const h = harness(task);
    await expect(h.run({ cidr: "203.0.113.9", entries: [IN_1] })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(h.run({ cidr: CIDR, entries: [] })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(h.run({ cidr: CIDR, entries: [{ ...IN_1, ruleNumber: 32767 }] })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(h.run({ cidr: CIDR, entries: [{ ...IN_1, networkAclId: "acl-1; rm -rf /" }] })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(ec2.calls()).toHaveLength(0);
  });

  it("holds to the blast radius", async () => {
    new NetworkAclFake([blocked()]).install(ec2);
    await expect(harness(task).run({ cidr: CIDR, entries: [IN_1, OUT_1] }, { maxChanges: 1 })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "blast-radius" });
    expect(mutations()).toHaveLength(0);
  });
});
