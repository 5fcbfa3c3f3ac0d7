import { CreateTagsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import blockIp from "../../../functions/ec2/block-ip.js";
import describeInstance from "../../../functions/ec2/describe-instance.js";
import isolateInstance from "../../../functions/ec2/isolate-instance.js";
import launchReplacementInstance from "../../../functions/ec2/launch-replacement-instance.js";
import restoreSecurityGroupRule from "../../../functions/ec2/restore-security-group-rule.js";
import restoreSecurityGroups from "../../../functions/ec2/restore-security-groups.js";
import revokeSecurityGroupRule from "../../../functions/ec2/revoke-security-group-rule.js";
import snapshotVolumes from "../../../functions/ec2/snapshot-volumes.js";
import startInstance from "../../../functions/ec2/start-instance.js";
import stopInstance from "../../../functions/ec2/stop-instance.js";
import tagInstance from "../../../functions/ec2/tag-instance.js";
import terminateInstance from "../../../functions/ec2/terminate-instance.js";
import unblockExpiredIps from "../../../functions/ec2/unblock-expired-ips.js";
import unblockIp from "../../../functions/ec2/unblock-ip.js";
import untagInstance from "../../../functions/ec2/untag-instance.js";
import { failure, INCIDENT_ID, runner, scenario } from "./support.js";

/** The real EC2 tasks against the scenarios' simulated accounts, asserting what changed there. */

const WEB = "i-0123456789abcdef0";
const COMPROMISED = "i-0a1b2c3d4e5f67890";
const WORKER = "i-0b2c3d4e5f6a7b8c9";

const groupNamed = (state: { ec2: { securityGroups: Record<string, { name: string }> } }, name: string) => Object.entries(state.ec2.securityGroups).find(([, g]) => g.name === name)?.[0];

describe("EC2 tasks on a simulated account", () => {
  it("ec2.tag-instance plans with a dry run, tags the instance once, and its undo removes the tags", async () => {
    const { account } = await scenario("ssh-rdp-brute-force");
    const r = runner(account);
    const plan = await r.plan(tagInstance, { instanceId: WEB, tags: { "irflow:status": "quarantined", Owner: "team-web" } });
    expect(plan).toMatchObject({ changes: 1, summary: `tag ${WEB} with irflow:status` });
    expect(account.calls.find((c) => c.command === "CreateTags")).toMatchObject({ dryRun: true, outcome: "error", error: "DryRunOperation" });
    expect(account.snapshot().ec2.instances[WEB]?.tags).not.toHaveProperty("irflow:status");

    const output = await r.run(tagInstance, { instanceId: WEB, tags: { "irflow:status": "quarantined", Owner: "team-web" } }, { stepId: "contain/tag-the-instance" });
    expect(output).toMatchObject({ previousValues: {} });
    expect(account.snapshot().ec2.instances[WEB]?.tags).toEqual({ Name: "web-1", Owner: "team-web", Environment: "production", "irflow:status": "quarantined" });
    // Another incident tagging the same values changes nothing.
    await r.run(tagInstance, { instanceId: WEB, tags: { "irflow:status": "quarantined" } }, { incidentId: "inc-20261124-0002abcd", stepId: "contain/tag-the-instance" });
    expect(account.mutations().map((c) => c.command)).toEqual(["CreateTags"]);

    await r.run(untagInstance, { instanceId: WEB, keys: ["irflow:status"] }, { stepId: "recover/untag" });
    expect(account.snapshot().ec2.instances[WEB]?.tags).not.toHaveProperty("irflow:status");
  });

  it("answers a dry run with DryRunOperation and changes nothing", async () => {
    const { account } = await scenario("ssh-rdp-brute-force");
    const ec2 = account.clientProvider()(EC2Client);
    await expect(ec2.send(new CreateTagsCommand({ Resources: [WEB], Tags: [{ Key: "k", Value: "v" }], DryRun: true }))).rejects.toMatchObject({ name: "DryRunOperation", $metadata: { httpStatusCode: 412 } });
    await expect(ec2.send(new CreateTagsCommand({ Resources: ["i-00000000000000000"], Tags: [{ Key: "k", Value: "v" }], DryRun: true }))).rejects.toMatchObject({ name: "InvalidInstanceID.NotFound" });
    expect(account.snapshot().ec2.instances[WEB]?.tags).not.toHaveProperty("k");
    expect(account.mutations()).toEqual([]);
  });

  it("reports a missing instance as NotFound, and refuses an exempt one", async () => {
    const { account } = await scenario("ssh-rdp-brute-force");
    const r = runner(account);
    expect(await failure(r.run(tagInstance, { instanceId: "i-0000000000000000a", tags: { a: "b" } }))).toMatchObject({ name: "NotFound", detail: "InvalidInstanceID.NotFound" });
    await account.clientProvider()(EC2Client).send(new CreateTagsCommand({ Resources: [WEB], Tags: [{ Key: "irflow:exempt", Value: "true" }] }));
    expect(await failure(r.run(isolateInstance, { instanceId: WEB }))).toMatchObject({ name: "PreconditionFailed", detail: "exempt" });
  });

  it("ec2.describe-instance reads the role, the Auto Scaling group and the target groups", async () => {
    const { account } = await scenario("ec2-instance-compromise");
    const output = await runner(account).run(describeInstance, { instanceId: COMPROMISED }, { stepId: "detect/describe-the-instance" });
    expect(output).toMatchObject({
      state: "running",
      vpcId: "vpc-0fedcba9876543210",
      subnetId: "subnet-0123456789abcdef0",
      securityGroupIds: ["sg-0a1b2c3d4e5f60718"],
      volumeIds: ["vol-0aa0bb0cc0dd0ee01", "vol-0aa0bb0cc0dd0ee02"],
      iamRoleName: "web-app-role",
      autoScalingGroupName: "web-asg",
      targetGroupArns: ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-tg/0123456789abcdef"],
      owner: "team-web",
      exempt: false,
    });
  });

  it("ec2.isolate-instance swaps through allow-all to a quarantine group (HTTPS to the VPC endpoints only), protects the instance, and is undone exactly", async () => {
    const { account } = await scenario("ec2-instance-compromise");
    const r = runner(account);
    const plan = await r.plan(isolateInstance, { instanceId: COMPROMISED });
    expect(plan.changes).toBeGreaterThanOrEqual(4);
    expect(account.mutations()).toEqual([]);

    const output = await r.run(isolateInstance, { instanceId: COMPROMISED }, { stepId: "contain/isolate-the-instance" });
    const state = account.snapshot();
    const quarantine = groupNamed(state, "irflow-quarantine")!;
    const untrack = groupNamed(state, "irflow-untrack")!;
    expect(output).toMatchObject({ instanceId: COMPROMISED, originalGroupIds: ["sg-0a1b2c3d4e5f60718"], quarantineGroupId: quarantine, terminationProtection: true });
    expect(state.ec2.securityGroups[quarantine]).toMatchObject({ vpcId: "vpc-0fedcba9876543210", ingress: [], tags: { "irflow:managed": "true", "irflow:purpose": "quarantine" } });
    expect(state.ec2.securityGroups[quarantine]!.egress.map((r) => `${r.protocol} ${r.fromPort ?? ""}-${r.toPort ?? ""} ${r.groupId ?? r.prefixListId ?? r.cidr ?? ""}`)).toEqual(["tcp 443-443 sg-0e0d0c0b0a0908070", "tcp 443-443 pl-6ea54007"]);
    const allowAll = (rules: readonly { protocol: string; cidr?: string }[]) => rules.map((rule) => `${rule.protocol} ${rule.cidr ?? ""}`).sort();
    expect(allowAll(state.ec2.securityGroups[untrack]!.ingress)).toEqual(["-1 0.0.0.0/0", "-1 ::/0"]);
    expect(allowAll(state.ec2.securityGroups[untrack]!.egress)).toEqual(["-1 0.0.0.0/0", "-1 ::/0"]);
    const instance = state.ec2.instances[COMPROMISED]!;
    expect(instance.networkInterfaces).toEqual([{ networkInterfaceId: "eni-0f1e2d3c4b5a69788", deviceIndex: 0, groups: [quarantine] }]);
    expect(instance.disableApiTermination).toBe(true);
    expect(instance.volumes.map((v) => v.deleteOnTermination)).toEqual([false, false]);
    expect(instance.tags).toMatchObject({ "irflow:isolated-from": "eni-0f1e2d3c4b5a69788=sg-0a1b2c3d4e5f60718", "irflow:isolated-by": INCIDENT_ID });
    // The interface went through the allow-all group first.
    expect(account.mutations().filter((c) => c.command === "ModifyNetworkInterfaceAttribute").map((c) => (c.input as { Groups: string[] }).Groups)).toEqual([[untrack], [quarantine]]);
    // Isolated, it fails its load balancer's health checks.
    const { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } = await import("@aws-sdk/client-elastic-load-balancing-v2");
    const health = await account.clientProvider()(ElasticLoadBalancingV2Client).send(new DescribeTargetHealthCommand({ TargetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-tg/0123456789abcdef" }));
    expect(health.TargetHealthDescriptions?.find((t) => t.Target?.Id === COMPROMISED)?.TargetHealth?.State).toBe("unhealthy");

    const changed = account.mutations().length;
    const again = await r.run(isolateInstance, { instanceId: COMPROMISED }, { incidentId: "inc-20261124-0002abcd", stepId: "contain/isolate-the-instance" });
    expect(again.quarantineGroupId).toBe(quarantine);
    expect(account.mutations()).toHaveLength(changed);

    await r.run(restoreSecurityGroups, { instanceId: COMPROMISED, groupIds: ["sg-0a1b2c3d4e5f60718"] }, { stepId: "recover/restore-the-groups" });
    const restored = account.snapshot().ec2.instances[COMPROMISED]!;
    expect(restored.networkInterfaces[0]?.groups).toEqual(["sg-0a1b2c3d4e5f60718"]);
    expect(Object.keys(restored.tags).filter((k) => k.startsWith("irflow:isolated"))).toEqual([]);
  });

  it("ec2.snapshot-volumes takes one crash-consistent set, tagged, and a retry reuses it", async () => {
    const { account } = await scenario("flow-log-known-bad-traffic");
    const r = runner(account);
    const output = (await r.run(snapshotVolumes, { instanceId: WORKER }, { stepId: "contain/snapshot-the-volumes" })) as { snapshots: { volumeId: string; snapshotId: string }[]; startedAt: string };
    expect(output.snapshots.map((s) => s.volumeId)).toEqual(["vol-0b2c3d4e5f6a7b8c1", "vol-0b2c3d4e5f6a7b8c2"]);
    const snapshots = account.snapshot().ec2.snapshots;
    for (const { snapshotId, volumeId } of output.snapshots) {
      expect(snapshots[snapshotId]).toMatchObject({ volumeId, tags: { "irflow:incident": INCIDENT_ID, "irflow:step": "contain/snapshot-the-volumes", "irflow:source-instance": WORKER, "irflow:source-volume": volumeId } });
    }
    expect(new Set(Object.values(snapshots).map((s) => s.startTime)).size).toBe(1);
    // A retry after the journal lost the result (a failure after CreateSnapshots) finds the snapshots.
    const retry = runner(account);
    const again = (await retry.run(snapshotVolumes, { instanceId: WORKER }, { stepId: "contain/snapshot-the-volumes" })) as typeof output;
    expect(again.snapshots).toEqual(output.snapshots);
    expect(account.mutations().filter((c) => c.command === "CreateSnapshots")).toHaveLength(1);
  });

  it("ec2.stop-instance and ec2.start-instance wait through the transitions", async () => {
    const { account } = await scenario("flow-log-known-bad-traffic");
    const r = runner(account);
    expect(await r.run(stopInstance, { instanceId: WORKER }, { stepId: "eradicate/stop" })).toMatchObject({ previousState: "running", state: "stopped" });
    expect(account.snapshot().ec2.instances[WORKER]).toMatchObject({ state: "stopped", stateReason: "Client.UserInitiatedShutdown" });
    expect(await r.run(startInstance, { instanceId: WORKER }, { stepId: "recover/start" })).toMatchObject({ previousState: "stopped", state: "running" });
    expect(r.sleeps.length).toBeGreaterThan(0);
  });

  it("ec2.start-instance reports an instance that falls back to stopped", async () => {
    const s = await scenario("flow-log-known-bad-traffic");
    const r = runner(s.account);
    await r.run(stopInstance, { instanceId: WORKER }, { stepId: "eradicate/stop" });
    s.account.ec2.state.instances.get(WORKER)!.failStartWith = "Client.InvalidKMSKey.InvalidState";
    expect(await failure(r.run(startInstance, { instanceId: WORKER }, { stepId: "recover/start" }))).toMatchObject({ name: "PreconditionFailed", detail: "Client.InvalidKMSKey.InvalidState" });
  });

  it("ec2.terminate-instance keeps the volumes, lifts isolation's protection, and the group replaces the instance", async () => {
    const { account } = await scenario("ec2-instance-compromise");
    const r = runner(account);
    await r.run(isolateInstance, { instanceId: COMPROMISED }, { stepId: "contain/isolate-the-instance" });
    const plan = await r.plan(terminateInstance, { instanceId: COMPROMISED });
    expect(plan.summary).toContain("removing its termination protection");

    const output = await r.run(terminateInstance, { instanceId: COMPROMISED }, { stepId: "eradicate/terminate" });
    expect(output).toMatchObject({ previousState: "running", terminationProtectionRemoved: true, retainedVolumeIds: ["vol-0aa0bb0cc0dd0ee01", "vol-0aa0bb0cc0dd0ee02"] });
    const state = account.snapshot();
    expect(state.ec2.instances[COMPROMISED]?.state).toBe("shutting-down");
    expect(state.ec2.volumes["vol-0aa0bb0cc0dd0ee01"]).toMatchObject({ state: "available", attachedTo: null });
    expect(state.ec2.volumes["vol-0aa0bb0cc0dd0ee02"]).toMatchObject({ state: "available", attachedTo: null });
    const group = state.autoscaling.groups["web-asg"]!;
    expect(group.desiredCapacity).toBe(2);
    expect(Object.keys(group.instances)).not.toContain(COMPROMISED);
    expect(Object.keys(group.instances)).toHaveLength(2);
    const replacement = Object.keys(group.instances).find((id) => id !== "i-0b1c2d3e4f5a67890")!;
    expect(state.ec2.instances[replacement]).toMatchObject({ imageId: "ami-0abcdef1234567890", tags: { "aws:autoscaling:groupName": "web-asg" } });
    // A repeat finds it gone and changes nothing.
    expect(await r.run(terminateInstance, { instanceId: COMPROMISED }, { incidentId: "inc-20261124-0002abcd", stepId: "eradicate/terminate" })).toMatchObject({ terminationProtectionRemoved: false, retainedVolumeIds: [] });
  });

  it("ec2.launch-replacement-instance launches once (IMDSv2, no key pair, the old profile) and finds its launch on retry", async () => {
    const { account } = await scenario("flow-log-known-bad-traffic");
    const r = runner(account);
    await r.plan(launchReplacementInstance, { instanceId: WORKER, securityGroupIds: ["sg-0c1d2e3f4a5b6c7d8"] });
    const output = await r.run(launchReplacementInstance, { instanceId: WORKER, securityGroupIds: ["sg-0c1d2e3f4a5b6c7d8"] }, { stepId: "recover/launch-a-replacement" });
    const id = output.instanceId as string;
    expect(id).toMatch(/^i-[0-9a-f]{17}$/);
    expect(account.snapshot().ec2.instances[id]).toMatchObject({
      imageId: "ami-0c1d2e3f4a5b6c7d8",
      instanceType: "c6i.xlarge",
      subnetId: "subnet-0b2c3d4e5f6a7b8c9",
      tags: { Name: "batch-worker-3", Owner: "team-data", "irflow:replaces": WORKER, "irflow:incident": INCIDENT_ID, "irflow:step": "recover/launch-a-replacement" },
    });
    expect(account.ec2.state.instances.get(id)).toMatchObject({ metadataHttpTokens: "required", keyName: undefined });
    const again = await runner(account).run(launchReplacementInstance, { instanceId: WORKER, securityGroupIds: ["sg-0c1d2e3f4a5b6c7d8"] }, { stepId: "recover/launch-a-replacement" });
    expect(again.instanceId).toBe(id);
    expect(account.mutations().filter((c) => c.command === "RunInstances")).toHaveLength(1);
  });

  it("ec2.revoke-security-group-rule removes exactly the reported rule; its undo re-creates it", async () => {
    const { account } = await scenario("security-group-open-to-world");
    const r = runner(account);
    const permission = { groupId: "sg-0123456789abcdef0", ruleId: "sgr-0aa11bb22cc33dd44", direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, cidr: "0.0.0.0/0" };
    const revoked = await r.run(revokeSecurityGroupRule, permission, { stepId: "contain/revoke-a-world-open-port-range" });
    expect(revoked).toMatchObject({ ruleId: "sgr-0aa11bb22cc33dd44", description: "temp debug" });
    const group = account.snapshot().ec2.securityGroups["sg-0123456789abcdef0"]!;
    expect(group.ingress.map((rule) => rule.ruleId)).toEqual(["sgr-0f1e2d3c4b5a69780"]);
    expect(group.egress).toHaveLength(2);
    // Revoking again (another incident, same event) finds it gone.
    await r.run(revokeSecurityGroupRule, permission, { incidentId: "inc-20261124-0002abcd", stepId: "contain/revoke-a-world-open-port-range" });

    const restored = await r.run(restoreSecurityGroupRule, revoked, { stepId: "recover/restore-the-rule" });
    const rules = account.snapshot().ec2.securityGroups["sg-0123456789abcdef0"]!.ingress;
    expect(rules).toContainEqual(expect.objectContaining({ ruleId: restored.ruleId, protocol: "tcp", fromPort: 22, toPort: 22, cidr: "0.0.0.0/0", description: "temp debug" }));
    expect(restored.ruleId).not.toBe("sgr-0aa11bb22cc33dd44");
  });

  it("ec2.revoke-security-group-rule refuses a rule id that now names another permission", async () => {
    const { account } = await scenario("security-group-open-to-world");
    const error = await failure(
      runner(account).run(revokeSecurityGroupRule, { groupId: "sg-0123456789abcdef0", ruleId: "sgr-0f1e2d3c4b5a69780", direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, cidr: "0.0.0.0/0" }),
    );
    expect(error).toMatchObject({ name: "PreconditionFailed" });
    expect(account.snapshot().ec2.securityGroups["sg-0123456789abcdef0"]!.ingress).toHaveLength(2);
  });

  it("ec2.block-ip denies the address in and out below the first allow, tagged with its expiry; ec2.unblock-ip lifts exactly that", async () => {
    const { account } = await scenario("ssh-rdp-brute-force");
    const r = runner(account);
    const block = await r.run(blockIp, { subnetId: "subnet-0c1d2e3f4a5b6c7d8", ip: "203.0.113.77", expiresAfterHours: 24 }, { stepId: "contain/block-the-attacking-address" });
    expect(block).toEqual({
      cidr: "203.0.113.77/32",
      entries: [
        { networkAclId: "acl-0e1f2a3b4c5d6e7f8", ruleNumber: 1, egress: false },
        { networkAclId: "acl-0e1f2a3b4c5d6e7f8", ruleNumber: 1, egress: true },
      ],
      expiresAt: "2026-11-25T12:00:00.000Z",
    });
    const acl = account.snapshot().ec2.networkAcls["acl-0e1f2a3b4c5d6e7f8"]!;
    expect(acl.entries.filter((e) => e.action === "deny")).toEqual([
      { ruleNumber: 1, egress: false, action: "deny", protocol: "-1", cidr: "203.0.113.77/32" },
      { ruleNumber: 1, egress: true, action: "deny", protocol: "-1", cidr: "203.0.113.77/32" },
    ]);
    expect(acl.tags["irflow:block:in:1"]).toBe(`203.0.113.77/32|2026-11-25T12:00:00.000Z|${INCIDENT_ID}`);
    // The private subnet's ACL is untouched.
    expect(account.snapshot().ec2.networkAcls["acl-0f1e2d3c4b5a69780"]!.entries).toHaveLength(2);
    // A second address takes the next number.
    await r.run(blockIp, { subnetId: "subnet-0c1d2e3f4a5b6c7d8", ip: "198.51.100.9" }, { stepId: "contain/block-another" });
    expect(account.snapshot().ec2.networkAcls["acl-0e1f2a3b4c5d6e7f8"]!.tags).toHaveProperty("irflow:block:out:2");

    await r.run(unblockIp, { cidr: "203.0.113.77/32", entries: block.entries }, { stepId: "recover/unblock" });
    const after = account.snapshot().ec2.networkAcls["acl-0e1f2a3b4c5d6e7f8"]!;
    expect(after.entries.filter((e) => e.action === "deny").map((e) => e.cidr)).toEqual(["198.51.100.9/32", "198.51.100.9/32"]);
    expect(Object.keys(after.tags).filter((k) => k.startsWith("irflow:block:"))).toEqual(["irflow:block:in:2", "irflow:block:out:2"]);
  });

  it("ec2.block-ip refuses to evict a rule when the ACL's quota is full", async () => {
    const { account } = await scenario("ssh-rdp-brute-force");
    const r = runner(account);
    const error = await failure(r.run(blockIp, { subnetId: "subnet-0c1d2e3f4a5b6c7d8", ip: "203.0.113.77", entryQuota: 20 }, { stepId: "contain/block", maxChanges: 50 }).then(async () => {
      for (let i = 1; i <= 20; i += 1) await r.run(blockIp, { subnetId: "subnet-0c1d2e3f4a5b6c7d8", ip: `203.0.113.${100 + i}` }, { stepId: `contain/block-${i}` });
    }));
    expect(error).toMatchObject({ name: "PreconditionFailed", detail: "quota" });
  });

  it("ec2.unblock-expired-ips lifts only expired irflow blocks and reports the rest", async () => {
    const { account } = await scenario("network-acl-block-expiry");
    const output = await runner(account).run(unblockExpiredIps, {}, { stepId: "recover/lift-the-expired-blocks", maxChanges: 20 });
    expect(output).toEqual({
      removed: [
        { networkAclId: "acl-0e1f2a3b4c5d6e7f8", ruleNumber: 1, egress: false, cidr: "203.0.113.77/32", expiredAt: "2026-11-24T10:31:44.000Z" },
        { networkAclId: "acl-0e1f2a3b4c5d6e7f8", ruleNumber: 1, egress: true, cidr: "203.0.113.77/32", expiredAt: "2026-11-24T10:31:44.000Z" },
      ],
      remaining: 2,
      mismatched: [{ networkAclId: "acl-0e1f2a3b4c5d6e7f9", ruleNumber: 4, egress: false }],
    });
    const acls = account.snapshot().ec2.networkAcls;
    expect(acls["acl-0e1f2a3b4c5d6e7f8"]!.entries.map((e) => `${e.egress ? "out" : "in"} ${e.ruleNumber}`)).toEqual(["in 2", "in 100", "in 130", "out 2", "out 100"]);
    expect(Object.keys(acls["acl-0e1f2a3b4c5d6e7f8"]!.tags).filter((k) => k.startsWith("irflow:"))).toEqual(["irflow:block:in:2", "irflow:block:out:2"]);
    // The stale record goes; the mismatched one and the foreign deny stay.
    expect(Object.keys(acls["acl-0e1f2a3b4c5d6e7f9"]!.tags).filter((k) => k.startsWith("irflow:"))).toEqual(["irflow:block:in:4"]);
    expect(acls["acl-0e1f2a3b4c5d6e7f9"]!.entries.map((e) => e.ruleNumber)).toEqual([4, 5, 100, 100]);
  });
});
