import { DescribeInstancesCommand, DescribeNetworkAclsCommand, DescribeSecurityGroupRulesCommand, EC2Client, RunInstancesCommand, StopInstancesCommand } from "@aws-sdk/client-ec2";
import { describe, expect, it } from "vitest";
import type { SimulatedAccount } from "../../../workflows/local/simulated-account/index.js";
import { accountWith } from "./support.js";

/** Lookups that go by id instead of scanning the fleet answer exactly as the scan did. */

const VPC = "vpc-0a1b2c3d4e5f60718";
const subnet = (n: number) => `subnet-0c1d2e3f4a5b6c7d${n}`;
const acl = (n: number) => `acl-0c1d2e3f4a5b6c7d${n}`;

const IMAGE = "ami-0fedcba9876543210";
const SEEDED: Record<number, "pending" | "stopping" | "shutting-down" | undefined> = { 1: undefined, 2: undefined, 3: "pending", 4: "stopping", 5: "shutting-down" };

function account(): SimulatedAccount {
  return accountWith({
    ec2: {
      transitionPolls: 2,
      vpcs: [{ vpcId: VPC, cidr: "10.0.0.0/16" }],
      subnets: [1, 2, 3, 4].map((n) => ({ subnetId: subnet(n), vpcId: VPC, cidr: `10.0.${n}.0/24`, availabilityZone: "us-east-1a" })),
      securityGroups: [{ groupId: "sg-0123456789abcdef0", name: "web", vpcId: VPC }],
      // Declared out of order: the answer follows the account's order, not the filter's.
      networkAcls: [3, 1, 2].map((n) => ({ networkAclId: acl(n), vpcId: VPC, subnets: [subnet(n)], tags: { Name: `acl-${n}` } })),
      images: [{ imageId: IMAGE, name: "base" }],
      // 1 and 2 running; 3 to 5 seeded in a transitional state, which they must leave on their own.
      instances: [1, 2, 3, 4, 5].map((n) => ({
        instanceId: `i-0123456789abcdef${n}`,
        imageId: IMAGE,
        ...(SEEDED[n] ? { state: SEEDED[n] } : {}),
        subnetId: subnet(((n - 1) % 4) + 1),
        securityGroups: ["sg-0123456789abcdef0"],
        volumes: [{ volumeId: `vol-0a1b2c3d4e5f6078${n}`, deviceName: "/dev/xvda" }],
      })),
    },
  });
}

const ids = (out: { NetworkAcls?: { NetworkAclId?: string }[] }) => (out.NetworkAcls ?? []).map((a) => a.NetworkAclId);

