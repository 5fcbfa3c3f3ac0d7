import type { Filter } from "@aws-sdk/client-ec2";
import { ResourceError, serviceError } from "./errors.js";
import type { Ec2Resources } from "./ec2-resources.js";
import { canonicalCidr, cidrContainsV4, globToRegExp, intToIpv4, isIpv6, parseCidrV4 } from "./net.js";
import type { TagMap } from "./plain.js";
import type { ModelContext } from "./services.js";

/** The EC2 resources of the simulated account, and the lookups and checks every EC2 handler shares. */

export type InstanceStateName = "pending" | "running" | "shutting-down" | "terminated" | "stopping" | "stopped";
export const STATE_CODES: Readonly<Record<InstanceStateName, number>> = { pending: 0, running: 16, "shutting-down": 32, terminated: 48, stopping: 64, stopped: 80 };

export interface VpcState {
  vpcId: string;
  cidr: string;
  ipv6Cidr?: string | undefined;
  isDefault: boolean;
  tags: TagMap;
}

export interface SubnetState {
  subnetId: string;
  vpcId: string;
  cidr: string;
  availabilityZone: string;
  public: boolean;
  tags: TagMap;
  nextHost: number;
}

export interface RuleState {
  ruleId: string;
  egress: boolean;
  /** Name for tcp/udp/icmp/icmpv6, "-1" for all, else the protocol number. */
  protocol: string;
  /** -1 when the rule covers every port (or every ICMP type). */
  fromPort: number;
  toPort: number;
  cidrIpv4?: string | undefined;
  cidrIpv6?: string | undefined;
  referencedGroupId?: string | undefined;
  prefixListId?: string | undefined;
  description?: string | undefined;
  tags: TagMap;
}

export interface GroupState {
  groupId: string;
  groupName: string;
  description: string;
  vpcId: string;
  tags: TagMap;
  rules: RuleState[];
}

export interface AclEntryState {
  ruleNumber: number;
  egress: boolean;
  ruleAction: "allow" | "deny";
  /** "-1" or a protocol number, as EC2 reports it. */
  protocol: string;
  cidrBlock?: string | undefined;
  ipv6CidrBlock?: string | undefined;
  portRange?: { from: number; to: number } | undefined;
  icmp?: { type: number; code: number } | undefined;
}

export interface AclState {
  networkAclId: string;
  vpcId: string;
  isDefault: boolean;
  entries: AclEntryState[];
  associations: { associationId: string; subnetId: string }[];
  entryQuota: number;
  tags: TagMap;
}

export interface EniState {
  eniId: string;
  subnetId: string;
  vpcId: string;
  privateIp: string;
  publicIp?: string | undefined;
  groups: string[];
  instanceId?: string | undefined;
  deviceIndex: number;
  attachmentId: string;
  tags: TagMap;
}

export interface VolumeState {
  volumeId: string;
  sizeGib: number;
  availabilityZone: string;
  state: "in-use" | "available";
  volumeType: string;
  encrypted: boolean;
  createTime: Date;
  tags: TagMap;
  attachment?: { instanceId: string; deviceName: string; deleteOnTermination: boolean; attachTime: Date } | undefined;
}

export interface SnapshotState {
  snapshotId: string;
  volumeId: string;
  volumeSize: number;
  state: "pending" | "completed" | "error";
  pollsLeft: number;
  startTime: Date;
  description: string;
  encrypted: boolean;
  tags: TagMap;
}

export interface ImageState {
  imageId: string;
  name: string;
  state: string;
  platform?: "windows" | undefined;
  rootDeviceName: string;
  rootVolumeSizeGib: number;
  ownerId: string;
}

export interface InstanceState {
  instanceId: string;
  reservationId: string;
  imageId: string;
  instanceType: string;
  state: InstanceStateName;
  /** A transitional state settles after this many DescribeInstances calls. */
  transition?: { to: InstanceStateName; pollsLeft: number; reason?: { code: string; message: string } | undefined } | undefined;
  stateReason?: { code: string; message: string } | undefined;
  stateTransitionReason: string;
  subnetId?: string | undefined;
  vpcId?: string | undefined;
  availabilityZone: string;
  launchTime: Date;
  tags: TagMap;
  disableApiTermination: boolean;
  disableApiStop: boolean;
  iamInstanceProfileArn?: string | undefined;
  /** Base64, as EC2 keeps it. */
  userData?: string | undefined;
  rootDeviceName: string;
  rootDeviceType: "ebs" | "instance-store";
  platform?: "windows" | undefined;
  keyName?: string | undefined;
  /** Interfaces in attachment order, primary first. */
  eniIds: string[];
  /** Attached volumes in attachment order. */
  volumeIds: string[];
  metadataHttpTokens: "optional" | "required";
  metadataHopLimit: number;
  monitoring: boolean;
  ebsOptimized: boolean;
  tenancy: string;
  sourceDestCheck: boolean;
  clientToken?: string | undefined;
  failStartWith?: string | undefined;
}

