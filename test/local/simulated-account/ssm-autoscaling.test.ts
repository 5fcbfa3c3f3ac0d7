import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DescribePrefixListsCommand, DescribeVpcEndpointsCommand, EC2Client } from "@aws-sdk/client-ec2";
import attachInstance from "../../../functions/autoscaling/attach-instance.js";
import detachInstance from "../../../functions/autoscaling/detach-instance.js";
import captureMemory from "../../../functions/ec2/capture-memory.js";
import isolateInstance from "../../../functions/ec2/isolate-instance.js";
import { failure, INCIDENT_ID, runner, scenario } from "./support.js";

/** Memory capture over Systems Manager into S3, and Auto Scaling membership, through the real tasks. */

const COMPROMISED = "i-0a1b2c3d4e5f67890";
const PEER = "i-0b1c2d3e4f5a67890";
const WORKER = "i-0b2c3d4e5f6a7b8c9";
const EVIDENCE = "irflow-evidence-123456789012";
const TARGET_GROUP = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-tg/0123456789abcdef";

describe("ec2.capture-memory over the simulated Systems Manager", () => {
  it("runs the capture document, waits for it, and records the image's SHA-256 from S3", async () => {
    const { account } = await scenario("flow-log-known-bad-traffic");
    const r = runner(account);
    const output = await r.run(captureMemory, { instanceId: WORKER, timeoutSeconds: 900 }, { stepId: "eradicate/capture-memory" });
    expect(output).toMatchObject({ instanceId: WORKER, bucket: EVIDENCE, key: `${INCIDENT_ID}/${WORKER}/memory-20261124T120000Z.lime`, sizeBytes: 1_048_576 });
    const object = account.snapshot().s3.buckets[EVIDENCE]!.objects[output.key as string]!;
    expect(output.sha256).toBe(object.sha256);
    expect(object.size).toBe(1_048_576);
    // One command, with the incident and step in its comment; polled with backoff until it ended.
    const commands = Object.values(account.snapshot().ssm.commands);
    expect(commands).toEqual([expect.objectContaining({ documentName: "irflow-capture-memory", comment: expect.stringMatching(new RegExp(`^irflow ${INCIDENT_ID} [0-9a-f]{16}$`)), status: "Success" })]);
    expect(r.sleeps).toEqual([5000]);
    const send = account.callsTo("ssm", "SendCommand")[0]!.input as { Parameters: { uploadUrl: string[]; evidenceLocation: string[] } };
    expect(send.Parameters.evidenceLocation).toEqual([`s3://${EVIDENCE}/${output.key as string}`]);
    expect(new URL(send.Parameters.uploadUrl[0]!).hostname).toBe(`${EVIDENCE}.s3.us-east-1.amazonaws.com`);
  });

  it("hashes the stored object itself when S3 keeps no SHA-256 for it", async () => {
    const s = await scenario("flow-log-known-bad-traffic");
    s.account.ssm.managed.get(WORKER)!.capture.checksum = "none";
    const output = await runner(s.account).run(captureMemory, { instanceId: WORKER }, { stepId: "eradicate/capture-memory" });
    expect(output.sha256).toBe(s.account.snapshot().s3.buckets[EVIDENCE]!.objects[output.key as string]!.sha256);
    expect(s.account.callsTo("s3", "GetObject")).toHaveLength(1);
  });

  it("resumes the capture a timed-out invocation started, instead of starting a second one", async () => {
    const { account } = await scenario("ec2-instance-compromise");
    const deadline = runner(account, {}, { sleep: () => Promise.reject(new Error("the Lambda is about to time out")) });
    expect(await failure(deadline.run(captureMemory, { instanceId: COMPROMISED }, { stepId: "eradicate/capture-memory" }))).toMatchObject({ name: "Transient", detail: "still-running" });
    const output = await runner(account).run(captureMemory, { instanceId: COMPROMISED }, { stepId: "eradicate/capture-memory" });
    expect(output.sizeBytes).toBe(524_288);
    expect(account.callsTo("ssm", "SendCommand")).toHaveLength(1);
  });

  it("captures after isolation: the quarantine group keeps HTTPS to the SSM endpoints and the S3 prefix list", async () => {
    const { account } = await scenario("ec2-instance-compromise");
    const r = runner(account);
    await r.run(isolateInstance, { instanceId: COMPROMISED }, { stepId: "contain/isolate-the-instance" });
    expect(account.snapshot().ssm.managedInstances[COMPROMISED]?.pingStatus).toBe("Online");
    await expect(r.run(captureMemory, { instanceId: COMPROMISED }, { stepId: "contain/capture-memory" })).resolves.toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), sizeBytes: 524288 });
  });

  it("the agent is offline when nothing reaches an endpoint: no egress, or the endpoint's group not letting the instance in", async () => {
    const { account } = await scenario("ec2-instance-compromise");
    const ec2 = account.ec2.state;
    const web = ec2.groups.get("sg-0a1b2c3d4e5f60718")!;
    const endpoints = ec2.groups.get("sg-0e0d0c0b0a0908070")!;
    expect(account.ssm.pingStatus(COMPROMISED)).toBe("Online");
    const egress = web.rules.filter((rule) => rule.egress);
    // Egress HTTPS to the endpoints' group only: still online.
    web.rules = [...web.rules.filter((rule) => !rule.egress), { ...egress[0]!, protocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: undefined, cidrIpv6: undefined, referencedGroupId: endpoints.groupId }];
    expect(account.ssm.pingStatus(COMPROMISED)).toBe("Online");
    // The endpoints' group no longer lets the VPC in: offline.
    const ingress = endpoints.rules;
    endpoints.rules = [];
    expect(account.ssm.pingStatus(COMPROMISED)).toBe("ConnectionLost");
    endpoints.rules = ingress;
    // No egress at all: offline.
    web.rules = web.rules.filter((rule) => !rule.egress);
    expect(account.ssm.pingStatus(COMPROMISED)).toBe("ConnectionLost");
  });

  it("the upload fails when the instance cannot reach S3, though the agent is online", async () => {
    const { account } = await scenario("ec2-instance-compromise");
    const web = account.ec2.state.groups.get("sg-0a1b2c3d4e5f60718")!;
    const template = web.rules.find((rule) => rule.egress)!;
    web.rules = [...web.rules.filter((rule) => !rule.egress), { ...template, protocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: undefined, cidrIpv6: undefined, referencedGroupId: "sg-0e0d0c0b0a0908070" }];
    expect(account.ssm.pingStatus(COMPROMISED)).toBe("Online");
    expect(await failure(runner(account).run(captureMemory, { instanceId: COMPROMISED }, { stepId: "contain/capture-memory" }))).toMatchObject({ name: "PreconditionFailed" });
    const invocation = Object.values(account.snapshot().ssm.commands)[0]!.invocations[COMPROMISED]!;
    expect(invocation).toMatchObject({ status: "Failed", stderr: expect.stringContaining("Connection timed out") });
  });

  it("answers DescribeVpcEndpoints and DescribePrefixLists from the scenario", async () => {
    const { account } = await scenario("ec2-instance-compromise");
    const client = account.clientProvider()(EC2Client);
    const endpoints = await client.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: "vpc-id", Values: ["vpc-0fedcba9876543210"] }] }));
    expect(endpoints.VpcEndpoints?.map((e) => [e.ServiceName, e.VpcEndpointType])).toEqual([
      ["com.amazonaws.eu-west-1.ssm", "Interface"],
      ["com.amazonaws.eu-west-1.ssmmessages", "Interface"],
      ["com.amazonaws.eu-west-1.ec2messages", "Interface"],
      ["com.amazonaws.eu-west-1.s3", "Gateway"],
    ]);
    const lists = await client.send(new DescribePrefixListsCommand({ Filters: [{ Name: "prefix-list-name", Values: ["com.amazonaws.eu-west-1.s3"] }] }));
    expect(lists.PrefixLists).toEqual([{ PrefixListId: "pl-6ea54007", PrefixListName: "com.amazonaws.eu-west-1.s3", Cidrs: [] }]);
  });

  it("reports a capture that fails on the instance, and an instance Systems Manager does not manage", async () => {
    const s = await scenario("flow-log-known-bad-traffic");
    s.account.ssm.managed.get(WORKER)!.capture.outcome = "Failed";
    expect(await failure(runner(s.account).run(captureMemory, { instanceId: WORKER }, { stepId: "eradicate/capture-memory" }))).toMatchObject({ name: "PreconditionFailed", detail: "Failed" });
    const { account } = await scenario("security-group-open-to-world");
    expect(await failure(runner(account).run(captureMemory, { instanceId: "i-0fedcba9876543210" }))).toMatchObject({ name: "PreconditionFailed", detail: "ssm-unmanaged" });
  });
});

