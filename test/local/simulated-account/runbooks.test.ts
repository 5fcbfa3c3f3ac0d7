import { describe, expect, it } from "vitest";
import detachInstance from "../../../functions/autoscaling/detach-instance.js";
import { normalizeEvent } from "../../../functions/detect/normalize-event.js";
import blockIp from "../../../functions/ec2/block-ip.js";
import captureMemory from "../../../functions/ec2/capture-memory.js";
import describeInstance from "../../../functions/ec2/describe-instance.js";
import isolateInstance from "../../../functions/ec2/isolate-instance.js";
import snapshotVolumes from "../../../functions/ec2/snapshot-volumes.js";
import tagInstance from "../../../functions/ec2/tag-instance.js";
import terminateInstance from "../../../functions/ec2/terminate-instance.js";
import archiveFinding from "../../../functions/guardduty/archive-finding.js";
import sendFeedback from "../../../functions/guardduty/send-feedback.js";
import revokeRoleSessions from "../../../functions/iam/revoke-role-sessions.js";
import notify from "../../../functions/sns/notify.js";
import { INCIDENT_ID, NOW, runner, scenario } from "./support.js";

/**
 * Runbooks' steps in their order, inputs taken from the normalised event and earlier outputs as the
 * workflow would take them, against the scenario written for the runbook; the scenario's `expect`
 * notes are checked where they are precise.
 */

interface DemoExpect {
  contain: { block: { cidr: string; networkAclId: string; entries: { ruleNumber: number; egress: boolean }[]; tags: string[] } };
  "post-incident": { finding: { archived: boolean; feedback: string } };
}

describe("runbooks on their scenarios", () => {
  it("ssh-rdp-brute-force (the demo): describe, block for 24 h, tell the owner, archive, feedback", async () => {
    const s = await scenario("ssh-rdp-brute-force");
    const expected = s.expect as DemoExpect;
    const facts = normalizeEvent(s.event, NOW);
    expect(facts.network).toMatchObject({ remoteIp: "203.0.113.77", direction: "inbound", localPort: 22 });
    const r = runner(s.account);

    const instance = await r.run(describeInstance, { instanceId: facts.resource.instanceId }, { stepId: "detect/describe-the-instance" });
    const block = await r.run(blockIp, { subnetId: instance.subnetId, ip: facts.network!.remoteIp, expiresAfterHours: 24 }, { stepId: "contain/block-the-attacking-address" });
    await r.run(
      notify,
      { subject: `Blocked ${facts.network!.remoteIp!} at ${String(instance.subnetId)} for 24h`, message: `irflow denied ${String(block.cidr)} until ${String(block.expiresAt)}.`, severity: facts.severity.label, audience: "owner" },
      { stepId: "contain/tell-the-owner" },
    );
    const ids = { detectorId: facts.trigger.detectorId, findingId: facts.trigger.findingId };
    await r.run(archiveFinding, ids, { stepId: "post-incident/archive-the-finding" });
    await r.run(sendFeedback, { ...ids, feedback: "USEFUL", comments: "Source address blocked for 24 hours by irflow runbook ssh-rdp-brute-force." }, { stepId: "post-incident/tell-guardduty-the-finding-was-useful" });

    const state = s.account.snapshot();
    const acl = state.ec2.networkAcls[expected.contain.block.networkAclId]!;
    expect(block.cidr).toBe(expected.contain.block.cidr);
    expect(block.entries).toEqual(expected.contain.block.entries.map((e) => ({ networkAclId: expected.contain.block.networkAclId, ...e })));
    expect(Object.keys(acl.tags).filter((k) => k.startsWith("irflow:"))).toEqual(expected.contain.block.tags);
    expect(state.guardduty.detectors[ids.detectorId!]?.findings[ids.findingId!]).toMatchObject(expected["post-incident"].finding);
    expect(state.sns.topics["arn:aws:sns:us-east-1:123456789012:irflow-owner"]?.messages).toHaveLength(1);
    // Only what the runbook changes changed: the web group still has its SSH rule.
    expect(state.ec2.securityGroups["sg-0123456789abcdef0"]?.ingress.map((rule) => rule.ruleId)).toContain("sgr-0cc33dd44ee55ff66");
    expect(s.account.mutations().map((c) => `${c.service}:${c.command}`)).toEqual([
      "ec2:CreateNetworkAclEntry",
      "ec2:CreateTags",
      "ec2:CreateNetworkAclEntry",
      "ec2:CreateTags",
      "sns:Publish",
      "guardduty:ArchiveFindings",
      "guardduty:UpdateFindingsFeedback",
    ]);
  });

  it("ec2-instance-compromise: contain in order; the capture after isolation works through the endpoints; terminate keeps the evidence", async () => {
    const s = await scenario("ec2-instance-compromise");
    const facts = normalizeEvent(s.event, NOW);
    const instanceId = facts.resource.instanceId!;
    const r = runner(s.account);

    const instance = await r.run(describeInstance, { instanceId }, { stepId: "detect/describe-the-instance" });
    const snapshots = (await r.run(snapshotVolumes, { instanceId }, { stepId: "contain/snapshot-the-volumes" })) as { snapshots: { volumeId: string }[] };
    await r.run(detachInstance, { instanceId, autoScalingGroupName: instance.autoScalingGroupName }, { stepId: "contain/detach-from-the-auto-scaling-group" });
    await r.run(isolateInstance, { instanceId }, { stepId: "contain/isolate-the-instance" });
    await r.run(tagInstance, { instanceId, tags: { "irflow:incident": INCIDENT_ID, "irflow:status": "quarantined" } }, { stepId: "contain/tag-the-instance" });
    await expect(r.run(captureMemory, { instanceId }, { stepId: "contain/capture-memory" })).resolves.toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    await r.run(revokeRoleSessions, { roleName: instance.iamRoleName }, { stepId: "contain/revoke-the-roles-sessions" });

    const termination = await r.run(terminateInstance, { instanceId }, { stepId: "eradicate/terminate-the-grouped-instance" });

    const state = s.account.snapshot();
    expect(snapshots.snapshots.map((x) => x.volumeId)).toEqual(["vol-0aa0bb0cc0dd0ee01", "vol-0aa0bb0cc0dd0ee02"]);
    expect(termination).toMatchObject({ terminationProtectionRemoved: true, retainedVolumeIds: ["vol-0aa0bb0cc0dd0ee01", "vol-0aa0bb0cc0dd0ee02"] });
    expect(state.ec2.volumes["vol-0aa0bb0cc0dd0ee02"]?.state).toBe("available");
    expect(Object.values(state.ec2.snapshots).map((x) => x.tags["irflow:incident"])).toEqual([INCIDENT_ID, INCIDENT_ID]);
    expect(state.iam.roles["web-app-role"]?.inlinePolicies).toHaveProperty("AWSRevokeOlderSessions");
    // Detached first, so the termination left the group alone: it launched one replacement, at detach.
    const group = state.autoscaling.groups["web-asg"]!;
    expect(group.desiredCapacity).toBe(2);
    expect(group.activities.filter((a) => a.description?.startsWith("Launching"))).toHaveLength(1);
    expect(state.ec2.instances[instanceId]?.tags).toMatchObject({ "irflow:status": "quarantined", "irflow:isolated-by": INCIDENT_ID });
  });
});