export const ec2Error = (code: string, message: string, status?: number): Error => serviceError("ec2", code, message, status);

/**
 * EC2's dry run checks the caller's permission, which needs a well-formed request and the resources
 * it names, not the outcome: handlers answer DryRunOperation after syntax and existence checks and
 * before state checks (termination protection, duplicates, quotas).
 */
export const dryRunOperation = (): Error => ec2Error("DryRunOperation", "Request would have succeeded, but DryRun flag is set.");

/** EC2's answer to a well-formed request that names something missing. */
const NOT_FOUND: Readonly<Record<string, { code: string; message: (id: string) => string }>> = {
  i: { code: "InvalidInstanceID.NotFound", message: (id) => `The instance ID '${id}' does not exist` },
  sg: { code: "InvalidGroup.NotFound", message: (id) => `The security group '${id}' does not exist` },
  acl: { code: "InvalidNetworkAclID.NotFound", message: (id) => `The network ACL '${id}' does not exist` },
  vpc: { code: "InvalidVpcID.NotFound", message: (id) => `The vpc ID '${id}' does not exist` },
  subnet: { code: "InvalidSubnetID.NotFound", message: (id) => `The subnet ID '${id}' does not exist` },
  vol: { code: "InvalidVolume.NotFound", message: (id) => `The volume '${id}' does not exist.` },
  snap: { code: "InvalidSnapshot.NotFound", message: (id) => `The snapshot '${id}' does not exist.` },
  eni: { code: "InvalidNetworkInterfaceID.NotFound", message: (id) => `The networkInterface ID '${id}' does not exist` },
  ami: { code: "InvalidAMIID.NotFound", message: (id) => `The image id '[${id}]' does not exist` },
  sgr: { code: "InvalidSecurityGroupRuleId.NotFound", message: (id) => `The security group rule ID '${id}' does not exist` },
};

const MALFORMED: Readonly<Record<string, string>> = {
  i: "InvalidInstanceID.Malformed",
  sg: "InvalidGroupId.Malformed",
  acl: "InvalidNetworkAclID.Malformed",
  vpc: "InvalidVpcID.Malformed",
  subnet: "InvalidSubnetID.Malformed",
  vol: "InvalidVolumeID.Malformed",
  snap: "InvalidSnapshotID.Malformed",
  eni: "InvalidNetworkInterfaceID.Malformed",
  ami: "InvalidAMIID.Malformed",
  sgr: "InvalidSecurityGroupRuleId.Malformed",
};

export function notFound(id: string): Error {
  const prefix = id.slice(0, id.indexOf("-"));
  const entry = NOT_FOUND[prefix];
  return entry ? ec2Error(entry.code, entry.message(id)) : ec2Error("InvalidID", `The ID '${id}' is not valid`);
}

const ID_SHAPES = new Map<string, RegExp>();

/** Refuses an id that is not `prefix-` and 8 or 17 hex digits, as EC2 does before looking it up. */
export function assertWellFormed(id: string, prefix: string): void {
  let shape = ID_SHAPES.get(prefix);
  if (!shape) {
    shape = new RegExp(`^${prefix}-(?:[0-9a-f]{8}|[0-9a-f]{17})$`);
    ID_SHAPES.set(prefix, shape);
  }
  if (!shape.test(id)) {
    throw ec2Error(MALFORMED[prefix] ?? "InvalidID", `Invalid id: "${id}" (expecting "${prefix}-...")`);
  }
}

export const invalidParameter = (message: string): Error => ec2Error("InvalidParameterValue", message);

export function tagsMatchingFilter(tags: TagMap, name: string): readonly string[] | undefined {
  if (name.startsWith("tag:")) {
    const value = tags[name.slice(4)];
    return value === undefined ? [] : [value];
  }
  if (name === "tag-key") return Object.keys(tags);
  if (name === "tag-value") return Object.values(tags);
  return undefined;
}

/**
 * Applies EC2 filters: a resource matches when, for every filter, one of its values matches one of
 * the filter's values (wildcards allowed). An unknown filter name is refused as EC2 refuses it.
 */
