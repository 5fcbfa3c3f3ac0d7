import type {
  DescribeTargetGroupsCommandInput,
  DescribeTargetGroupsCommandOutput,
  DescribeTargetHealthCommandInput,
  DescribeTargetHealthCommandOutput,
  TargetHealthDescription,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import * as z from "zod";
import { TargetGroupArn, VpcId } from "../../../functions/contract/aws-ids.js";
import { ResourceError, serviceError, SimulationError } from "./errors.js";
import { read, type HandlerTable, type Output } from "./handlers.js";
import type { ModelContext } from "./services.js";

/** Elastic Load Balancing v2 target groups, and target health derived from the instances' state. */

export const Elbv2Resources = z.strictObject({
  targetGroups: z
    .array(
      z.strictObject({
        arn: TargetGroupArn,
        vpcId: VpcId,
        protocol: z.enum(["HTTP", "HTTPS", "TCP", "TLS", "UDP", "TCP_UDP"]).default("HTTP"),
        port: z.number().int().min(1).max(65535).default(80),
        targetType: z.enum(["instance", "ip"]).default("instance"),
        targets: z.array(z.strictObject({ id: z.string().min(1), port: z.number().int().min(1).max(65535).optional() })).default([]),
      }),
    )
    .default([]),
});
export type Elbv2Resources = z.output<typeof Elbv2Resources>;

interface TargetGroupState {
  arn: string;
  name: string;
  vpcId: string;
  protocol: string;
  port: number;
  targetType: "instance" | "ip";
  targets: Map<string, number>;
}

const notFound = () => serviceError("elbv2", "TargetGroupNotFoundException", "One or more target groups not found");

export class Elbv2Model {
  readonly targetGroups = new Map<string, TargetGroupState>();
  readonly handlers: HandlerTable;

  constructor(private readonly ctx: ModelContext) {
    this.handlers = {
      DescribeTargetGroups: read((input: DescribeTargetGroupsCommandInput): Output<DescribeTargetGroupsCommandOutput> => {
        if (input.LoadBalancerArn !== undefined) throw new SimulationError("simulated ELBv2 does not model load balancers (DescribeTargetGroups LoadBalancerArn)");
        const found = (group: TargetGroupState | undefined): TargetGroupState => {
          if (!group) throw notFound();
          return group;
        };
        let groups = [...this.targetGroups.values()];
        if (input.TargetGroupArns?.length) groups = input.TargetGroupArns.map((arn) => found(this.targetGroups.get(arn)));
        if (input.Names?.length) groups = input.Names.map((name) => found(groups.find((g) => g.name === name)));
        const size = input.PageSize ?? 400;
        if (size < 1 || size > 400) throw serviceError("elbv2", "ValidationError", "1 validation error detected: Value at 'pageSize' failed to satisfy constraint: Member must have value less than or equal to 400");
        const offset = input.Marker ? Number(Buffer.from(input.Marker, "base64").toString("utf8").replace(/^elb:/, "")) : 0;
        if (Number.isNaN(offset)) throw serviceError("elbv2", "ValidationError", "Invalid marker");
        const page = groups.slice(offset, offset + size);
        return {
          TargetGroups: page.map((g) => ({
            TargetGroupArn: g.arn,
            TargetGroupName: g.name,
            Protocol: g.protocol as "HTTP",
            Port: g.port,
            VpcId: g.vpcId,
            TargetType: g.targetType,
            HealthCheckEnabled: true,
            HealthCheckProtocol: "HTTP",
            HealthCheckPath: "/",
            LoadBalancerArns: [],
          })),
          ...(offset + size < groups.length ? { NextMarker: Buffer.from(`elb:${offset + size}`).toString("base64") } : {}),
        };
      }),
      DescribeTargetHealth: read((input: DescribeTargetHealthCommandInput): Output<DescribeTargetHealthCommandOutput> => {
        const group = this.targetGroups.get(input.TargetGroupArn ?? "");
        if (!group) throw notFound();
        const wanted = input.Targets?.map((t) => t.Id ?? "");
        return {
          TargetHealthDescriptions: [...group.targets.entries()]
            .filter(([id]) => !wanted || wanted.includes(id))
            .flatMap(([id, port]): TargetHealthDescription[] => {
              const health = this.health(group, id);
              return health ? [{ Target: { Id: id, Port: port }, HealthCheckPort: String(port), TargetHealth: health }] : [];
            }),
        };
      }),
    };
  }

  seed(resources: Elbv2Resources, path: readonly (string | number)[]): void {
    resources.targetGroups.forEach((g, i) => {
      const where = [...path, "targetGroups", i];
      const [, , , region, account, resource = ""] = g.arn.split(":");
      if (region !== this.ctx.region || account !== this.ctx.accountId) throw new ResourceError([...where, "arn"], `${g.arn} is not in account ${this.ctx.accountId}, ${this.ctx.region}`);
      if (this.targetGroups.has(g.arn)) throw new ResourceError([...where, "arn"], `${g.arn} is declared twice`);
      const ec2 = this.ctx.services().ec2.state;
      if (!ec2.vpcs.has(g.vpcId)) throw new ResourceError([...where, "vpcId"], `${g.vpcId} is not declared in ec2.vpcs`);
      g.targets.forEach((t, j) => {
        if (g.targetType === "instance" && ec2.instances.get(t.id)?.vpcId !== g.vpcId) throw new ResourceError([...where, "targets", j, "id"], `${t.id} is not an instance in ${g.vpcId}`);
      });
      this.targetGroups.set(g.arn, {
        arn: g.arn,
        name: resource.split("/")[1] ?? resource,
        vpcId: g.vpcId,
        protocol: g.protocol,
        port: g.port,
        targetType: g.targetType,
        targets: new Map(g.targets.map((t) => [t.id, t.port ?? g.port])),
      });
    });
  }

  register(arn: string, id: string): void {
    const group = this.targetGroups.get(arn);
    if (group && !group.targets.has(id)) group.targets.set(id, group.port);
  }

  deregister(arn: string, id: string): void {
    this.targetGroups.get(arn)?.targets.delete(id);
  }

  /** Health as the load balancer would see it: an instance no traffic can reach fails its checks. */
  private health(group: TargetGroupState, id: string): TargetHealthDescription["TargetHealth"] | undefined {
    if (group.targetType === "ip") return { State: "healthy" };
    const ec2 = this.ctx.services().ec2.state;
    const instance = ec2.instances.get(id);
    if (!instance || instance.state === "terminated" || instance.state === "shutting-down") return undefined;
    if (instance.state === "pending") return { State: "initial", Reason: "Elb.RegistrationInProgress", Description: "Target registration is in progress" };
    if (instance.state !== "running") return { State: "unused", Reason: "Target.InvalidState", Description: "Target is in the stopped state" };
    const reachable = ec2.instanceGroups(instance).some((g) => ec2.groups.get(g)?.rules.some((r) => !r.egress));
    return reachable ? { State: "healthy" } : { State: "unhealthy", Reason: "Target.Timeout", Description: "Request timed out" };
  }

  snapshot() {
    return { targetGroups: Object.fromEntries([...this.targetGroups.values()].map((g) => [g.arn, { vpcId: g.vpcId, targetType: g.targetType, targets: [...g.targets.keys()] }])) };
  }
}
