import type { DescribePrefixListsCommandInput, DescribePrefixListsCommandOutput, DescribeVpcEndpointsCommandInput, DescribeVpcEndpointsCommandOutput } from "@aws-sdk/client-ec2";
import { ResourceError } from "./errors.js";
import { filterBy, type Ec2State, type InstanceState, type RuleState } from "./ec2-state.js";
import { read, type HandlerTable, type Output } from "./handlers.js";
import { cidrContainsV4, isIpv6 } from "./net.js";
import type { VpcEndpointSeed } from "./ec2-resources.js";
import { tagListOrAbsent, type TagMap } from "./plain.js";

/**
 * VPC endpoints, and the one question the other models ask of them: can this instance reach that
 * AWS service over HTTPS? An interface endpoint (ssm, ssmmessages, ec2messages, …) is a set of
 * addresses in the VPC behind its own security groups, reached through the private DNS name; a
 * gateway endpoint (s3) is a route to the service's prefix list. Without an endpoint the service is
 * on the internet. Routing (NAT, internet gateway) is assumed present; security groups decide.
 */

interface EndpointState {
  vpcEndpointId: string;
  vpcId: string;
  service: string;
  type: "Interface" | "Gateway";
  addresses: string[];
  groups: string[];
  subnets: string[];
  prefixListId?: string | undefined;
  tags: TagMap;
}

const HTTPS = 443;

function coversHttps(rule: RuleState): boolean {
  return rule.protocol === "-1" || ((rule.protocol === "tcp" || rule.protocol === "6") && rule.fromPort <= HTTPS && rule.toPort >= HTTPS);
}

/** An internet destination: the rule's range takes in public addresses (a /0, in practice). */
function toInternet(rule: RuleState): boolean {
  if (rule.cidrIpv6 !== undefined) return rule.cidrIpv6.endsWith("/0");
  return rule.cidrIpv4 !== undefined && rule.cidrIpv4.endsWith("/0");
}

export class VpcEndpoints {
  readonly endpoints = new Map<string, EndpointState>();
  readonly handlers: HandlerTable;

  constructor(private readonly ec2: Ec2State) {
    this.handlers = {
      DescribeVpcEndpoints: read((input: DescribeVpcEndpointsCommandInput) => this.describe(input)),
      // AWS-managed prefix lists of the services with gateway endpoints here (S3, DynamoDB).
      DescribePrefixLists: read((input: DescribePrefixListsCommandInput): Output<DescribePrefixListsCommandOutput> => {
        const lists = [...new Map([...this.endpoints.values()].filter((e) => e.prefixListId).map((e) => [e.prefixListId!, this.serviceName(e.service)])).entries()];
        const chosen = lists.filter(([id]) => !input.PrefixListIds?.length || input.PrefixListIds.includes(id));
        return {
          PrefixLists: filterBy(chosen, input.Filters, ["prefix-list-id", "prefix-list-name"], ([id, name], filter) => (filter === "prefix-list-id" ? [id] : filter === "prefix-list-name" ? [name] : undefined)).map(([id, name]) => ({ PrefixListId: id, PrefixListName: name, Cidrs: [] })),
        };
      }),
    };
  }

  serviceName(service: string): string {
    return `com.amazonaws.${this.ec2.ctx.region}.${service}`;
  }

  seed(seeds: readonly VpcEndpointSeed[], path: readonly (string | number)[]): void {
    seeds.forEach((e, i) => {
      const at = (...rest: (string | number)[]) => [...path, "vpcEndpoints", i, ...rest];
      if (this.endpoints.has(e.vpcEndpointId)) throw new ResourceError(at("vpcEndpointId"), `${e.vpcEndpointId} is declared twice`);
      if (!this.ec2.vpcs.has(e.vpcId)) throw new ResourceError(at("vpcId"), `${e.vpcId} is not declared in ec2.vpcs`);
      const addresses = e.subnets.map((id, j) => {
        const subnet = this.ec2.subnets.get(id);
        if (subnet?.vpcId !== e.vpcId) throw new ResourceError(at("subnets", j), `${id} is not a subnet of ${e.vpcId}`);
        return this.ec2.allocateAddress(subnet);
      });
      e.securityGroups.forEach((id, j) => {
        if (this.ec2.groups.get(id)?.vpcId !== e.vpcId) throw new ResourceError(at("securityGroups", j), `${id} is not a security group of ${e.vpcId}`);
      });
      this.endpoints.set(e.vpcEndpointId, { vpcEndpointId: e.vpcEndpointId, vpcId: e.vpcId, service: e.service, type: e.type, addresses, groups: [...e.securityGroups], subnets: [...e.subnets], prefixListId: e.prefixListId, tags: { ...e.tags } });
    });
  }

