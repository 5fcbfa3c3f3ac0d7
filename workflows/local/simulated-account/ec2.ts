import type { DescribeSubnetsCommandInput, DescribeSubnetsCommandOutput, DescribeVpcsCommandInput, DescribeVpcsCommandOutput } from "@aws-sdk/client-ec2";
import { instanceHandlers } from "./ec2-instances.js";
import { networkAclHandlers } from "./ec2-network-acls.js";
import type { Ec2Resources } from "./ec2-resources.js";
import { securityGroupHandlers } from "./ec2-security-groups.js";
import { dryRunOperation, Ec2State, filterBy, type RuleState, tagsMatchingFilter } from "./ec2-state.js";
import { storageHandlers } from "./ec2-storage.js";
import { tagHandlers } from "./ec2-tags.js";
import { VpcEndpoints } from "./ec2-vpc-endpoints.js";
import { read, type CommandHandler, type HandlerTable, type Output } from "./handlers.js";
import { tagListOrAbsent } from "./plain.js";
import type { ModelContext } from "./services.js";

/** The EC2 service of the simulated account: state in Ec2State, handlers by resource kind. */
export class Ec2Model {
  readonly state: Ec2State;
  readonly endpoints: VpcEndpoints;
  readonly handlers: HandlerTable;

  constructor(ctx: ModelContext) {
    this.state = new Ec2State(ctx);
    const ec2 = this.state;
    this.endpoints = new VpcEndpoints(ec2);
    const all: Record<string, CommandHandler> = {
      ...this.endpoints.handlers,
      ...instanceHandlers(ec2),
      ...securityGroupHandlers(ec2),
      ...networkAclHandlers(ec2),
      ...storageHandlers(ec2),
      ...tagHandlers(ec2),
      DescribeVpcs: read(
        (input: DescribeVpcsCommandInput): Output<DescribeVpcsCommandOutput> => ({
          Vpcs: filterBy(input.VpcIds?.length ? input.VpcIds.map((id) => ec2.vpc(id)) : [...ec2.vpcs.values()], input.Filters, ["vpc-id", "cidr", "is-default"], (v, name) =>
            name === "vpc-id" ? [v.vpcId] : name === "cidr" ? [v.cidr] : name === "is-default" ? [String(v.isDefault)] : tagsMatchingFilter(v.tags, name),
          ).map((v) => ({
            VpcId: v.vpcId,
            CidrBlock: v.cidr,
            IsDefault: v.isDefault,
            State: "available",
            OwnerId: ctx.accountId,
            ...(v.ipv6Cidr ? { Ipv6CidrBlockAssociationSet: [{ Ipv6CidrBlock: v.ipv6Cidr, Ipv6CidrBlockState: { State: "associated" } }] } : {}),
            ...tagListOrAbsent(v.tags),
          })),
        }),
      ),
      DescribeSubnets: read(
        (input: DescribeSubnetsCommandInput): Output<DescribeSubnetsCommandOutput> => ({
          Subnets: filterBy(input.SubnetIds?.length ? input.SubnetIds.map((id) => ec2.subnet(id)) : [...ec2.subnets.values()], input.Filters, ["subnet-id", "vpc-id", "availability-zone", "cidr-block"], (s, name) =>
            name === "subnet-id" ? [s.subnetId] : name === "vpc-id" ? [s.vpcId] : name === "availability-zone" ? [s.availabilityZone] : name === "cidr-block" ? [s.cidr] : tagsMatchingFilter(s.tags, name),
          ).map((s) => ({
            SubnetId: s.subnetId,
            VpcId: s.vpcId,
            CidrBlock: s.cidr,
            AvailabilityZone: s.availabilityZone,
            MapPublicIpOnLaunch: s.public,
            State: "available",
            OwnerId: ctx.accountId,
            ...tagListOrAbsent(s.tags),
          })),
        }),
      ),
    };
    // A read with DryRun answers like a write: DryRunOperation once the request is known to be valid.
    this.handlers = Object.fromEntries(
      Object.entries(all).map(([name, handler]) => [
        name,
        handler.mutating
          ? handler
          : {
              mutating: false,
              handle: async (input: unknown) => {
                const output = await handler.handle(input);
                if ((input as { DryRun?: boolean }).DryRun) throw dryRunOperation();
                return output;
              },
            },
      ]),
    );
  }

  seed(resources: Ec2Resources, path: readonly (string | number)[]): void {
    this.state.seed(resources, path);
    this.endpoints.seed(resources.vpcEndpoints, path);
  }