export function filterBy<T>(items: readonly T[], filters: readonly Filter[] | undefined, supported: readonly string[], valuesOf: (item: T, name: string) => readonly string[] | undefined): T[] {
  const list = filters ?? [];
  for (const filter of list) {
    const name = filter.Name ?? "";
    const known = supported.includes(name) || name.startsWith("tag:") || name === "tag-key" || name === "tag-value";
    if (!known) throw invalidParameter(`The filter '${name}' is invalid`);
    if (!filter.Values || filter.Values.length === 0) throw invalidParameter(`The filter '${name}' requires a value`);
  }
  const compiled = list.map((f) => ({ name: f.Name!, patterns: f.Values!.map(globToRegExp) }));
  return items.filter((item) =>
    compiled.every(({ name, patterns }) => {
      const values = valuesOf(item, name) ?? [];
      return values.some((value) => patterns.some((p) => p.test(value)));
    }),
  );
}

/** NextToken/MaxResults paging as EC2 does it; without MaxResults every item comes back. */
export function paginate<T>(items: readonly T[], request: { MaxResults?: number | undefined; NextToken?: string | undefined }, limits: { min: number; max: number }, operation: string): { page: T[]; NextToken?: string } {
  let offset = 0;
  if (request.NextToken !== undefined) {
    const match = /^([A-Za-z]+):(\d+)$/.exec(Buffer.from(request.NextToken, "base64").toString("utf8"));
    if (!match || match[1] !== operation) throw ec2Error("InvalidPaginationToken", `The pagination token '${request.NextToken}' is not valid`);
    offset = Number(match[2]);
  }
  if (request.MaxResults === undefined) return { page: items.slice(offset) };
  if (request.MaxResults < limits.min || request.MaxResults > limits.max) {
    throw invalidParameter(`Value ( ${request.MaxResults} ) for parameter maxResults is invalid. Expecting a value between ${limits.min} and ${limits.max}.`);
  }
  const end = offset + request.MaxResults;
  return { page: items.slice(offset, end), ...(end < items.length ? { NextToken: Buffer.from(`${operation}:${end}`).toString("base64") } : {}) };
}

export class Ec2State {
  readonly vpcs = new Map<string, VpcState>();
  readonly subnets = new Map<string, SubnetState>();
  readonly groups = new Map<string, GroupState>();
  readonly acls = new Map<string, AclState>();
  readonly enis = new Map<string, EniState>();
  readonly volumes = new Map<string, VolumeState>();
  readonly snapshots = new Map<string, SnapshotState>();
  readonly images = new Map<string, ImageState>();
  readonly instances = new Map<string, InstanceState>();
  /** RunInstances idempotency: client token → instance ids and the request they answered. */
  readonly clientTokens = new Map<string, { request: string; instanceIds: string[] }>();
  transitionPolls = 1;
  snapshotPolls = 1;
  /** The instances in a transitional state: a describe advances these, not the whole fleet. */
  private readonly moving = new Set<InstanceState>();
  /** Which ACL each subnet was last found associated with; checked on every use, so never stale. */
  private readonly aclOfSubnet = new Map<string, AclState>();

  constructor(readonly ctx: ModelContext) {}

  // -- lookups ----------------------------------------------------------------------------------

  instance(id: string): InstanceState {
    assertWellFormed(id, "i");
    const found = this.instances.get(id);
    if (!found) throw notFound(id);
    return found;
  }

  group(id: string): GroupState {
    assertWellFormed(id, "sg");
    const found = this.groups.get(id);
    if (!found) throw notFound(id);
    return found;
  }

  acl(id: string): AclState {
    assertWellFormed(id, "acl");
    const found = this.acls.get(id);
    if (!found) throw notFound(id);
    return found;
  }

  subnet(id: string): SubnetState {
    assertWellFormed(id, "subnet");
    const found = this.subnets.get(id);
    if (!found) throw notFound(id);
    return found;
  }

  vpc(id: string): VpcState {
    assertWellFormed(id, "vpc");
    const found = this.vpcs.get(id);
    if (!found) throw notFound(id);
    return found;
  }

  eni(id: string): EniState {
    assertWellFormed(id, "eni");
    const found = this.enis.get(id);
    if (!found) throw notFound(id);
    return found;
  }

  /** The tags of any taggable resource, by the prefix of its id. */
  taggable(id: string): { tags: TagMap } {
    const prefix = id.slice(0, Math.max(0, id.indexOf("-")));
    const table: Readonly<Record<string, ReadonlyMap<string, { tags: TagMap }>>> = {
      i: this.instances,
      sg: this.groups,
      acl: this.acls,
      vpc: this.vpcs,
      subnet: this.subnets,
      eni: this.enis,
      vol: this.volumes,
      snap: this.snapshots,
    };
    const map = table[prefix];
    if (!map) throw ec2Error("InvalidID", `The ID '${id}' is not valid`);
    assertWellFormed(id, prefix);
    const found = map.get(id);
    if (!found) throw notFound(id);
    return found;
  }

