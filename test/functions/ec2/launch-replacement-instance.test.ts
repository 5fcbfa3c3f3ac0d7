import { DescribeImagesCommand, DescribeInstanceAttributeCommand, DescribeInstancesCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/ec2/launch-replacement-instance.contract.js";
import task from "../../../functions/ec2/launch-replacement-instance.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness, INCIDENT_ID } from "../../support/task-harness.js";
import { AMI, described, INSTANCE, instance, PROFILE_ARN, SG_ADMIN, SG_WEB, SUBNET } from "./instance-fixtures.js";

const ec2 = mockClient(EC2Client);
const NEW = "i-0fedcba9876543210";
const PATCHED_AMI = "ami-0fedcba9876543210";
const STEP = "contain/test-step";
const old = instance({
  tags: { Name: "web-1", owner: "payments", "aws:cloudformation:stack-name": "web", "irflow:status": "quarantined" },
  extra: { IamInstanceProfile: { Arn: PROFILE_ARN, Id: "AIPAEXAMPLE" }, KeyName: "attacker-may-have-it", MetadataOptions: { HttpTokens: "optional", HttpPutResponseHopLimit: 2 } },
});
const input = { instanceId: INSTANCE, securityGroupIds: [SG_WEB, SG_ADMIN] };
const launched = { InstanceId: NEW, ImageId: AMI, SubnetId: SUBNET, PrivateIpAddress: "10.0.1.99", IamInstanceProfile: { Arn: PROFILE_ARN }, NetworkInterfaces: [{ NetworkInterfaceId: "eni-0fedcba9876543210", Attachment: { DeviceIndex: 0 }, Groups: [{ GroupId: SG_WEB }, { GroupId: SG_ADMIN }] }] };

function world(options: { replacement?: boolean } = {}) {
  ec2.on(DescribeInstancesCommand).resolves(options.replacement ? described(launched) : { Reservations: [] });
  ec2.on(DescribeInstancesCommand, { InstanceIds: [INSTANCE] }).resolves(described(old));
  ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: AMI, State: "available" }, { ImageId: PATCHED_AMI, State: "available" }] });
  ec2.on(RunInstancesCommand, { DryRun: true }).rejects(awsError("DryRunOperation", 412));
  ec2.on(RunInstancesCommand, { DryRun: undefined }).resolves({ Instances: [launched] });
}

const realRuns = () => ec2.commandCalls(RunInstancesCommand).filter((c) => !c.args[0].input.DryRun);