  snapshot() {
    const ec2 = this.state;
    const rule = (r: RuleState) => ({
      ruleId: r.ruleId,
      protocol: r.protocol,
      ...(r.protocol === "-1" ? {} : { fromPort: r.fromPort, toPort: r.toPort }),
      ...(r.cidrIpv4 !== undefined ? { cidr: r.cidrIpv4 } : r.cidrIpv6 !== undefined ? { cidr: r.cidrIpv6 } : {}),
      ...(r.referencedGroupId !== undefined ? { groupId: r.referencedGroupId } : {}),
      ...(r.prefixListId !== undefined ? { prefixListId: r.prefixListId } : {}),
      ...(r.description !== undefined ? { description: r.description } : {}),
      ...(Object.keys(r.tags).length > 0 ? { tags: { ...r.tags } } : {}),
    });
    return {
      vpcs: Object.fromEntries([...ec2.vpcs.values()].map((v) => [v.vpcId, { cidr: v.cidr, ...(v.ipv6Cidr ? { ipv6Cidr: v.ipv6Cidr } : {}), isDefault: v.isDefault, tags: { ...v.tags } }])),
      subnets: Object.fromEntries(
        [...ec2.subnets.values()].map((s) => [s.subnetId, { vpcId: s.vpcId, cidr: s.cidr, availabilityZone: s.availabilityZone, public: s.public, networkAclId: ec2.networkAclOf(s.subnetId)?.networkAclId ?? null, tags: { ...s.tags } }]),
      ),
      instances: Object.fromEntries(
        [...ec2.instances.values()].map((i) => [
          i.instanceId,
          {
            state: i.state,
            ...(i.stateReason ? { stateReason: i.stateReason.code } : {}),
            imageId: i.imageId,
            instanceType: i.instanceType,
            subnetId: i.subnetId ?? null,
            vpcId: i.vpcId ?? null,
            privateIp: ec2.primaryEni(i)?.privateIp ?? null,
            publicIp: ec2.primaryEni(i)?.publicIp ?? null,
            launchTime: i.launchTime.toISOString(),
            iamInstanceProfileArn: i.iamInstanceProfileArn ?? null,
            disableApiTermination: i.disableApiTermination,
            networkInterfaces: i.eniIds.map((id) => ec2.enis.get(id)).flatMap((n) => (n ? [{ networkInterfaceId: n.eniId, deviceIndex: n.deviceIndex, groups: [...n.groups] }] : [])),
            volumes: i.volumeIds.flatMap((id) => {
              const a = ec2.volumes.get(id)?.attachment;
              return a ? [{ volumeId: id, deviceName: a.deviceName, deleteOnTermination: a.deleteOnTermination }] : [];
            }),
            tags: { ...i.tags },
          },
        ]),
      ),
      securityGroups: Object.fromEntries(
        [...ec2.groups.values()].map((g) => [g.groupId, { name: g.groupName, vpcId: g.vpcId, description: g.description, tags: { ...g.tags }, ingress: g.rules.filter((r) => !r.egress).map(rule), egress: g.rules.filter((r) => r.egress).map(rule) }]),
      ),
      networkAcls: Object.fromEntries(
        [...ec2.acls.values()].map((a) => [
          a.networkAclId,
          {
            vpcId: a.vpcId,
            isDefault: a.isDefault,
            subnets: a.associations.map((s) => s.subnetId),
            entries: [...a.entries]
              .sort((x, y) => Number(x.egress) - Number(y.egress) || x.ruleNumber - y.ruleNumber)
              .map((e) => ({
                ruleNumber: e.ruleNumber,
                egress: e.egress,
                action: e.ruleAction,
                protocol: e.protocol,
                cidr: e.cidrBlock ?? e.ipv6CidrBlock ?? "",
                ...(e.portRange ? { fromPort: e.portRange.from, toPort: e.portRange.to } : {}),
              })),
            tags: { ...a.tags },
          },
        ]),
      ),
      volumes: Object.fromEntries(
        [...ec2.volumes.values()].map((v) => [
          v.volumeId,
          { state: v.state, sizeGib: v.sizeGib, encrypted: v.encrypted, attachedTo: v.attachment ? { instanceId: v.attachment.instanceId, deviceName: v.attachment.deviceName, deleteOnTermination: v.attachment.deleteOnTermination } : null, tags: { ...v.tags } },
        ]),
      ),
      snapshots: Object.fromEntries(
        [...ec2.snapshots.values()].map((s) => [s.snapshotId, { volumeId: s.volumeId, state: s.state, sizeGib: s.volumeSize, startTime: s.startTime.toISOString(), description: s.description, tags: { ...s.tags } }]),
      ),
      images: Object.fromEntries([...ec2.images.values()].map((m) => [m.imageId, { name: m.name, state: m.state }])),
      vpcEndpoints: this.endpoints.snapshot(),
    };
  }
}