  primaryEni(instance: InstanceState): EniState | undefined {
    return instance.eniIds.map((id) => this.enis.get(id)).find((eni) => eni?.deviceIndex === 0);
  }

  /** The groups on the instance's interfaces, primary first, without repeats. */
  instanceGroups(instance: InstanceState): string[] {
    return [...new Set(instance.eniIds.flatMap((id) => this.enis.get(id)?.groups ?? []))];
  }

  networkAclOf(subnetId: string): AclState | undefined {
    const known = this.aclOfSubnet.get(subnetId);
    if (known && this.acls.get(known.networkAclId) === known && known.associations.some((a) => a.subnetId === subnetId)) return known;
    const found = [...this.acls.values()].find((acl) => acl.associations.some((a) => a.subnetId === subnetId));
    if (found) this.aclOfSubnet.set(subnetId, found);
    else this.aclOfSubnet.delete(subnetId);
    return found;
  }

  /** Adds an instance (seeded or launched); one born in a transitional state settles over the next describes. */
  addInstance(instance: InstanceState): void {
    this.instances.set(instance.instanceId, instance);
    if (instance.transition) this.moving.add(instance);
  }

  /** Puts the instance in `via` until `transitionPolls` describes have passed, then in `to`. */
  startTransition(instance: InstanceState, via: InstanceStateName, to: InstanceStateName, reason?: { code: string; message: string }): void {
    instance.state = via;
    instance.transition = { to, pollsLeft: this.transitionPolls, ...(reason ? { reason } : {}) };
    this.moving.add(instance);
  }

  /** A free private address in the subnet (from .10 up, skipping the reserved first addresses). */
  allocateAddress(subnet: SubnetState): string {
    const { base, prefix } = parseCidrV4(subnet.cidr);
    const used = new Set([...this.enis.values()].filter((e) => e.subnetId === subnet.subnetId).map((e) => e.privateIp));
    for (let host = Math.max(subnet.nextHost, 10); host < 2 ** (32 - prefix) - 1; host += 1) {
      const address = intToIpv4(base + host);
      if (!used.has(address)) {
        subnet.nextHost = host + 1;
        return address;
      }
    }
    throw ec2Error("InsufficientFreeAddressesInSubnet", `There are not enough free addresses in subnet '${subnet.subnetId}' to satisfy the requested number of instances.`);
  }

  publicAddress(): string {
    return `3.${80 + Number.parseInt(this.ctx.ids.hex(2), 16) % 100}.${Number.parseInt(this.ctx.ids.hex(2), 16)}.${Number.parseInt(this.ctx.ids.hex(2), 16)}`;
  }

  /** Settles transitional states and pending snapshots: time passes one poll per describe. */
  advanceInstances(): void {
    for (const instance of this.moving) {
      // In `moving` exactly while it has a transition: only this loop clears one, and takes it out as it does.
      const t = instance.transition!;
      t.pollsLeft -= 1;
      if (t.pollsLeft > 0) continue;
      this.moving.delete(instance);
      instance.transition = undefined;
      instance.state = t.to;
      if (t.reason) instance.stateReason = t.reason;
      if (t.to === "terminated") {
        instance.subnetId = undefined;
        instance.vpcId = undefined;
      }
    }
  }

  advanceSnapshots(): void {
    for (const snapshot of this.snapshots.values()) {
      if (snapshot.state !== "pending") continue;
      snapshot.pollsLeft -= 1;
      if (snapshot.pollsLeft <= 0) snapshot.state = "completed";
    }
  }

  // -- seeding ----------------------------------------------------------------------------------

