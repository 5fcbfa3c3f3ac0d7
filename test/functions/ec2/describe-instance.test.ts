import { AutoScalingClient, DescribeAutoScalingInstancesCommand } from "@aws-sdk/client-auto-scaling";
import { DescribeInstancesCommand, DescribeSecurityGroupRulesCommand, EC2Client, type SecurityGroupRule } from "@aws-sdk/client-ec2";
import { DescribeTargetGroupsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { GetInstanceProfileCommand, IAMClient } from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/ec2/describe-instance.contract.js";
import task from "../../../functions/ec2/describe-instance.js";
import { canonicalJson, sha256Hex } from "../../../functions/contract/digest.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness } from "../../support/task-harness.js";
import { AMI, described, ENI, ENI_2, INSTANCE, instance, OTHER_VPC, PROFILE_ARN, SG_ADMIN, SG_DB, SG_WEB, SUBNET, VOL_DATA, VOL_ROOT, VPC } from "./instance-fixtures.js";

const ec2 = mockClient(EC2Client);
const autoscaling = mockClient(AutoScalingClient);
const elb = mockClient(ElasticLoadBalancingV2Client);
const iam = mockClient(IAMClient);
const tg = (name: string) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/0123456789abcdef`;
const TG_WEB = tg("web");
const TG_IP = tg("web-ip");
const TG_ELSEWHERE = tg("elsewhere");
const TG_OTHER = tg("other");
const TG_LAMBDA = tg("fn");

const web = instance({
  tags: { Name: "web-1", Owner: "payments-team", Environment: "prod", "aws:autoscaling:groupName": "web-asg" },
  interfaces: [
    { id: ENI, groups: [SG_WEB, SG_DB] },
    { id: ENI_2, groups: [SG_ADMIN], ips: ["10.0.2.1"] },
  ],
  extra: { PublicIpAddress: "203.0.113.10", IamInstanceProfile: { Arn: PROFILE_ARN, Id: "AIPAEXAMPLE" } },
});

function world() {
  ec2.on(DescribeInstancesCommand).resolves(described(web));
  iam.on(GetInstanceProfileCommand).resolves({ InstanceProfile: { InstanceProfileName: "web-profile", Path: "/", InstanceProfileId: "AIPA", Arn: PROFILE_ARN, CreateDate: new Date(), Roles: [{ RoleName: "web-role", Path: "/", RoleId: "AROA", Arn: "arn:aws:iam::123456789012:role/web-role", CreateDate: new Date() }] } });
  autoscaling.on(DescribeAutoScalingInstancesCommand).resolves({ AutoScalingInstances: [{ InstanceId: INSTANCE, AutoScalingGroupName: "web-asg", AvailabilityZone: "us-east-1a", LifecycleState: "InService", HealthStatus: "HEALTHY", ProtectedFromScaleIn: false }] });
  elb
    .on(DescribeTargetGroupsCommand)
    .resolvesOnce({
      TargetGroups: [
        { TargetGroupArn: TG_WEB, VpcId: VPC, TargetType: "instance" },
        { TargetGroupArn: TG_OTHER, VpcId: VPC, TargetType: "instance" },
      ],
      NextMarker: "page-2",
    })
    .resolves({
      TargetGroups: [
        { TargetGroupArn: TG_IP, VpcId: VPC, TargetType: "ip" },
        { TargetGroupArn: TG_ELSEWHERE, VpcId: OTHER_VPC, TargetType: "instance" },
        { TargetGroupArn: TG_LAMBDA, TargetType: "lambda" },
      ],
    });
  elb.on(DescribeTargetHealthCommand, { TargetGroupArn: TG_WEB }).resolves({ TargetHealthDescriptions: [{ Target: { Id: "i-0aaaaaaaaaaaaaaa0" } }, { Target: { Id: INSTANCE, Port: 80 } }] });
  elb.on(DescribeTargetHealthCommand, { TargetGroupArn: TG_OTHER }).resolves({ TargetHealthDescriptions: [{ Target: { Id: "i-0aaaaaaaaaaaaaaa0" } }] });
  elb.on(DescribeTargetHealthCommand, { TargetGroupArn: TG_IP }).resolves({ TargetHealthDescriptions: [{ Target: { Id: "10.0.2.1", Port: 443 } }] });
}

describe("ec2.describe-instance", () => {
  beforeEach(() => {
    for (const mock of [ec2, autoscaling, elb, iam]) mock.reset();
  });
  afterEach(() => expectCallsDeclared(contract, { EC2Client: ec2, AutoScalingClient: autoscaling, ElasticLoadBalancingV2Client: elb, IAMClient: iam }));

  it("records network, volumes, role, Auto Scaling group, target groups and owner, with a hash of the record", async () => {
    world();
    const h = harness(task);
    const output = await h.run({ instanceId: INSTANCE });
    expect(output).toEqual({
      instanceId: INSTANCE,
      state: "running",
      instanceType: "t3.large",
      platform: "linux",
      imageId: AMI,
      launchTime: "2026-11-01T08:00:00.000Z",
      availabilityZone: "us-east-1a",
      vpcId: VPC,
      subnetId: SUBNET,
      securityGroupIds: [SG_WEB, SG_DB],
      networkInterfaceIds: [ENI, ENI_2],
      volumeIds: [VOL_ROOT, VOL_DATA],
      privateIp: "10.0.1.15",
      publicIp: "203.0.113.10",
      instanceProfileArn: PROFILE_ARN,
      iamRoleName: "web-role",
      autoScalingGroupName: "web-asg",
      targetGroupArns: [TG_WEB, TG_IP],
      tags: { Name: "web-1", Owner: "payments-team", Environment: "prod", "aws:autoscaling:groupName": "web-asg" },
      owner: "payments-team",
      environment: "prod",
      exempt: false,
      // Not asked about a port: not looked at, and left out.
      openToWorld: null,
    });
    expect(ec2.commandCalls(DescribeSecurityGroupRulesCommand)).toHaveLength(0);
    expect(iam.commandCalls(GetInstanceProfileCommand)[0]!.args[0].input).toEqual({ InstanceProfileName: "web-profile" });
    expect(elb.commandCalls(DescribeTargetGroupsCommand).map((c) => c.args[0].input.Marker)).toEqual([undefined, "page-2"]);
    // Only groups in the instance's VPC that can hold it are asked.
    expect(elb.commandCalls(DescribeTargetHealthCommand).map((c) => c.args[0].input.TargetGroupArn).sort()).toEqual([TG_IP, TG_OTHER, TG_WEB].sort());
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([]);
    expect(record!.evidence).toEqual([{ kind: "ec2-instance-metadata", location: INSTANCE, sha256: sha256Hex(canonicalJson(record!.output)), hashOf: "output", description: expect.stringContaining(INSTANCE) }]);
  });

  it("flags an exempt instance, and reads a Windows platform", async () => {
    world();
    ec2.on(DescribeInstancesCommand).resolves(described(instance({ tags: { critical: "true" }, extra: { Platform: "windows" as never } })));
    await expect(harness(task).run({ instanceId: INSTANCE })).resolves.toMatchObject({ exempt: true, platform: "windows" });
  });

  it("leaves out the role of a deleted instance profile and a target group deleted meanwhile", async () => {
    world();
    iam.on(GetInstanceProfileCommand).rejects(awsError("NoSuchEntity", 404));
    elb.on(DescribeTargetHealthCommand, { TargetGroupArn: TG_WEB }).rejects(awsError("TargetGroupNotFound", 400));
    const output = await harness(task).run({ instanceId: INSTANCE });
    expect(output.iamRoleName).toBeNull();
    expect(output.instanceProfileArn).toBe(PROFILE_ARN);
    expect(output.targetGroupArns).toEqual([TG_IP]);
  });

  it("runs once per incident and step: a repeat returns the recorded result without calling AWS", async () => {
    world();
    const h = harness(task);
    const first = await h.run({ instanceId: INSTANCE });
    const calls = ec2.calls().length + elb.calls().length;
    await expect(h.run({ instanceId: INSTANCE })).resolves.toEqual(first);
    expect(ec2.calls().length + elb.calls().length).toBe(calls);
    // A fresh step describes again and, being read-only, changes nothing.
    elb.reset();
    world();
    await expect(harness(task).run({ instanceId: INSTANCE }, { stepId: "detect/describe-again" })).resolves.toEqual(first);
  });

  describe("asked about an exposed port", () => {
    const rule = (groupId: string, ruleId: string, fields: Partial<SecurityGroupRule>): SecurityGroupRule => ({ GroupId: groupId, SecurityGroupRuleId: ruleId, IsEgress: false, IpProtocol: "tcp", FromPort: 22, ToPort: 22, CidrIpv4: "0.0.0.0/0", ...fields });
    function rules(byGroup: Record<string, SecurityGroupRule[]>) {
      for (const [groupId, list] of Object.entries(byGroup)) ec2.on(DescribeSecurityGroupRulesCommand, { Filters: [{ Name: "group-id", Values: [groupId] }] }).resolves({ SecurityGroupRules: list });
    }

    it("lists the TCP ingress rules of every interface's groups that let the whole internet reach the port", async () => {
      world();
      rules({
        [SG_WEB]: [
          rule(SG_WEB, "sgr-0000000000000000a", {}),
          rule(SG_WEB, "sgr-0000000000000000b", { CidrIpv4: undefined, CidrIpv6: "::/0", Description: "ssh v6" }),
          rule(SG_WEB, "sgr-0000000000000000c", { FromPort: 443, ToPort: 443 }),
          rule(SG_WEB, "sgr-0000000000000000d", { CidrIpv4: "198.51.100.0/24" }),
          rule(SG_WEB, "sgr-0000000000000000e", { IsEgress: true }),
          rule(SG_WEB, "sgr-0000000000000000f", { IpProtocol: "-1", FromPort: -1, ToPort: -1 }),
          rule(SG_WEB, "sgr-00000000000000010", { IpProtocol: "udp" }),
        ],
        [SG_DB]: [],
        // The second interface's group opens a range that holds the port.
        [SG_ADMIN]: [rule(SG_ADMIN, "sgr-00000000000000011", { IpProtocol: "6", FromPort: 0, ToPort: 1024 })],
      });
      const output = await harness(task).run({ instanceId: INSTANCE, exposedPort: 22 });
      expect(output.openToWorld).toEqual([
        { groupId: SG_WEB, ruleId: "sgr-0000000000000000a", direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, cidr: "0.0.0.0/0" },
        { groupId: SG_WEB, ruleId: "sgr-0000000000000000b", direction: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, cidr: "::/0" },
        { groupId: SG_ADMIN, ruleId: "sgr-00000000000000011", direction: "ingress", protocol: "tcp", fromPort: 0, toPort: 1024, cidr: "0.0.0.0/0" },
      ]);
      expect(ec2.commandCalls(DescribeSecurityGroupRulesCommand).map((c) => c.args[0].input.Filters?.[0]?.Values?.[0]).sort()).toEqual([SG_ADMIN, SG_DB, SG_WEB].sort());
    });

    it("answers an empty list when nothing opens the port to the world", async () => {
      world();
      rules({ [SG_WEB]: [rule(SG_WEB, "sgr-0000000000000000a", { FromPort: 443, ToPort: 443 })], [SG_DB]: [], [SG_ADMIN]: [] });
      await expect(harness(task).run({ instanceId: INSTANCE, exposedPort: 3389 })).resolves.toMatchObject({ openToWorld: [] });
    });

    it("maps throttling of the rule lookup to Transient", async () => {
      world();
      ec2.on(DescribeSecurityGroupRulesCommand).rejects(awsError("RequestLimitExceeded", 503));
      await expect(harness(task).run({ instanceId: INSTANCE, exposedPort: 22 })).rejects.toMatchObject({ name: "Transient" });
    });

    it("refuses a port out of range before any AWS call", async () => {
      await expect(harness(task).run({ instanceId: INSTANCE, exposedPort: 70000 })).rejects.toMatchObject({ name: "InvalidInput", message: expect.stringContaining("exposedPort") });
      expect(ec2.calls()).toHaveLength(0);
    });
  });

  it("fails with NotFound, naming it, when the instance is already terminated", async () => {
    world();
    ec2.on(DescribeInstancesCommand).resolves(described(instance({ state: "terminated", interfaces: [], volumes: [], vpcId: null, subnetId: null })));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(`${INSTANCE} is terminated`) });
  });

  it("maps throttling to Transient", async () => {
    world();
    elb.on(DescribeTargetGroupsCommand).rejects(awsError("Throttling", 400));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing instance as NotFound with its id", async () => {
    ec2.on(DescribeInstancesCommand).rejects(awsError("InvalidInstanceID.NotFound"));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(INSTANCE) });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ instanceId: "' OR '1'='1' --" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(ec2.calls().length + elb.calls().length + iam.calls().length + autoscaling.calls().length).toBe(0);
  });
});
