import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribePrefixListsCommand,
  DescribeSecurityGroupsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type DescribeSecurityGroupsCommandInput,
  type SecurityGroup,
} from "@aws-sdk/client-ec2";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/ec2/isolate-instance.contract.js";
import task from "../../../functions/ec2/isolate-instance.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness, INCIDENT_ID } from "../../support/task-harness.js";
import { described, ENI, ENI_2, INSTANCE, instance, OTHER_VPC, SG_ADMIN, SG_DB, SG_QUARANTINE, SG_UNTRACK, SG_WEB, VOL_ROOT, VPC, type InstanceSpec } from "./instance-fixtures.js";

const ec2 = mockClient(EC2Client);
const ALL_V4 = { IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }] };
const ALL_V6 = { IpProtocol: "-1", Ipv6Ranges: [{ CidrIpv6: "::/0" }] };
const ALL_BOTH = { IpProtocol: "-1", IpRanges: [{ CidrIp: "0.0.0.0/0" }], Ipv6Ranges: [{ CidrIpv6: "::/0" }] };
const quarantineGroup: SecurityGroup = { GroupId: SG_QUARANTINE, GroupName: "irflow-quarantine", VpcId: VPC, IpPermissions: [], IpPermissionsEgress: [] };
const untrackGroup: SecurityGroup = { GroupId: SG_UNTRACK, GroupName: "irflow-untrack", VpcId: VPC, IpPermissions: [ALL_BOTH], IpPermissionsEgress: [ALL_BOTH] };
const namedGroups: Record<string, SecurityGroup> = {
  [SG_QUARANTINE]: quarantineGroup,
  [SG_ADMIN]: { GroupId: SG_ADMIN, GroupName: "admin", VpcId: VPC },
  [SG_DB]: { GroupId: SG_DB, GroupName: "db", VpcId: OTHER_VPC },
};

interface World {
  readonly instance?: InstanceSpec;
  readonly groups?: readonly SecurityGroup[];
  readonly protectedAlready?: boolean;
}

/** A fake EC2 that answers describes from the world and refuses every DryRun as DryRunOperation. */
function world(spec: World = {}) {
  const groups = spec.groups ?? [];
  ec2.on(DescribeInstancesCommand).resolves(described(instance(spec.instance)));
  ec2.on(DescribeSecurityGroupsCommand).callsFake((input: DescribeSecurityGroupsCommandInput) => {
    if (input.GroupIds) {
      const missing = input.GroupIds.find((id) => !namedGroups[id]);
      if (missing) throw awsError("InvalidGroup.NotFound", 400, `The security group '${missing}' does not exist`);
      return { SecurityGroups: input.GroupIds.map((id) => namedGroups[id]) };
    }
    const name = input.Filters?.find((f) => f.Name === "group-name")?.Values?.[0];
    return { SecurityGroups: groups.filter((g) => g.GroupName === name) };
  });
  ec2.on(DescribeInstanceAttributeCommand).resolves({ DisableApiTermination: { Value: spec.protectedAlready ?? false } });
  ec2.on(CreateSecurityGroupCommand).callsFake((input: { GroupName?: string; DryRun?: boolean }) => {
    if (input.DryRun) throw awsError("DryRunOperation", 412);
    return { GroupId: input.GroupName === "irflow-quarantine" ? SG_QUARANTINE : SG_UNTRACK };
  });
  for (const command of [ModifyNetworkInterfaceAttributeCommand, ModifyInstanceAttributeCommand, CreateTagsCommand, DeleteTagsCommand] as const) {
    ec2.on(command as typeof ModifyInstanceAttributeCommand).callsFake((input: { DryRun?: boolean }) => {
      if (input.DryRun) throw awsError("DryRunOperation", 412);
      return {};
    });
  }
  for (const command of [AuthorizeSecurityGroupIngressCommand, AuthorizeSecurityGroupEgressCommand, RevokeSecurityGroupIngressCommand, RevokeSecurityGroupEgressCommand] as const) {
    ec2.on(command as typeof RevokeSecurityGroupEgressCommand).resolves({ Return: true });
  }
}