  seed(resources: Ec2Resources, path: readonly (string | number)[]): void {
    this.transitionPolls = resources.transitionPolls;
    this.snapshotPolls = resources.snapshotPolls;
    const at = (...rest: (string | number)[]) => [...path, ...rest];
    const unique = new Set<string>();
    const claim = (id: string, where: (string | number)[]) => {
      if (unique.has(id)) throw new ResourceError(where, `${id} is declared twice`);
      unique.add(id);
    };

    resources.vpcs.forEach((v, i) => {
      claim(v.vpcId, at("vpcs", i, "vpcId"));
      this.vpcs.set(v.vpcId, { vpcId: v.vpcId, cidr: v.cidr, ipv6Cidr: v.ipv6Cidr, isDefault: v.isDefault, tags: { ...v.tags } });
    });
    resources.subnets.forEach((s, i) => {
      claim(s.subnetId, at("subnets", i, "subnetId"));
      const vpc = this.vpcs.get(s.vpcId);
      if (!vpc) throw new ResourceError(at("subnets", i, "vpcId"), `${s.vpcId} is not declared in ec2.vpcs`);
      if (!cidrContainsV4(vpc.cidr, s.cidr)) throw new ResourceError(at("subnets", i, "cidr"), `${s.cidr} is not within ${vpc.vpcId} (${vpc.cidr})`);
      if (!s.availabilityZone.startsWith(this.ctx.region)) throw new ResourceError(at("subnets", i, "availabilityZone"), `${s.availabilityZone} is not in the account's region ${this.ctx.region}`);
      this.subnets.set(s.subnetId, { subnetId: s.subnetId, vpcId: s.vpcId, cidr: s.cidr, availabilityZone: s.availabilityZone, public: s.public, tags: { ...s.tags }, nextHost: 10 });
    });

    resources.securityGroups.forEach((g, i) => {
      claim(g.groupId, at("securityGroups", i, "groupId"));
      const vpc = this.vpcs.get(g.vpcId);
      if (!vpc) throw new ResourceError(at("securityGroups", i, "vpcId"), `${g.vpcId} is not declared in ec2.vpcs`);
      if ([...this.groups.values()].some((o) => o.vpcId === g.vpcId && o.groupName === g.name)) {
        throw new ResourceError(at("securityGroups", i, "name"), `a group named ${g.name} already exists in ${g.vpcId}`);
      }
      this.groups.set(g.groupId, { groupId: g.groupId, groupName: g.name, description: g.description, vpcId: g.vpcId, tags: { ...g.tags }, rules: [] });
    });
    // Rules after all groups, so that a rule may reference any group.
    resources.securityGroups.forEach((g, i) => {
      const group = this.groups.get(g.groupId)!;
      const vpc = this.vpcs.get(g.vpcId)!;
      const seeds = [
        ...g.ingress.map((rule, j) => ({ rule, egress: false, where: at("securityGroups", i, "ingress", j) })),
        ...(g.egress ?? defaultEgress(vpc)).map((rule, j) => ({ rule, egress: true, where: at("securityGroups", i, "egress", j) })),
      ];
      for (const { rule, egress, where } of seeds) {
        if (rule.groupId && !this.groups.has(rule.groupId)) throw new ResourceError([...where, "groupId"], `${rule.groupId} is not declared in ec2.securityGroups`);
        if (rule.ruleId) claim(rule.ruleId, [...where, "ruleId"]);
        const protocol = canonicalProtocol(rule.protocol);
        const ports = protocol === "-1" ? { fromPort: -1, toPort: -1 } : { fromPort: rule.fromPort ?? -1, toPort: rule.toPort ?? -1 };
        const cidr = rule.cidr === undefined ? undefined : canonicalCidr(rule.cidr);
        group.rules.push({
          ruleId: rule.ruleId ?? this.ctx.ids.ec2("sgr"),
          egress,
          protocol,
          ...ports,
          cidrIpv4: cidr !== undefined && !isIpv6(cidr) ? cidr : undefined,
          cidrIpv6: cidr !== undefined && isIpv6(cidr) ? cidr : undefined,
          referencedGroupId: rule.groupId,
          prefixListId: rule.prefixListId,
          description: rule.description,
          tags: { ...rule.tags },
        });
      }
    });
    for (const vpc of this.vpcs.values()) {
      if (![...this.groups.values()].some((g) => g.vpcId === vpc.vpcId && g.groupName === "default")) {
        const groupId = this.ctx.ids.ec2("sg");
        const group: GroupState = { groupId, groupName: "default", description: "default VPC security group", vpcId: vpc.vpcId, tags: {}, rules: [] };
        group.rules.push({ ruleId: this.ctx.ids.ec2("sgr"), egress: false, protocol: "-1", fromPort: -1, toPort: -1, referencedGroupId: groupId, tags: {} });
        for (const rule of defaultEgress(vpc)) {
          group.rules.push({ ruleId: this.ctx.ids.ec2("sgr"), egress: true, protocol: "-1", fromPort: -1, toPort: -1, ...(isIpv6(rule.cidr!) ? { cidrIpv6: rule.cidr } : { cidrIpv4: rule.cidr }), tags: {} });
        }
        this.groups.set(groupId, group);
      }
    }

    resources.networkAcls.forEach((a, i) => {
      claim(a.networkAclId, at("networkAcls", i, "networkAclId"));
      const vpc = this.vpcs.get(a.vpcId);
      if (!vpc) throw new ResourceError(at("networkAcls", i, "vpcId"), `${a.vpcId} is not declared in ec2.vpcs`);
      if (a.isDefault && [...this.acls.values()].some((o) => o.vpcId === a.vpcId && o.isDefault)) throw new ResourceError(at("networkAcls", i, "isDefault"), `${a.vpcId} already has a default network ACL`);
      const associations = a.subnets.map((subnetId, j) => {
        const subnet = this.subnets.get(subnetId);
        if (!subnet) throw new ResourceError(at("networkAcls", i, "subnets", j), `${subnetId} is not declared in ec2.subnets`);
        if (subnet.vpcId !== a.vpcId) throw new ResourceError(at("networkAcls", i, "subnets", j), `${subnetId} is in ${subnet.vpcId}, not ${a.vpcId}`);
        if (this.networkAclOf(subnetId)) throw new ResourceError(at("networkAcls", i, "subnets", j), `${subnetId} is already associated with ${this.networkAclOf(subnetId)!.networkAclId}`);
        return { associationId: this.ctx.ids.ec2("aclassoc"), subnetId };
      });
      const entries = (a.entries ?? (a.isDefault ? allowAllEntries(vpc) : [])).map((e, j): AclEntryState => {
        const cidr = canonicalCidr(e.cidr);
        const protocol = aclProtocol(e.protocol);
        if ((protocol === "6" || protocol === "17") && (e.fromPort === undefined || e.toPort === undefined)) {
          throw new ResourceError(at("networkAcls", i, "entries", j), "a tcp or udp entry needs fromPort and toPort");
        }
        return {
          ruleNumber: e.ruleNumber,
          egress: e.egress,
          ruleAction: e.action,
          protocol,
          ...(isIpv6(cidr) ? { ipv6CidrBlock: cidr } : { cidrBlock: cidr }),
          ...(e.fromPort !== undefined && e.toPort !== undefined ? { portRange: { from: e.fromPort, to: e.toPort } } : {}),
        };
      });
      const seen = new Set<string>();
      entries.forEach((e, j) => {
        const key = `${e.egress}/${e.ruleNumber}`;
        if (seen.has(key)) throw new ResourceError(at("networkAcls", i, "entries", j, "ruleNumber"), `rule number ${e.ruleNumber} is used twice (${e.egress ? "egress" : "ingress"})`);
        seen.add(key);
      });
      this.acls.set(a.networkAclId, { networkAclId: a.networkAclId, vpcId: a.vpcId, isDefault: a.isDefault, entries, associations, entryQuota: a.entryQuota, tags: { ...a.tags } });
    });
    for (const vpc of this.vpcs.values()) {
      let fallback = [...this.acls.values()].find((a) => a.vpcId === vpc.vpcId && a.isDefault);
      if (!fallback) {
        fallback = { networkAclId: this.ctx.ids.ec2("acl"), vpcId: vpc.vpcId, isDefault: true, entries: [], associations: [], entryQuota: 20, tags: {} };
        fallback.entries = allowAllEntries(vpc).map((e) => ({ ruleNumber: e.ruleNumber, egress: e.egress, ruleAction: e.action, protocol: "-1", ...(isIpv6(e.cidr) ? { ipv6CidrBlock: e.cidr } : { cidrBlock: e.cidr }) }));
        this.acls.set(fallback.networkAclId, fallback);
      }
      for (const subnet of this.subnets.values()) {
        if (subnet.vpcId === vpc.vpcId && !this.networkAclOf(subnet.subnetId)) fallback.associations.push({ associationId: this.ctx.ids.ec2("aclassoc"), subnetId: subnet.subnetId });
      }
    }

    resources.images.forEach((m, i) => {
      claim(m.imageId, at("images", i, "imageId"));
      this.images.set(m.imageId, { imageId: m.imageId, name: m.name, state: m.state, platform: m.platform, rootDeviceName: m.rootDeviceName, rootVolumeSizeGib: m.rootVolumeSizeGib, ownerId: m.ownerId ?? this.ctx.accountId });
    });

    resources.instances.forEach((inst, i) => this.seedInstance(inst, at("instances", i), claim));

    resources.snapshots.forEach((s, i) => {
      claim(s.snapshotId, at("snapshots", i, "snapshotId"));
      this.snapshots.set(s.snapshotId, {
        snapshotId: s.snapshotId,
        volumeId: s.volumeId,
        volumeSize: s.sizeGib,
        state: s.state,
        pollsLeft: s.state === "pending" ? this.snapshotPolls : 0,
        startTime: new Date(s.startTime),
        description: s.description,
        encrypted: false,
        tags: { ...s.tags },
      });
    });
  }