describe("the simulated account's EC2 lookups by id", () => {
  it("finds the ACLs of the named subnets in the account's order, as a scan with the same filter does", async () => {
    const ec2 = account().clientProvider()(EC2Client);
    const bySubnets = (values: string[], more: { Name: string; Values: string[] }[] = []) =>
      ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: "association.subnet-id", Values: values }, ...more] })).then(ids);
    expect(await bySubnets([subnet(2), subnet(3)])).toEqual([acl(3), acl(2)]);
    expect(await bySubnets([subnet(1), subnet(1)])).toEqual([acl(1)]);
    // A wildcard goes through the scan, and agrees.
    expect(await bySubnets(["subnet-0c1d2e3f4a5b6c7d?"])).toEqual([acl(3), acl(1), acl(2), expect.stringMatching(/^acl-/)]);
    // Subnet 4 has no ACL of its own: the VPC's default one answers for it.
    const [defaultAcl] = await bySubnets([subnet(4)]);
    expect(defaultAcl).toMatch(/^acl-/);
    expect([acl(1), acl(2), acl(3)]).not.toContain(defaultAcl);
    // The other filters still apply, an unknown subnet matches nothing, and an unknown filter is still refused.
    expect(await bySubnets([subnet(2)], [{ Name: "tag:Name", Values: ["acl-3"] }])).toEqual([]);
    expect(await bySubnets([subnet(2)], [{ Name: "tag:Name", Values: ["acl-2"] }])).toEqual([acl(2)]);
    expect(await bySubnets(["subnet-0000000000000000f"])).toEqual([]);
    await expect(bySubnets([subnet(2)], [{ Name: "no-such-filter", Values: ["x"] }])).rejects.toMatchObject({ name: "InvalidParameterValue" });
  });

  it("lists the rules of the groups a group-id filter names, in the account's order, as a scan does", async () => {
    const sim = accountWith({
      ec2: {
        vpcs: [{ vpcId: VPC, cidr: "10.0.0.0/16" }],
        // Declared out of order: the answer follows the account's order, not the filter's.
        securityGroups: ["sg-0123456789abcdef2", "sg-0123456789abcdef1", "sg-0123456789abcdef3"].map((groupId, n) => ({
          groupId,
          name: `g${n}`,
          vpcId: VPC,
          ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidr: `10.0.${n}.0/24` }],
          egress: [],
        })),
      },
    });
    const ec2 = sim.clientProvider()(EC2Client);
    const groupsOf = async (values: string[], more: { Name: string; Values: string[] }[] = []) =>
      ((await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: values }, ...more] }))).SecurityGroupRules ?? []).map((r) => [r.GroupId, r.CidrIpv4]);
    expect(await groupsOf(["sg-0123456789abcdef1"])).toEqual([["sg-0123456789abcdef1", "10.0.1.0/24"]]);
    expect(await groupsOf(["sg-0123456789abcdef3", "sg-0123456789abcdef2"])).toEqual([
      ["sg-0123456789abcdef2", "10.0.0.0/24"],
      ["sg-0123456789abcdef3", "10.0.2.0/24"],
    ]);
    // An unknown group matches nothing (as EC2 answers a filter), a wildcard goes through the scan and agrees, and the other filters still apply.
    expect(await groupsOf(["sg-0000000000000000f"])).toEqual([]);
    expect(await groupsOf(["sg-0123456789abcdef?"])).toHaveLength(3);
    expect(await groupsOf(["sg-0123456789abcdef1"], [{ Name: "security-group-rule-id", Values: ["sgr-nope"] }])).toEqual([]);
  });

  it("settles only the instances in transition, each after its own number of describes", async () => {
    const sim = account();
    const ec2 = sim.clientProvider()(EC2Client);
    const state = async (n: number) => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [`i-0123456789abcdef${n}`] }))).Reservations?.[0]?.Instances?.[0]?.State?.Name;
    await ec2.send(new StopInstancesCommand({ InstanceIds: ["i-0123456789abcdef1"] }));
    expect(await state(1)).toBe("stopping");
    expect(await state(2)).toBe("running");
    expect(await state(1)).toBe("stopped");
    await ec2.send(new StopInstancesCommand({ InstanceIds: ["i-0123456789abcdef2"] }));
    expect(await state(1)).toBe("stopped");
    expect(await state(2)).toBe("stopped");
  });

  it("settles instances seeded in a transitional state after transitionPolls describes, and only then", async () => {
    const ec2 = account().clientProvider()(EC2Client);
    const states = async () =>
      Object.fromEntries(
        ((await ec2.send(new DescribeInstancesCommand({}))).Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => [i.InstanceId!.slice(-1), i.State?.Name]),
      );
    expect(await states()).toEqual({ 1: "running", 2: "running", 3: "pending", 4: "stopping", 5: "shutting-down" });
    expect(await states()).toEqual({ 1: "running", 2: "running", 3: "running", 4: "stopped", 5: "terminated" });
    // Settled for good: later describes change nothing.
    expect(await states()).toEqual({ 1: "running", 2: "running", 3: "running", 4: "stopped", 5: "terminated" });
  });

  it("settles an instance RunInstances launched (pending) after transitionPolls describes", async () => {
    const ec2 = account().clientProvider()(EC2Client);
    const launched = await ec2.send(new RunInstancesCommand({ ImageId: IMAGE, SubnetId: subnet(1), SecurityGroupIds: ["sg-0123456789abcdef0"], MinCount: 1, MaxCount: 1 }));
    const [instance] = launched.Instances ?? [];
    expect(instance?.State?.Name).toBe("pending");
    const state = async () => (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instance!.InstanceId!] }))).Reservations?.[0]?.Instances?.[0]?.State?.Name;
    expect(await state()).toBe("pending");
    expect(await state()).toBe("running");
    expect(await state()).toBe("running");
  });
});