const MUTATING = [
  CreateSecurityGroupCommand,
  AuthorizeSecurityGroupIngressCommand,
  AuthorizeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  RevokeSecurityGroupEgressCommand,
  ModifyNetworkInterfaceAttributeCommand,
  ModifyInstanceAttributeCommand,
  CreateTagsCommand,
  DeleteTagsCommand,
];
const mutations = () => ec2.calls().filter((c) => MUTATING.some((m) => c.args[0] instanceof m) && !(c.args[0].input as { DryRun?: boolean }).DryRun);
const eniMoves = () => ec2.commandCalls(ModifyNetworkInterfaceAttributeCommand).filter((c) => !c.args[0].input.DryRun).map((c) => [c.args[0].input.NetworkInterfaceId, c.args[0].input.Groups]);
const commandNames = () => ec2.calls().map((c) => (c.args[0] as object).constructor.name);

describe("ec2.isolate-instance", () => {
  beforeEach(() => ec2.reset());
  afterEach(() => expectCallsDeclared(contract, { EC2Client: ec2 }));

  it("plans group creation, the interface move, tags and protection with DryRun, changing nothing", async () => {
    world();
    const plan = await harness(task).plan({ instanceId: INSTANCE });
    expect(plan.changes).toBe(6);
    expect(plan.summary).toContain(`${ENI} ${SG_WEB}+${SG_DB} → irflow-untrack → irflow-quarantine`);
    expect(ec2.commandCalls(CreateSecurityGroupCommand).map((c) => c.args[0].input.DryRun)).toEqual([true]);
    expect(ec2.commandCalls(ModifyInstanceAttributeCommand).map((c) => c.args[0].input.DryRun)).toEqual([true]);
    expect(mutations()).toHaveLength(0);
  });

  it("plans the interface move with a DryRun once the quarantine group exists", async () => {
    world({ groups: [quarantineGroup, untrackGroup] });
    const h = harness(task);
    await expect(h.plan({ instanceId: INSTANCE })).resolves.toMatchObject({ changes: 4 });
    expect(ec2.commandCalls(ModifyNetworkInterfaceAttributeCommand).map((c) => c.args[0].input)).toEqual([{ NetworkInterfaceId: ENI, Groups: [SG_QUARANTINE], DryRun: true }]);
    expect(h.journal.all()[0]!.changes).toContainEqual({ resource: ENI, action: "ModifyNetworkInterfaceAttribute groups", before: [SG_WEB, SG_DB], after: [SG_QUARANTINE] });
    expect(mutations()).toHaveLength(0);
  });

  it("creates both groups, records the originals, swaps through the allow-all group, and protects the instance", async () => {
    world();
    const h = harness(task);
    const output = await h.run({ instanceId: INSTANCE });
    expect(output).toEqual({ instanceId: INSTANCE, vpcId: VPC, originalGroupIds: [SG_WEB, SG_DB], quarantineGroupId: SG_QUARANTINE, terminationProtection: true, volumesKeptOnTermination: 2 });

    const creates = ec2.commandCalls(CreateSecurityGroupCommand).map((c) => c.args[0].input);
    expect(creates.map((c) => [c.GroupName, c.VpcId])).toEqual([
      ["irflow-quarantine", VPC],
      ["irflow-untrack", VPC],
    ]);
    expect(creates[0]!.TagSpecifications?.[0]?.Tags).toContainEqual({ Key: "irflow:purpose", Value: "quarantine" });
    // The quarantine group loses its default allow-all egress; the untrack group allows everything.
    expect(ec2.commandCalls(RevokeSecurityGroupEgressCommand).map((c) => c.args[0].input)).toEqual([
      { GroupId: SG_QUARANTINE, IpPermissions: [ALL_V4] },
      { GroupId: SG_QUARANTINE, IpPermissions: [ALL_V6] },
    ]);
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand).map((c) => c.args[0].input)).toEqual([{ GroupId: SG_UNTRACK, IpPermissions: [ALL_BOTH] }]);
    expect(ec2.commandCalls(AuthorizeSecurityGroupEgressCommand).map((c) => c.args[0].input)).toEqual([{ GroupId: SG_UNTRACK, IpPermissions: [ALL_V6] }]);

    expect(ec2.commandCalls(CreateTagsCommand).map((c) => c.args[0].input)).toEqual([
      {
        Resources: [INSTANCE],
        Tags: [
          { Key: "irflow:isolated-from", Value: `${ENI}=${SG_WEB}+${SG_DB}` },
          { Key: "irflow:isolated-by", Value: INCIDENT_ID },
        ],
      },
    ]);
    expect(eniMoves()).toEqual([
      [ENI, [SG_UNTRACK]],
      [ENI, [SG_QUARANTINE]],
    ]);
    const order = commandNames();
    expect(order.indexOf("CreateTagsCommand")).toBeLessThan(order.indexOf("ModifyNetworkInterfaceAttributeCommand"));
    expect(ec2.commandCalls(ModifyInstanceAttributeCommand).map((c) => c.args[0].input)).toEqual([
      { InstanceId: INSTANCE, DisableApiTermination: { Value: true } },
      { InstanceId: INSTANCE, BlockDeviceMappings: [{ DeviceName: "/dev/xvda", Ebs: { DeleteOnTermination: false } }] },
    ]);

    const [record] = h.journal.all();
    expect(record!.changes).toEqual([
      { resource: VPC, action: "CreateSecurityGroup irflow-quarantine", before: null, after: { groupId: SG_QUARANTINE, name: "irflow-quarantine", allowAll: [] } },
      { resource: VPC, action: "CreateSecurityGroup irflow-untrack", before: null, after: { groupId: SG_UNTRACK, name: "irflow-untrack", allowAll: ["ingress:ipv4", "ingress:ipv6", "egress:ipv4", "egress:ipv6"] } },
      { resource: INSTANCE, action: "CreateTags irflow:isolated-from", before: {}, after: { "irflow:isolated-from": `${ENI}=${SG_WEB}+${SG_DB}`, "irflow:isolated-by": INCIDENT_ID } },
      { resource: ENI, action: "ModifyNetworkInterfaceAttribute groups", before: [SG_WEB, SG_DB], after: [SG_QUARANTINE] },
      { resource: INSTANCE, action: "ModifyInstanceAttribute DisableApiTermination", before: false, after: true },
      { resource: INSTANCE, action: "ModifyInstanceAttribute DeleteOnTermination", before: { [`/dev/xvda ${VOL_ROOT}`]: true }, after: { [`/dev/xvda ${VOL_ROOT}`]: false } },
    ]);
    expect(record!.undo).toEqual({ task: "ec2.restore-security-groups", input: { instanceId: INSTANCE, groupIds: [SG_WEB, SG_DB] } });
  });

  it("tolerates a new group without IPv6 rules to revoke or with IPv6 egress already allowed", async () => {
    world();
    ec2.on(RevokeSecurityGroupEgressCommand, { IpPermissions: [ALL_V6] }).rejects(awsError("InvalidPermission.NotFound"));
    ec2.on(AuthorizeSecurityGroupEgressCommand).rejects(awsError("InvalidPermission.Duplicate"));
    await expect(harness(task).run({ instanceId: INSTANCE })).resolves.toMatchObject({ quarantineGroupId: SG_QUARANTINE });
  });

  it("uses existing groups as they are, and repairs a quarantine group left with allow-all egress", async () => {
    world({ groups: [{ ...quarantineGroup, IpPermissionsEgress: [ALL_V4] }, untrackGroup] });
    await harness(task).run({ instanceId: INSTANCE });
    expect(ec2.commandCalls(CreateSecurityGroupCommand)).toHaveLength(0);
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)).toHaveLength(0);
    expect(ec2.commandCalls(RevokeSecurityGroupEgressCommand).map((c) => c.args[0].input)).toEqual([{ GroupId: SG_QUARANTINE, IpPermissions: [ALL_V4] }]);
    expect(eniMoves()).toEqual([
      [ENI, [SG_UNTRACK]],
      [ENI, [SG_QUARANTINE]],
    ]);
  });

  it("uses the quarantine group named by the step or the deployment, which must be in the instance's VPC", async () => {
    world({ groups: [untrackGroup] });
    await expect(harness(task).run({ instanceId: INSTANCE, quarantineGroupId: SG_ADMIN })).resolves.toMatchObject({ quarantineGroupId: SG_ADMIN });
    expect(ec2.commandCalls(CreateSecurityGroupCommand)).toHaveLength(0);
    expect(eniMoves().at(-1)).toEqual([ENI, [SG_ADMIN]]);

    await expect(harness(task, { quarantineGroups: { [VPC]: SG_ADMIN } }).run({ instanceId: INSTANCE }, { stepId: "contain/by-config" })).resolves.toMatchObject({ quarantineGroupId: SG_ADMIN });
    await expect(harness(task).run({ instanceId: INSTANCE, quarantineGroupId: SG_DB }, { stepId: "contain/wrong-vpc" })).rejects.toMatchObject({ name: "InvalidInput", message: expect.stringContaining(OTHER_VPC) });
    await expect(harness(task).run({ instanceId: INSTANCE, quarantineGroupId: "sg-0ccccccccccccccc0" }, { stepId: "contain/missing" })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining("sg-0ccccccccccccccc0") });
  });

  it("moves every interface of a multi-interface instance and records each one's originals", async () => {
    world({ groups: [quarantineGroup, untrackGroup], instance: { interfaces: [{ id: ENI, groups: [SG_WEB] }, { id: ENI_2, groups: [SG_ADMIN, SG_DB] }] } });
    const h = harness(task);
    await expect(h.run({ instanceId: INSTANCE })).resolves.toMatchObject({ originalGroupIds: [SG_WEB] });
    expect(eniMoves()).toEqual([
      [ENI, [SG_UNTRACK]],
      [ENI, [SG_QUARANTINE]],
      [ENI_2, [SG_UNTRACK]],
      [ENI_2, [SG_QUARANTINE]],
    ]);
    expect(ec2.commandCalls(CreateTagsCommand)[0]!.args[0].input.Tags).toContainEqual({ Key: "irflow:isolated-from", Value: `${ENI}=${SG_WEB}/${ENI_2}=${SG_ADMIN}+${SG_DB}` });
    expect(h.journal.all()[0]!.undo).toEqual({
      task: "ec2.restore-security-groups",
      input: { instanceId: INSTANCE, groupIds: [SG_WEB], interfaceGroups: { [ENI]: [SG_WEB], [ENI_2]: [SG_ADMIN, SG_DB] } },
    });
  });

  it("changes nothing, and says so, when another incident already isolated it; keeps that incident's originals and undo", async () => {
    world({
      groups: [quarantineGroup, untrackGroup],
      protectedAlready: true,
      instance: {
        interfaces: [{ id: ENI, groups: [SG_QUARANTINE] }],
        volumes: [{ device: "/dev/xvda", id: VOL_ROOT, deleteOnTermination: false }],
        tags: { "irflow:isolated-from": `${ENI}=${SG_WEB}+${SG_DB}`, "irflow:isolated-by": "inc-20261101-first0001" },
      },
    });
    const h = harness(task);
    const output = await h.run({ instanceId: INSTANCE });
    expect(output).toMatchObject({ originalGroupIds: [SG_WEB, SG_DB], quarantineGroupId: SG_QUARANTINE, terminationProtection: true, volumesKeptOnTermination: 1 });
    expect(mutations()).toHaveLength(0);
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([]);
    expect(record!.summary).toMatch(/already isolated/);
    // Releasing it belongs to the incident that isolated it.
    expect(record!.undo).toBeUndefined();
    await expect(harness(task).plan({ instanceId: INSTANCE })).resolves.toMatchObject({ changes: 0 });
  });

  it("moves an instance another incident isolated into the step's quarantine group, keeping that incident's originals and undo", async () => {
    world({
      groups: [untrackGroup],
      protectedAlready: true,
      instance: {
        interfaces: [{ id: ENI, groups: [SG_ADMIN] }],
        volumes: [],
        tags: { "irflow:isolated-from": `${ENI}=${SG_WEB}`, "irflow:isolated-by": "inc-20261101-first0001" },
      },
    });
    const h = harness(task, { quarantineGroups: { [VPC]: SG_ADMIN } });
    await expect(h.run({ instanceId: INSTANCE, quarantineGroupId: SG_QUARANTINE })).resolves.toMatchObject({ originalGroupIds: [SG_WEB], quarantineGroupId: SG_QUARANTINE });
    expect(eniMoves()).toEqual([
      [ENI, [SG_UNTRACK]],
      [ENI, [SG_QUARANTINE]],
    ]);
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.undo).toBeUndefined();
  });

  it("finishes a run that failed halfway: the interface left in the allow-all group goes on to quarantine with its true originals", async () => {
    world({
      groups: [quarantineGroup, untrackGroup],
      protectedAlready: true,
      instance: { interfaces: [{ id: ENI, groups: [SG_UNTRACK] }], tags: { "irflow:isolated-from": `${ENI}=${SG_WEB}`, "irflow:isolated-by": INCIDENT_ID } },
    });
    const h = harness(task);
    await expect(h.run({ instanceId: INSTANCE })).resolves.toMatchObject({ originalGroupIds: [SG_WEB] });
    expect(eniMoves()).toEqual([[ENI, [SG_QUARANTINE]]]);
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.undo).toEqual({ task: "ec2.restore-security-groups", input: { instanceId: INSTANCE, groupIds: [SG_WEB] } });
  });

  it("ignores an isolation tag on an instance that is not isolated (stale or forged) and records the real groups", async () => {
    world({ groups: [quarantineGroup, untrackGroup], instance: { interfaces: [{ id: ENI, groups: [SG_WEB] }], tags: { "irflow:isolated-from": `${ENI}=${SG_ADMIN}`, "irflow:isolated-from:2": "junk", "irflow:isolated-by": "inc-20261101-forged001" } } });
    await expect(harness(task).run({ instanceId: INSTANCE })).resolves.toMatchObject({ originalGroupIds: [SG_WEB] });
    expect(ec2.commandCalls(CreateTagsCommand)[0]!.args[0].input.Tags).toEqual([
      { Key: "irflow:isolated-from", Value: `${ENI}=${SG_WEB}` },
      { Key: "irflow:isolated-by", Value: INCIDENT_ID },
    ]);
    expect(ec2.commandCalls(DeleteTagsCommand)[0]!.args[0].input).toEqual({ Resources: [INSTANCE], Tags: [{ Key: "irflow:isolated-from:2" }] });
  });

  it("runs once per incident and step: a repeat returns the recorded result without calling AWS", async () => {
    world();
    const h = harness(task);
    const first = await h.run({ instanceId: INSTANCE });
    const calls = ec2.calls().length;
    await expect(h.run({ instanceId: INSTANCE })).resolves.toEqual(first);
    expect(ec2.calls()).toHaveLength(calls);
    expect(eniMoves()).toHaveLength(2);
  });

  it("refuses more interfaces than the step's blast radius before changing anything", async () => {
    world({ instance: { interfaces: [{ id: ENI, groups: [SG_WEB] }, { id: ENI_2, groups: [SG_ADMIN] }] } });
    await expect(harness(task).run({ instanceId: INSTANCE }, { maxChanges: 1 })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "blast-radius" });
    expect(mutations()).toHaveLength(0);
  });

  it("refuses an instance that is terminated or shutting down", async () => {
    world({ instance: { state: "shutting-down" } });
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed" });
    expect(mutations()).toHaveLength(0);
  });

  it("maps throttling to Transient", async () => {
    world();
    ec2.on(ModifyNetworkInterfaceAttributeCommand).rejects(awsError("RequestLimitExceeded", 503));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing instance as NotFound with its id", async () => {
    world();
    ec2.on(DescribeInstancesCommand).rejects(awsError("InvalidInstanceID.NotFound"));
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(INSTANCE) });
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ instanceId: INSTANCE, quarantineGroupId: "sg-1; drop" })).rejects.toMatchObject({ name: "InvalidInput" });
    await expect(harness(task).run({ instanceId: "i-0123456789abcdef0; rm -rf /" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(ec2.calls()).toHaveLength(0);
  });

  it("refuses an instance tagged exempt unless the step allows it", async () => {
    world({ groups: [quarantineGroup, untrackGroup], instance: { tags: { "irflow:exempt": "true" } } });
    await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "exempt" });
    expect(mutations()).toHaveLength(0);
    await expect(harness(task).run({ instanceId: INSTANCE }, { allowExempt: true })).resolves.toMatchObject({ quarantineGroupId: SG_QUARANTINE });
  });
  describe("keeps HTTPS to the VPC endpoints so memory can still be captured", () => {
    const SG_ENDPOINTS = "sg-0e0e0e0e0e0e0e0e0";
    const PL_S3 = "pl-6ea54007";
    const HTTPS_OUT = { IpProtocol: "tcp", FromPort: 443, ToPort: 443, UserIdGroupPairs: [{ GroupId: SG_ENDPOINTS }], PrefixListIds: [{ PrefixListId: PL_S3 }] };
    function endpoints() {
      const iface = (service: string) => ({ VpcEndpointId: `vpce-0${service.length}`, VpcId: VPC, VpcEndpointType: "Interface" as const, ServiceName: `com.amazonaws.us-east-1.${service}`, State: "Available" as const, Groups: [{ GroupId: SG_ENDPOINTS }] });
      ec2.on(DescribeVpcEndpointsCommand).resolves({
        VpcEndpoints: [iface("ssm"), iface("ssmmessages"), iface("ec2messages"), iface("kms"), { VpcEndpointId: "vpce-0s3", VpcId: VPC, VpcEndpointType: "Gateway", ServiceName: "com.amazonaws.us-east-1.s3", State: "Available" as const }],
      });
      ec2.on(DescribePrefixListsCommand).resolves({ PrefixLists: [{ PrefixListId: PL_S3, PrefixListName: "com.amazonaws.us-east-1.s3" }] });
    }

    it("creates the quarantine group with egress HTTPS to the SSM endpoints' group and the S3 prefix list, nothing else", async () => {
      world();
      endpoints();
      const h = harness(task);
      await h.run({ instanceId: INSTANCE });
      const egress = ec2.commandCalls(AuthorizeSecurityGroupEgressCommand).map((c) => c.args[0].input);
      expect(egress).toContainEqual({
        GroupId: SG_QUARANTINE,
        IpPermissions: [
          {
            IpProtocol: "tcp",
            FromPort: 443,
            ToPort: 443,
            UserIdGroupPairs: [{ GroupId: SG_ENDPOINTS, Description: "irflow forensics: ssm endpoint" }],
            PrefixListIds: [{ PrefixListId: PL_S3, Description: "irflow forensics: s3 gateway endpoint" }],
          },
        ],
      });
      expect(ec2.commandCalls(DescribePrefixListsCommand).map((c) => c.args[0].input)).toEqual([{ Filters: [{ Name: "prefix-list-name", Values: ["com.amazonaws.us-east-1.s3"] }] }]);
      expect(h.journal.all()[0]!.changes[0]).toMatchObject({ action: "CreateSecurityGroup irflow-quarantine", after: { allowAll: [], httpsTo: [`ssm ${SG_ENDPOINTS}`, `s3 ${PL_S3}`] } });
      // The swap through allow-all still happens, so tracked connections drop.
      expect(eniMoves()).toEqual([
        [ENI, [SG_UNTRACK]],
        [ENI, [SG_QUARANTINE]],
      ]);
    });

    it("repairs an existing quarantine group: adds the missing endpoint rule, removes anything else, and plans it first", async () => {
      const stray = { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "10.0.0.0/8" }] };
      world({ groups: [{ ...quarantineGroup, IpPermissions: [stray], IpPermissionsEgress: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, UserIdGroupPairs: [{ GroupId: SG_ENDPOINTS }] }] }, untrackGroup] });
      endpoints();
      const plan = await harness(task).plan({ instanceId: INSTANCE });
      expect(mutations()).toHaveLength(0);
      expect(plan.changes).toBeGreaterThanOrEqual(2);
      await harness(task).run({ instanceId: INSTANCE });
      expect(ec2.commandCalls(AuthorizeSecurityGroupEgressCommand).map((c) => c.args[0].input)).toEqual([
        { GroupId: SG_QUARANTINE, IpPermissions: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: PL_S3, Description: "irflow forensics: s3 gateway endpoint" }] }] },
      ]);
      expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand).map((c) => c.args[0].input)).toEqual([{ GroupId: SG_QUARANTINE, IpPermissions: [stray] }]);
      expect(ec2.commandCalls(RevokeSecurityGroupEgressCommand)).toHaveLength(0);
    });

    it("refuses a named quarantine group that allows more than HTTPS to the endpoints, before any change", async () => {
      world({ groups: [untrackGroup] });
      endpoints();
      namedGroups[SG_ADMIN] = { GroupId: SG_ADMIN, GroupName: "admin", VpcId: VPC, IpPermissions: [], IpPermissionsEgress: [ALL_V4] };
      try {
        await expect(harness(task).plan({ instanceId: INSTANCE, quarantineGroupId: SG_ADMIN })).rejects.toMatchObject({ name: "InvalidInput", detail: "quarantineGroupId", message: expect.stringContaining("outbound all traffic to 0.0.0.0/0") });
        await expect(harness(task, { quarantineGroups: { [VPC]: SG_ADMIN } }).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "PreconditionFailed", detail: "config.quarantineGroups" });
        expect(mutations()).toHaveLength(0);
        // Exactly the endpoint HTTPS is fine.
        namedGroups[SG_ADMIN] = { GroupId: SG_ADMIN, GroupName: "admin", VpcId: VPC, IpPermissions: [], IpPermissionsEgress: [HTTPS_OUT] };
        await expect(harness(task).run({ instanceId: INSTANCE, quarantineGroupId: SG_ADMIN })).resolves.toMatchObject({ quarantineGroupId: SG_ADMIN });
      } finally {
        namedGroups[SG_ADMIN] = { GroupId: SG_ADMIN, GroupName: "admin", VpcId: VPC };
      }
    });

    it("maps a throttled DescribeVpcEndpoints to Transient", async () => {
      world();
      ec2.on(DescribeVpcEndpointsCommand).rejects(awsError("RequestLimitExceeded", 503));
      await expect(harness(task).run({ instanceId: INSTANCE })).rejects.toMatchObject({ name: "Transient" });
      expect(mutations()).toHaveLength(0);
    });
  });
});