describe("Auto Scaling tasks on a simulated account", () => {
  it("autoscaling.detach-instance keeps the capacity: the group launches a replacement and drains the instance", async () => {
    const { account } = await scenario("ec2-instance-compromise");
    const r = runner(account);
    const output = await r.run(detachInstance, { instanceId: COMPROMISED, autoScalingGroupName: "web-asg" }, { stepId: "contain/detach-from-the-auto-scaling-group" });
    expect(output).toEqual({ instanceId: COMPROMISED, autoScalingGroupName: "web-asg", desiredCapacity: 2, targetGroupArns: [TARGET_GROUP] });
    const state = account.snapshot();
    const group = state.autoscaling.groups["web-asg"]!;
    expect(group.desiredCapacity).toBe(2);
    const members = Object.keys(group.instances);
    expect(members).not.toContain(COMPROMISED);
    expect(members).toHaveLength(2);
    const replacement = members.find((id) => id !== PEER)!;
    expect(state.ec2.instances[replacement]).toMatchObject({ imageId: "ami-0abcdef1234567890", instanceType: "t3.medium", iamInstanceProfileArn: "arn:aws:iam::123456789012:instance-profile/web-app" });
    expect(state.elbv2.targetGroups[TARGET_GROUP]?.targets.sort()).toEqual([PEER, replacement].sort());
    expect(group.activities.map((a) => a.description)).toEqual([`Detaching EC2 instance: ${COMPROMISED}`, `Launching a new EC2 instance: ${replacement}`]);
    // The instance itself is untouched and still running.
    expect(state.ec2.instances[COMPROMISED]?.state).toBe("running");

    expect(await r.run(detachInstance, { instanceId: COMPROMISED, autoScalingGroupName: "web-asg" }, { incidentId: "inc-20261124-0002abcd", stepId: "contain/detach-from-the-auto-scaling-group" })).toMatchObject({ desiredCapacity: 2 });
    expect(account.mutations().map((c) => c.command)).toEqual(["DetachInstances"]);
  });

  it("autoscaling.attach-instance puts it back (capacity + 1) and refuses to pass the maximum", async () => {
    const { account } = await scenario("ec2-instance-compromise");
    const r = runner(account);
    await r.run(detachInstance, { instanceId: COMPROMISED }, { stepId: "contain/detach" });
    expect(await r.run(attachInstance, { instanceId: COMPROMISED, autoScalingGroupName: "web-asg" }, { stepId: "recover/attach" })).toMatchObject({ desiredCapacity: 3 });
    const group = account.snapshot().autoscaling.groups["web-asg"]!;
    expect(group.instances[COMPROMISED]).toBe("InService");
    expect(account.snapshot().elbv2.targetGroups[TARGET_GROUP]?.targets).toContain(COMPROMISED);

    account.autoscaling.groups.get("web-asg")!.maxSize = 3;
    await r.run(detachInstance, { instanceId: COMPROMISED }, { stepId: "contain/detach-again" });
    expect(await failure(r.run(attachInstance, { instanceId: COMPROMISED, autoScalingGroupName: "web-asg" }, { stepId: "recover/attach-again" }))).toMatchObject({ name: "PreconditionFailed", detail: "max-size" });
  });

  it("a group that does not exist is NotFound; the wrong group, or none, is refused", async () => {
    const { account } = await scenario("ec2-instance-compromise");
    const r = runner(account);
    expect(await failure(r.run(attachInstance, { instanceId: COMPROMISED, autoScalingGroupName: "no-such-asg" }))).toMatchObject({ name: "NotFound" });
    expect(await failure(r.run(detachInstance, { instanceId: COMPROMISED, autoScalingGroupName: "other-asg" }))).toMatchObject({ name: "PreconditionFailed", detail: "other-group" });
    const { account: other } = await scenario("flow-log-known-bad-traffic");
    expect(await failure(runner(other).run(detachInstance, { instanceId: WORKER }))).toMatchObject({ name: "PreconditionFailed", detail: "not-in-group" });
  });

  it("the memory image is the bytes the agent uploaded, checksum and all", async () => {
    const s = await scenario("flow-log-known-bad-traffic");
    const output = await runner(s.account).run(captureMemory, { instanceId: WORKER }, { stepId: "eradicate/capture-memory" });
    const stored = s.account.s3.buckets.get(EVIDENCE)!.objects.get(output.key as string)!.at(-1)!;
    expect(createHash("sha256").update(stored.body).digest("hex")).toBe(output.sha256);
    expect(Buffer.from(stored.checksums.sha256!, "base64").toString("hex")).toBe(output.sha256);
  });
});