  private seedInstance(inst: Ec2Resources["instances"][number], where: (string | number)[], claim: (id: string, where: (string | number)[]) => void): void {
    claim(inst.instanceId, [...where, "instanceId"]);
    const subnet = this.subnets.get(inst.subnetId);
    if (!subnet) throw new ResourceError([...where, "subnetId"], `${inst.subnetId} is not declared in ec2.subnets`);
    if (inst.networkInterfaces && (inst.securityGroups || inst.networkInterfaceId)) {
      throw new ResourceError(where, "give securityGroups (and networkInterfaceId) or networkInterfaces, not both");
    }
    const gone = inst.state === "terminated";
    const interfaces = gone
      ? []
      : (inst.networkInterfaces ?? [
          {
            networkInterfaceId: inst.networkInterfaceId ?? this.ctx.ids.ec2("eni"),
            deviceIndex: 0,
            subnetId: undefined,
            securityGroups: inst.securityGroups ?? [],
            privateIp: inst.privateIp,
          },
        ]);
    if (!gone && interfaces.every((n) => n.deviceIndex !== 0)) throw new ResourceError([...where, "networkInterfaces"], "one interface must have deviceIndex 0 (the primary)");
    if (!gone && interfaces.some((n) => n.securityGroups.length === 0)) throw new ResourceError([...where, "securityGroups"], "every interface needs at least one security group");
    const eniIds: string[] = [];
    interfaces
      .slice()
      .sort((a, b) => a.deviceIndex - b.deviceIndex)
      .forEach((n) => {
        const index = interfaces.indexOf(n);
        const eniWhere = inst.networkInterfaces ? [...where, "networkInterfaces", index] : where;
        claim(n.networkInterfaceId, [...eniWhere, inst.networkInterfaces ? "networkInterfaceId" : "networkInterfaceId"]);
        const eniSubnet = n.subnetId ? this.subnets.get(n.subnetId) : subnet;
        if (!eniSubnet) throw new ResourceError([...eniWhere, "subnetId"], `${n.subnetId ?? "?"} is not declared in ec2.subnets`);
        if (eniSubnet.vpcId !== subnet.vpcId) throw new ResourceError([...eniWhere, "subnetId"], `${eniSubnet.subnetId} is not in the instance's VPC ${subnet.vpcId}`);
        n.securityGroups.forEach((g, j) => {
          const group = this.groups.get(g);
          const groupWhere = inst.networkInterfaces ? [...eniWhere, "securityGroups", j] : [...where, "securityGroups", j];
          if (!group) throw new ResourceError(groupWhere, `${g} is not declared in ec2.securityGroups`);
          if (group.vpcId !== subnet.vpcId) throw new ResourceError(groupWhere, `${g} is in ${group.vpcId}, not in the instance's VPC ${subnet.vpcId}`);
        });
        const privateIp = n.privateIp ?? (n.deviceIndex === 0 ? inst.privateIp : undefined) ?? this.allocateAddress(eniSubnet);
        if (!cidrContainsV4(eniSubnet.cidr, privateIp)) throw new ResourceError([...where, "privateIp"], `${privateIp} is not within ${eniSubnet.subnetId} (${eniSubnet.cidr})`);
        this.enis.set(n.networkInterfaceId, {
          eniId: n.networkInterfaceId,
          subnetId: eniSubnet.subnetId,
          vpcId: eniSubnet.vpcId,
          privateIp,
          publicIp: n.deviceIndex === 0 ? inst.publicIp : undefined,
          groups: [...n.securityGroups],
          instanceId: inst.instanceId,
          deviceIndex: n.deviceIndex,
          attachmentId: this.ctx.ids.ec2("eni-attach"),
          tags: {},
        });
        eniIds.push(n.networkInterfaceId);
      });
    if (inst.iamInstanceProfile && !this.ctx.services().iam.instanceProfileByArn(inst.iamInstanceProfile)) {
      throw new ResourceError([...where, "iamInstanceProfile"], `${inst.iamInstanceProfile} is not declared in iam.instanceProfiles`);
    }
    const launchTime = inst.launchTime ? new Date(inst.launchTime) : new Date(this.ctx.now().getTime() - 30 * 86_400_000);
    const devices = new Set<string>();
    const volumeIds: string[] = [];
    inst.volumes.forEach((v, j) => {
      claim(v.volumeId, [...where, "volumes", j, "volumeId"]);
      if (devices.has(v.deviceName)) throw new ResourceError([...where, "volumes", j, "deviceName"], `${v.deviceName} is used twice`);
      devices.add(v.deviceName);
      this.volumes.set(v.volumeId, {
        volumeId: v.volumeId,
        sizeGib: v.sizeGib,
        availabilityZone: subnet.availabilityZone,
        state: gone ? "available" : "in-use",
        volumeType: v.volumeType,
        encrypted: v.encrypted,
        createTime: launchTime,
        tags: { ...v.tags },
        ...(gone ? {} : { attachment: { instanceId: inst.instanceId, deviceName: v.deviceName, deleteOnTermination: v.deleteOnTermination, attachTime: launchTime } }),
      });
      if (!gone) volumeIds.push(v.volumeId);
    });
    if (inst.rootDeviceType === "ebs" && !gone && inst.volumes.length === 0) throw new ResourceError([...where, "volumes"], "an EBS-backed instance needs its root volume");
    this.addInstance({
      instanceId: inst.instanceId,
      reservationId: this.ctx.ids.ec2("r"),
      imageId: inst.imageId,
      instanceType: inst.instanceType,
      state: inst.state,
      transition: transitionFor(inst.state, this.transitionPolls),
      stateReason: inst.state === "stopped" ? { code: "Client.UserInitiatedShutdown", message: "Client.UserInitiatedShutdown: User initiated shutdown" } : undefined,
      stateTransitionReason: "",
      subnetId: gone ? undefined : subnet.subnetId,
      vpcId: gone ? undefined : subnet.vpcId,
      availabilityZone: subnet.availabilityZone,
      launchTime,
      tags: { ...inst.tags },
      disableApiTermination: inst.disableApiTermination,
      disableApiStop: false,
      iamInstanceProfileArn: inst.iamInstanceProfile,
      userData: inst.userData === undefined ? undefined : Buffer.from(inst.userData, "utf8").toString("base64"),
      rootDeviceName: inst.rootDeviceName ?? inst.volumes[0]?.deviceName ?? "/dev/xvda",
      rootDeviceType: inst.rootDeviceType,
      platform: inst.platform,
      keyName: inst.keyName,
      eniIds,
      volumeIds,
      metadataHttpTokens: inst.metadataHttpTokens,
      metadataHopLimit: 2,
      monitoring: false,
      ebsOptimized: false,
      tenancy: "default",
      sourceDestCheck: true,
      failStartWith: inst.failStartWith,
    });
  }
}