describe("ec2.launch-replacement-instance", () => {
  beforeEach(() => ec2.reset());
  afterEach(() => expectCallsDeclared(contract, { EC2Client: ec2 }));

  it("plans the launch with a DryRun of the exact request and launches nothing", async () => {
    world();
    const plan = await harness(task).plan(input);
    expect(plan.changes).toBe(1);
    expect(plan.summary).toContain(AMI);
    expect(plan.summary).toMatch(/IMDSv2 only, no key pair/);
    const calls = ec2.commandCalls(RunInstancesCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toMatchObject({ DryRun: true, ImageId: AMI, SubnetId: SUBNET });
  });

  it("launches from the old AMI in its subnet with its type and profile, the clean groups, IMDSv2 and no key pair", async () => {
    world();
    const h = harness(task);
    const output = await h.run(input);
    expect(output).toEqual({
      instanceId: NEW,
      replacesInstanceId: INSTANCE,
      imageId: AMI,
      subnetId: SUBNET,
      securityGroupIds: [SG_WEB, SG_ADMIN],
      instanceProfileArn: PROFILE_ARN,
      privateIp: "10.0.1.99",
    });
    const run = realRuns()[0]!.args[0].input;
    const tags = [
      { Key: "Name", Value: "web-1" },
      { Key: "owner", Value: "payments" },
      { Key: "irflow:incident", Value: INCIDENT_ID },
      { Key: "irflow:step", Value: STEP },
      { Key: "irflow:replaces", Value: INSTANCE },
    ];
    expect(run).toEqual({
      ImageId: AMI,
      InstanceType: "t3.large",
      MinCount: 1,
      MaxCount: 1,
      SubnetId: SUBNET,
      SecurityGroupIds: [SG_WEB, SG_ADMIN],
      IamInstanceProfile: { Arn: PROFILE_ARN },
      MetadataOptions: { HttpTokens: "required", HttpEndpoint: "enabled", HttpPutResponseHopLimit: 2 },
      TagSpecifications: [
        { ResourceType: "instance", Tags: tags },
        { ResourceType: "volume", Tags: tags },
      ],
      ClientToken: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(run.KeyName).toBeUndefined();
    expect(run.UserData).toBeUndefined();
    expect(ec2.commandCalls(DescribeInstanceAttributeCommand)).toHaveLength(0);
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([
      {
        resource: NEW,
        action: "RunInstances",
        before: null,
        after: { replaces: INSTANCE, imageId: AMI, instanceType: "t3.large", subnetId: SUBNET, securityGroupIds: [SG_WEB, SG_ADMIN], instanceProfileArn: PROFILE_ARN, httpTokens: "required", keyPair: null, userData: "none" },
      },
    ]);
    expect(record!.undo).toEqual({ task: "ec2.terminate-instance", input: { instanceId: NEW } });
  });

  it("takes a patched AMI, another type and the reviewed user data when asked", async () => {
    world();
    ec2.on(DescribeInstanceAttributeCommand).resolves({ UserData: { Value: "IyEvYmluL2Jhc2g=" } });
    await harness(task).run({ ...input, amiId: PATCHED_AMI, instanceType: "m6i.xlarge", copyUserData: true });
    expect(ec2.commandCalls(DescribeImagesCommand)[0]!.args[0].input).toEqual({ ImageIds: [PATCHED_AMI] });
    expect(ec2.commandCalls(DescribeInstanceAttributeCommand)[0]!.args[0].input).toEqual({ InstanceId: INSTANCE, Attribute: "userData" });
    expect(realRuns()[0]!.args[0].input).toMatchObject({ ImageId: PATCHED_AMI, InstanceType: "m6i.xlarge", UserData: "IyEvYmluL2Jhc2g=" });
  });

  it("derives the client token from incident and step, so a retried launch returns the same instance", async () => {
    world();
    await harness(task).run(input);
    await harness(task).run(input, { stepId: "recover/another-replacement" });
    const [first, second] = realRuns().map((c) => c.args[0].input.ClientToken);
    expect(first).not.toEqual(second);
    ec2.resetHistory();
    await harness(task).run(input);
    expect(realRuns()[0]!.args[0].input.ClientToken).toEqual(first);
  });

  it("runs once per incident and step: a repeat returns the recorded result without calling AWS", async () => {
    world();
    const h = harness(task);
    const first = await h.run(input);
    const calls = ec2.calls().length;
    await expect(h.run(input)).resolves.toEqual(first);
    expect(ec2.calls()).toHaveLength(calls);
    expect(realRuns()).toHaveLength(1);
  });

  it("finds the replacement this incident and step already launched, launches nothing, and says so", async () => {
    world({ replacement: true });
    const h = harness(task);
    const output = await h.run(input);
    expect(output).toMatchObject({ instanceId: NEW, replacesInstanceId: INSTANCE, subnetId: SUBNET });
    expect(ec2.commandCalls(RunInstancesCommand)).toHaveLength(0);
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]!.args[0].input.Filters).toEqual([
      { Name: "tag:irflow:replaces", Values: [INSTANCE] },
      { Name: "tag:irflow:incident", Values: [INCIDENT_ID] },
      { Name: "tag:irflow:step", Values: [STEP] },
      { Name: "instance-state-name", Values: ["pending", "running", "stopping", "stopped"] },
    ]);
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([]);
    expect(record!.summary).toMatch(/already replaced/);
    expect(record!.undo).toEqual({ task: "ec2.terminate-instance", input: { instanceId: NEW } });
    await expect(harness(task).plan(input)).resolves.toMatchObject({ changes: 0 });
  });

  it("reports a missing AMI as NotFound with its id, and refuses one that is not available", async () => {
    world();
    ec2.on(DescribeImagesCommand).resolves({ Images: [] });
    await expect(harness(task).run(input)).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(AMI) });
    ec2.on(DescribeImagesCommand).resolves({ Images: [{ ImageId: AMI, State: "deregistered" }] });
    await expect(harness(task).run(input)).rejects.toMatchObject({ name: "PreconditionFailed" });
    expect(ec2.commandCalls(RunInstancesCommand)).toHaveLength(0);
  });

  it("maps throttling to Transient", async () => {
    world();
    ec2.on(RunInstancesCommand, { DryRun: undefined }).rejects(awsError("RequestLimitExceeded", 503));
    await expect(harness(task).run(input)).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing instance as NotFound with its id", async () => {
    world();
    ec2.on(DescribeInstancesCommand, { InstanceIds: [INSTANCE] }).rejects(awsError("InvalidInstanceID.NotFound"));
    await expect(harness(task).run(input)).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(INSTANCE) });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ instanceId: INSTANCE, securityGroupIds: [] })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ ...input, amiId: "ami-123; curl evil" })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ ...input, instanceType: "t3.micro --user-data x" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(ec2.calls()).toHaveLength(0);
  });

  it("replaces an exempt instance too: nothing about the old one changes", async () => {
    world();
    ec2.on(DescribeInstancesCommand, { InstanceIds: [INSTANCE] }).resolves(described(instance({ tags: { "irflow:exempt": "true" } })));
    await expect(harness(task).run(input)).resolves.toMatchObject({ instanceId: NEW });
  });
});