  /** Whether the instance's security groups (and the endpoint's, for an interface endpoint) let it reach the service on 443. */
  reaches(instance: InstanceState, service: string): boolean {
    const groups = this.ec2.instanceGroups(instance);
    const egress = groups.flatMap((id) => this.ec2.groups.get(id)?.rules ?? []).filter((r) => r.egress && coversHttps(r));
    const endpoint = [...this.endpoints.values()].find((e) => e.vpcId === instance.vpcId && e.service === service);
    if (!endpoint) return egress.some(toInternet);
    if (endpoint.type === "Gateway") return egress.some((r) => r.prefixListId === endpoint.prefixListId || toInternet(r));
    const out = egress.some(
      (r) =>
        (r.referencedGroupId !== undefined && endpoint.groups.includes(r.referencedGroupId)) ||
        (r.cidrIpv4 !== undefined && endpoint.addresses.some((address) => cidrContainsV4(r.cidrIpv4!, address))),
    );
    const address = this.ec2.primaryEni(instance)?.privateIp;
    const ingress = endpoint.groups
      .flatMap((id) => this.ec2.groups.get(id)?.rules ?? [])
      .filter((r) => !r.egress && coversHttps(r))
      .some((r) => (r.referencedGroupId !== undefined && groups.includes(r.referencedGroupId)) || (r.cidrIpv4 !== undefined && address !== undefined && !isIpv6(r.cidrIpv4) && cidrContainsV4(r.cidrIpv4, address)));
    return out && ingress;
  }

  private describe(input: DescribeVpcEndpointsCommandInput): Output<DescribeVpcEndpointsCommandOutput> {
    const all = [...this.endpoints.values()].filter((e) => !input.VpcEndpointIds?.length || input.VpcEndpointIds.includes(e.vpcEndpointId));
    const list = filterBy(all, input.Filters, ["vpc-id", "service-name", "vpc-endpoint-id", "vpc-endpoint-type", "vpc-endpoint-state"], (e, name) =>
      name === "vpc-id"
        ? [e.vpcId]
        : name === "service-name"
          ? [this.serviceName(e.service)]
          : name === "vpc-endpoint-id"
            ? [e.vpcEndpointId]
            : name === "vpc-endpoint-type"
              ? [e.type]
              : name === "vpc-endpoint-state"
                ? ["available"]
                : undefined,
    );
    return {
      VpcEndpoints: list.map((e) => ({
        VpcEndpointId: e.vpcEndpointId,
        VpcEndpointType: e.type,
        VpcId: e.vpcId,
        ServiceName: this.serviceName(e.service),
        // EC2 answers in lower case, whatever the SDK's enum says.
        State: "available" as "Available",
        ...(e.type === "Interface"
          ? { SubnetIds: [...e.subnets], Groups: e.groups.map((id) => ({ GroupId: id, GroupName: this.ec2.groups.get(id)?.groupName })), PrivateDnsEnabled: true }
          : { RouteTableIds: [] }),
        OwnerId: this.ec2.ctx.accountId,
        ...tagListOrAbsent(e.tags),
      })),
    };
  }

  snapshot() {
    return Object.fromEntries(
      [...this.endpoints.values()].map((e) => [e.vpcEndpointId, { vpcId: e.vpcId, service: e.service, type: e.type, addresses: [...e.addresses], groups: [...e.groups], ...(e.prefixListId ? { prefixListId: e.prefixListId } : {}) }]),
    );
  }
}