function transitionFor(state: InstanceStateName, polls: number): InstanceState["transition"] {
  const to: Partial<Record<InstanceStateName, InstanceStateName>> = { pending: "running", stopping: "stopped", "shutting-down": "terminated" };
  const target = to[state];
  return target ? { to: target, pollsLeft: polls } : undefined;
}

/** Protocol names as security group rules report them. */
export function canonicalProtocol(protocol: string): string {
  const lower = protocol.toLowerCase();
  const names: Readonly<Record<string, string>> = { "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", all: "-1" };
  return names[lower] ?? lower;
}

/** Protocol numbers as network ACL entries report them. */
export function aclProtocol(protocol: string): string {
  const numbers: Readonly<Record<string, string>> = { tcp: "6", udp: "17", icmp: "1", icmpv6: "58", all: "-1" };
  return numbers[protocol.toLowerCase()] ?? protocol;
}

function defaultEgress(vpc: VpcState): { protocol: string; cidr?: string; tags: TagMap; fromPort?: number; toPort?: number; groupId?: string; prefixListId?: string; description?: string; ruleId?: string }[] {
  return [{ protocol: "-1", cidr: "0.0.0.0/0", tags: {} }, ...(vpc.ipv6Cidr ? [{ protocol: "-1", cidr: "::/0", tags: {} }] : [])];
}

function allowAllEntries(vpc: VpcState): { ruleNumber: number; egress: boolean; action: "allow" | "deny"; protocol: string; cidr: string; fromPort?: number; toPort?: number }[] {
  const v4 = [false, true].map((egress) => ({ ruleNumber: 100, egress, action: "allow" as const, protocol: "-1", cidr: "0.0.0.0/0" }));
  const v6 = vpc.ipv6Cidr ? [false, true].map((egress) => ({ ruleNumber: 101, egress, action: "allow" as const, protocol: "-1", cidr: "::/0" })) : [];
  return [...v4, ...v6];
}
