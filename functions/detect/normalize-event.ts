import * as z from "zod";
import {
  AccessKeyId,
  AccountId,
  Arn,
  BucketName,
  GuardDutyDetectorId,
  GuardDutyFindingId,
  IamRoleName,
  IamUserName,
  InstanceId,
  IpAddress,
  Ipv4Address,
  NetworkInterfaceId,
  Port,
  Region,
  SecurityGroupId,
  SecurityGroupRuleId,
  SubnetId,
  VpcId,
} from "../contract/aws-ids.js";
import { invalidInput, type TaskError } from "../contract/errors.js";
import {
  IncidentActor,
  IncidentNetwork,
  IncidentPermission,
  IncidentResource,
  IncidentTrigger,
  SeverityLabel,
} from "../incident/document.js";

/**
 * Turns a raw EventBridge event into the facts of an incident document. Every field we read is
 * validated here, at the boundary, by a schema per source; fields we do not read are dropped.
 * Anything we cannot trust or do not know is refused with a named InvalidInput that carries the
 * field's path, never a raw exception, so the detect phase records why it did not open an incident.
 */

type Trigger = z.infer<typeof IncidentTrigger>;
type Resource = z.infer<typeof IncidentResource>;
type Actor = z.infer<typeof IncidentActor>;
type Network = z.infer<typeof IncidentNetwork>;
type Permission = z.infer<typeof IncidentPermission>;
type SeverityLabel = z.infer<typeof SeverityLabel>;
export interface Severity {
  readonly label: SeverityLabel;
  readonly score: number;
}

export interface NormalizedEvent {
  trigger: Trigger;
  resource: Resource;
  actor?: Actor;
  network?: Network;
  permission?: Permission;
  severity: Severity;
}

export interface NormalizeOptions {
  /** Severity for sources that carry none (CloudTrail, Config, flow logs, schedules): the runbook's own. */
  readonly severity?: SeverityLabel;
}

/**
 * GuardDuty's own bands (Low 1.0–3.9, Medium 4.0–6.9, High 7.0–8.9, Critical 9.0–10.0), so that a
 * runbook's `minSeverity: 7` and the label we show agree with the GuardDuty console.
 */
export function severityLabel(score: number): SeverityLabel {
  if (score < 4) return "low";
  if (score < 7) return "medium";
  if (score < 9) return "high";
  return "critical";
}

/** The score given to a label when the source has no number: the middle of GuardDuty's band. */
export const SEVERITY_SCORE: Readonly<Record<SeverityLabel, number>> = { low: 2, medium: 5.5, high: 8, critical: 9.5 };

const labelled = (label: SeverityLabel): Severity => ({ label, score: SEVERITY_SCORE[label] });

// ---------------------------------------------------------------------------------------------
// Shared field schemas. Names and types reach SNS subjects and CLI output, so they are ASCII only.

const EventId = z.string().regex(/^[A-Za-z0-9-]{1,128}$/, "must be an event id");
const FindingType = z.string().regex(/^[A-Za-z0-9:/.!&_-]{3,128}$/, "must be a GuardDuty finding type");
const EventName = z.string().regex(/^[A-Za-z0-9]{1,128}$/, "must be an API event name");
const EventSource = z.string().regex(/^[a-z0-9-]+\.amazonaws\.com$/, "must be an AWS event source");
const ConfigRuleName = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "must be an AWS Config rule name");
const PrincipalName = z.string().regex(/^[\w+=,.@:/-]{1,256}$/, "must be a principal name");
// EventBridge, CloudTrail, Config and GuardDuty all write UTC with a Z, as the document requires.
const Timestamp = z.iso.datetime();
// A bounded bag for free text; what we keep of it is cleaned by `freeText`.
const Text = z.string().max(100_000);

const EventEnvelope = z.object({
  id: EventId,
  "detail-type": z.string().min(1).max(128),
  source: z.string().min(1).max(256),
  account: AccountId,
  time: Timestamp.optional(),
  region: Region,
  resources: z.array(z.string().max(2048)).max(100).optional(),
  detail: z.unknown(),
});
type EventEnvelope = z.infer<typeof EventEnvelope>;

// ---------------------------------------------------------------------------------------------

function refuse(path: string, message: string): TaskError {
  return invalidInput(`event ${path}: ${message}`, path);
}

/** Parses one part of the event; the error names the first failing field by its path in the event. */
function parse<S extends z.ZodType>(schema: S, value: unknown, at: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [at, ...(issue?.path ?? []).map(String)].filter((part) => part !== "").join(".") || "(root)";
  throw refuse(path, issue?.message ?? "is invalid");
}

/** Echoes an untrusted string into a message only shortened and JSON-quoted. */
function quoted(value: string): string {
  // JSON escapes control characters; format characters (bidi overrides, zero-width) are escaped too.
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value).replace(/\p{Cf}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

// Attacker-chosen text (a user agent) is cleaned and cut rather than refused: refusing it would let
// whoever controls it stop the incident from opening.
function freeText(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  const cleaned = value.replace(/[\p{Cc}\p{Cf}]/gu, " ").trim().slice(0, max);
  return cleaned.length > 0 ? cleaned : undefined;
}

/** CloudTrail's sourceIPAddress is also a service name ("ec2.amazonaws.com", "AWS Internal"). */
function ipOrUndefined(value: string | undefined): string | undefined {
  return value !== undefined && IpAddress.safeParse(value).success ? value : undefined;
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function nonEmpty<T extends object>(value: T): T | undefined {
  const kept = compact(value);
  return Object.keys(kept).length > 0 ? kept : undefined;
}

function eventTime(envelope: EventEnvelope, path: string): string {
  if (envelope.time === undefined) throw refuse(path, "is required");
  return envelope.time;
}

const IANA_PROTOCOLS: Readonly<Record<string, Network["protocol"]>> = { "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6" };

// ---------------------------------------------------------------------------------------------
// GuardDuty

const PortDetails = z.object({ port: z.number().int().optional() }).optional();
const RemoteIpDetails = z.object({ ipAddressV4: Ipv4Address.optional(), ipAddressV6: z.ipv6().optional() }).optional();

const GuardDutyDetail = z.object({
  id: GuardDutyFindingId,
  type: FindingType,
  severity: z.number().min(0).max(10),
  accountId: AccountId,
  region: Region,
  updatedAt: Timestamp.optional(),
  resource: z.object({
    resourceType: z.string().max(64).optional(),
    instanceDetails: z
      .object({
        instanceId: InstanceId.optional(),
        networkInterfaces: z
          .array(
            z.object({
              subnetId: SubnetId.optional(),
              vpcId: VpcId.optional(),
              securityGroups: z.array(z.object({ groupId: SecurityGroupId.optional() })).max(16).optional(),
            }),
          )
          .max(32)
          .optional(),
      })
      .optional(),
    accessKeyDetails: z
      .object({
        accessKeyId: AccessKeyId.optional(),
        userName: PrincipalName.optional(),
        userType: z.string().max(64).optional(),
      })
      .optional(),
  }),
  service: z.object({
    detectorId: GuardDutyDetectorId,
    additionalInfo: z.object({ sample: z.boolean().optional() }).optional(),
    action: z
      .object({
        networkConnectionAction: z
          .object({
            connectionDirection: z.string().max(16).optional(),
            protocol: z.string().max(16).optional(),
            remoteIpDetails: RemoteIpDetails,
            remotePortDetails: PortDetails,
            localPortDetails: PortDetails,
          })
          .optional(),
        portProbeAction: z
          .object({
            portProbeDetails: z
              .array(z.object({ localPortDetails: PortDetails, remoteIpDetails: RemoteIpDetails }))
              .max(1000)
              .optional(),
          })
          .optional(),
        awsApiCallAction: z
          .object({ remoteIpDetails: RemoteIpDetails, userAgent: Text.optional() })
          .optional(),
      })
      .optional(),
  }),
});
type GuardDutyDetail = z.infer<typeof GuardDutyDetail>;

const portOf = (details: { port?: number | undefined } | undefined) => (details?.port !== undefined && Port.safeParse(details.port).success ? details.port : undefined);
const ipOf = (details: { ipAddressV4?: string | undefined; ipAddressV6?: string | undefined } | undefined) => details?.ipAddressV4 ?? details?.ipAddressV6;

function guardDutyResource(detail: GuardDutyDetail): Resource {
  const { instanceDetails, accessKeyDetails } = detail.resource;
  if (instanceDetails?.instanceId) {
    const eni = instanceDetails.networkInterfaces?.[0];
    return compact({
      kind: "ec2-instance" as const,
      instanceId: instanceDetails.instanceId,
      vpcId: eni?.vpcId,
      subnetId: eni?.subnetId,
      securityGroupId: eni?.securityGroups?.[0]?.groupId,
    });
  }
  if (accessKeyDetails) return accessKeyResource(accessKeyDetails);
  throw refuse("detail.resource", `GuardDuty resource type ${quoted(detail.resource.resourceType ?? "(none)")} names no instance or access key irflow can act on`);
}

/**
 * A long-term key (AKIA…) is the resource itself: it can be deactivated. A session key (ASIA…) is
 * the actor's and dies with the session; the resource is then its principal: the IAM user (a
 * console or GetSessionToken session) or the role whose sessions must be revoked.
 */
function accessKeyResource(details: NonNullable<GuardDutyDetail["resource"]["accessKeyDetails"]>): Resource {
  const path = "detail.resource.accessKeyDetails";
  const longTerm = details.accessKeyId?.startsWith("AKIA") ? details.accessKeyId : undefined;
  const userType = details.userType ?? "";
  if (userType === "Root") return compact({ kind: "account" as const, accessKeyId: longTerm });
  if (userType === "AssumedRole" || userType === "Role") {
    const roleName = details.userName === undefined ? undefined : parse(IamRoleName, details.userName, `${path}.userName`);
    return compact({ kind: "iam-access-key" as const, roleName });
  }
  const userName = details.userName === undefined ? undefined : parse(IamUserName, details.userName, `${path}.userName`);
  if (longTerm) return compact({ kind: "iam-access-key" as const, accessKeyId: longTerm, userName });
  if (userName) return { kind: "iam-user", userName };
  throw refuse(path, "names neither a long-term key nor a user or role");
}

function guardDutyNetwork(detail: GuardDutyDetail): Network | undefined {
  const action = detail.service.action;
  const connection = action?.networkConnectionAction;
  if (connection) {
    const direction = connection.connectionDirection?.toUpperCase();
    return nonEmpty({
      remoteIp: ipOf(connection.remoteIpDetails),
      remotePort: portOf(connection.remotePortDetails),
      localPort: portOf(connection.localPortDetails),
      protocol: { TCP: "tcp", UDP: "udp", ICMP: "icmp" }[connection.protocol?.toUpperCase() ?? ""] as Network["protocol"],
      direction: direction === "INBOUND" ? ("inbound" as const) : direction === "OUTBOUND" ? ("outbound" as const) : undefined,
    });
  }
  const probe = action?.portProbeAction?.portProbeDetails?.[0];
  if (probe) return nonEmpty({ remoteIp: ipOf(probe.remoteIpDetails), localPort: portOf(probe.localPortDetails), direction: "inbound" as const });
  const apiCall = action?.awsApiCallAction;
  if (apiCall) return nonEmpty({ remoteIp: ipOf(apiCall.remoteIpDetails) });
  return undefined;
}

function guardDutyActor(detail: GuardDutyDetail): Actor | undefined {
  const key = detail.resource.accessKeyDetails;
  const apiCall = detail.service.action?.awsApiCallAction;
  if (!key && !apiCall) return undefined;
  return nonEmpty({
    userName: key?.userName,
    accessKeyId: key?.accessKeyId?.startsWith("ASIA") ? key.accessKeyId : undefined,
    sourceIp: ipOf(apiCall?.remoteIpDetails),
    userAgent: freeText(apiCall?.userAgent, 1024),
  });
}

function fromGuardDuty(envelope: EventEnvelope): NormalizedEvent {
  const detail = parse(GuardDutyDetail, envelope.detail, "detail");
  // A sample finding carries placeholder ids (i-99999999) that may well exist: never act on one.
  if (detail.service.additionalInfo?.sample === true) throw refuse("detail.service.additionalInfo.sample", "is a GuardDuty sample finding; irflow does not respond to samples");
  return compact({
    trigger: {
      source: "guardduty" as const,
      type: detail.type,
      eventId: envelope.id,
      time: detail.updatedAt ?? eventTime(envelope, "time"),
      region: detail.region,
      accountId: detail.accountId,
      findingId: detail.id,
      detectorId: detail.service.detectorId,
    },
    resource: guardDutyResource(detail),
    actor: guardDutyActor(detail),
    network: guardDutyNetwork(detail),
    severity: { label: severityLabel(detail.severity), score: detail.severity },
  });
}

// ---------------------------------------------------------------------------------------------
// CloudTrail

const OptionalAccessKeyId = z.preprocess((value) => (value === "" ? undefined : value), AccessKeyId.optional());

const CloudTrailDetail = z.object({
  eventID: EventId,
  eventName: EventName,
  eventSource: EventSource,
  eventTime: Timestamp,
  awsRegion: Region,
  recipientAccountId: AccountId.optional(),
  sourceIPAddress: z.string().max(256).optional(),
  userAgent: Text.optional(),
  userIdentity: z
    .object({
      type: z.string().max(64).optional(),
      arn: Arn.optional(),
      accountId: AccountId.optional(),
      accessKeyId: OptionalAccessKeyId,
      userName: PrincipalName.optional(),
    })
    .optional(),
  requestParameters: z.unknown(),
  responseElements: z.unknown(),
});
type CloudTrailDetail = z.infer<typeof CloudTrailDetail>;

const Ipv4Ranges = z.object({ items: z.array(z.object({ cidrIp: z.string().max(64).optional() })).max(1000).optional() }).optional();
const Ipv6Ranges = z.object({ items: z.array(z.object({ cidrIpv6: z.string().max(64).optional() })).max(1000).optional() }).optional();

const IpPermission = z.object({
  ipProtocol: z.union([z.string().max(16), z.number().int()]).transform(String),
  fromPort: z.number().int().optional(),
  toPort: z.number().int().optional(),
  ipRanges: Ipv4Ranges,
  ipv6Ranges: Ipv6Ranges,
});
type IpPermission = z.infer<typeof IpPermission>;

const SecurityGroupRequest = z.object({
  groupId: SecurityGroupId.optional(),
  ipPermissions: z.object({ items: z.array(IpPermission).max(1000).optional() }).optional(),
  // The older single-rule form of the call (CidrIp, IpProtocol, FromPort, ToPort at the top).
  ipProtocol: z.union([z.string().max(16), z.number().int()]).transform(String).optional(),
  fromPort: z.number().int().optional(),
  toPort: z.number().int().optional(),
  cidrIp: z.string().max(64).optional(),
});

const SecurityGroupResponse = z
  .object({
    securityGroupRuleSet: z
      .object({
        items: z
          .array(
            z.object({
              groupId: SecurityGroupId.optional(),
              securityGroupRuleId: SecurityGroupRuleId.optional(),
              cidrIpv4: z.string().max(64).optional(),
              cidrIpv6: z.string().max(64).optional(),
            }),
          )
          .max(1000)
          .optional(),
      })
      .optional(),
  })
  .nullish();

const WORLD = new Set(["0.0.0.0/0", "::/0"]);

function protocolOf(value: string, path: string): Permission["protocol"] {
  const lower = value.toLowerCase();
  if (lower === "-1" || lower === "all") return "-1";
  if (lower === "tcp" || lower === "udp" || lower === "icmp" || lower === "icmpv6") return lower;
  const named = IANA_PROTOCOLS[lower];
  if (named) return named;
  throw refuse(path, `protocol ${quoted(value)} is not one irflow can represent (tcp, udp, icmp, icmpv6, -1)`);
}

function rangesOf(permission: IpPermission): string[] {
  return [
    ...(permission.ipRanges?.items ?? []).map((r) => r.cidrIp),
    ...(permission.ipv6Ranges?.items ?? []).map((r) => r.cidrIpv6),
  ].filter((cidr): cidr is string => cidr !== undefined);
}

/** The rule that opened the group: the first world-open range, else the first range of any kind. */
function chooseRange(permissions: readonly IpPermission[]): { permission: IpPermission; index: number; cidr: string } | undefined {
  let fallback: { permission: IpPermission; index: number; cidr: string } | undefined;
  for (const [index, permission] of permissions.entries()) {
    for (const cidr of rangesOf(permission)) {
      if (WORLD.has(cidr)) return { permission, index, cidr };
      fallback ??= { permission, index, cidr };
    }
  }
  return fallback;
}

function securityGroupFacts(detail: CloudTrailDetail): Pick<NormalizedEvent, "resource" | "permission"> {
  const request = parse(SecurityGroupRequest, detail.requestParameters, "detail.requestParameters");
  const response = parse(SecurityGroupResponse, detail.responseElements, "detail.responseElements");
  const rules = response?.securityGroupRuleSet?.items ?? [];
  // Calls that name the group by name (default VPC) have the id only in the response.
  const groupId = request.groupId ?? rules.find((rule) => rule.groupId)?.groupId;
  if (!groupId) throw refuse("detail.requestParameters.groupId", "is required (neither the request nor the response names the group id)");
  const permissions: IpPermission[] = [
    ...(request.ipPermissions?.items ?? []),
    ...(request.cidrIp !== undefined && request.ipProtocol !== undefined
      ? [{ ipProtocol: request.ipProtocol, fromPort: request.fromPort, toPort: request.toPort, ipRanges: { items: [{ cidrIp: request.cidrIp }] }, ipv6Ranges: undefined }]
      : []),
  ];
  const resource: Resource = { kind: "security-group", securityGroupId: groupId };
  const chosen = chooseRange(permissions);
  if (!chosen) return { resource };
  const path = `detail.requestParameters.ipPermissions.items.${chosen.index}`;
  const cidr = parse(IncidentPermission.shape.cidr, chosen.cidr, `${path}.cidr`);
  const protocol = protocolOf(chosen.permission.ipProtocol, `${path}.ipProtocol`);
  const ports = protocol === "-1" ? {} : { fromPort: portOf({ port: chosen.permission.fromPort }), toPort: portOf({ port: chosen.permission.toPort }) };
  const ruleId = rules.find((rule) => rule.cidrIpv4 === cidr || rule.cidrIpv6 === cidr)?.securityGroupRuleId;
  return {
    resource,
    permission: compact({
      groupId,
      ruleId,
      direction: detail.eventName === "AuthorizeSecurityGroupEgress" ? ("egress" as const) : ("ingress" as const),
      protocol,
      ...ports,
      cidr,
    }),
  };
}

function bucketFacts(detail: CloudTrailDetail): Pick<NormalizedEvent, "resource"> {
  const request = parse(z.object({ bucketName: BucketName }), detail.requestParameters, "detail.requestParameters");
  return { resource: { kind: "s3-bucket", bucketName: request.bucketName } };
}

const SECURITY_GROUP_EVENTS = new Set(["AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress"]);

function cloudTrailActor(detail: CloudTrailDetail): Actor | undefined {
  const identity = detail.userIdentity;
  return nonEmpty({
    arn: identity?.arn,
    userName: identity?.userName,
    accountId: identity?.accountId,
    sourceIp: ipOrUndefined(detail.sourceIPAddress),
    userAgent: freeText(detail.userAgent, 1024),
    accessKeyId: identity?.accessKeyId,
  });
}

function fromCloudTrail(envelope: EventEnvelope, options: NormalizeOptions): NormalizedEvent {
  const detail = parse(CloudTrailDetail, envelope.detail, "detail");
  let facts: Pick<NormalizedEvent, "resource" | "permission">;
  let severity: SeverityLabel;
  if (detail.eventSource === "ec2.amazonaws.com" && SECURITY_GROUP_EVENTS.has(detail.eventName)) {
    facts = securityGroupFacts(detail);
    severity = "high";
  } else if (detail.eventSource === "s3.amazonaws.com") {
    facts = bucketFacts(detail);
    // Most ACL and policy changes leave the bucket private; the runbook asks S3 before acting.
    severity = "medium";
  } else {
    throw refuse("detail.eventName", `CloudTrail event ${detail.eventSource} ${detail.eventName} is not one irflow normalises`);
  }
  return compact({
    // CloudTrail's own event id, the handle responders search CloudTrail with.
    trigger: { source: "cloudtrail" as const, type: detail.eventName, eventId: detail.eventID, time: detail.eventTime, region: detail.awsRegion, accountId: detail.recipientAccountId ?? envelope.account },
    ...facts,
    actor: cloudTrailActor(detail),
    severity: labelled(options.severity ?? severity),
  });
}

// ---------------------------------------------------------------------------------------------
// AWS Config

const ConfigDetail = z.object({
  configRuleName: ConfigRuleName,
  resourceType: z.string().regex(/^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$/, "must be an AWS resource type"),
  resourceId: z.string().min(1).max(768),
  awsAccountId: AccountId,
  awsRegion: Region,
  newEvaluationResult: z
    .object({
      complianceType: z.enum(["COMPLIANT", "NON_COMPLIANT", "NOT_APPLICABLE", "INSUFFICIENT_DATA"]),
      resultRecordedTime: Timestamp.optional(),
    })
    .optional(),
});

function configResource(resourceType: string, resourceId: string): Resource {
  const path = "detail.resourceId";
  switch (resourceType) {
    case "AWS::S3::Bucket":
      return { kind: "s3-bucket", bucketName: parse(BucketName, resourceId, path) };
    case "AWS::EC2::SecurityGroup":
      return { kind: "security-group", securityGroupId: parse(SecurityGroupId, resourceId, path) };
    case "AWS::EC2::Instance":
      return { kind: "ec2-instance", instanceId: parse(InstanceId, resourceId, path) };
    default:
      throw refuse("detail.resourceType", `${quoted(resourceType)} is not a resource type irflow normalises`);
  }
}

function fromConfig(envelope: EventEnvelope, options: NormalizeOptions): NormalizedEvent {
  const detail = parse(ConfigDetail, envelope.detail, "detail");
  const result = detail.newEvaluationResult;
  return {
    trigger: {
      source: "config",
      type: detail.configRuleName,
      eventId: envelope.id,
      time: result?.resultRecordedTime ?? eventTime(envelope, "time"),
      region: detail.awsRegion,
      accountId: detail.awsAccountId,
    },
    resource: configResource(detail.resourceType, detail.resourceId),
    severity: labelled(options.severity ?? (result?.complianceType === "NON_COMPLIANT" ? "medium" : "low")),
  };
}

// ---------------------------------------------------------------------------------------------
// Flow-log records published by irflow's forwarder (flow logs do not reach EventBridge themselves)

// The flow-log field names (srcaddr, dstport, …) or their camelCase forms (srcAddr, dstPort, …),
// which the compiler's EventBridge patterns filter on: the forwarder may publish either.
const CAMEL_FLOW_FIELDS: Readonly<Record<string, string>> = { srcAddr: "srcaddr", dstAddr: "dstaddr", srcPort: "srcport", dstPort: "dstport" };

function flowLogFieldNames(detail: unknown): unknown {
  if (detail === null || typeof detail !== "object" || Array.isArray(detail)) return detail;
  const renamed: Record<string, unknown> = { ...(detail as Record<string, unknown>) };
  for (const [camel, native] of Object.entries(CAMEL_FLOW_FIELDS)) {
    if (camel in renamed && !(native in renamed)) renamed[native] = renamed[camel];
  }
  return renamed;
}

const FlowLogDetail = z.object({
  srcaddr: IpAddress,
  dstaddr: IpAddress,
  srcport: Port.optional(),
  dstport: Port.optional(),
  protocol: z.number().int().min(0).max(255),
  action: z.enum(["ACCEPT", "REJECT"]),
  interfaceId: NetworkInterfaceId,
  instanceId: InstanceId.optional(),
  vpcId: VpcId.optional(),
  subnetId: SubnetId.optional(),
  /** The forwarder found the remote address on its threat list. */
  knownBad: z.boolean().optional(),
  /** Flow-log v5 `flow-direction`, when the log format carries it. */
  flowDirection: z.enum(["ingress", "egress"]).optional(),
  /** Flow-log `start`, in Unix seconds. */
  start: z.number().int().min(0).max(4_102_444_800).optional(),
});

const PRIVATE_V4 = /^(?:10\.|192\.168\.|172\.(?:1[6-9]|2\d|3[01])\.|100\.(?:6[4-9]|[7-9]\d|1[01]\d|12[0-7])\.)/;
const isPrivate = (ip: string) => PRIVATE_V4.test(ip) || /^f[cd]/i.test(ip);

function fromFlowLogs(envelope: EventEnvelope, options: NormalizeOptions): NormalizedEvent {
  const detail = parse(FlowLogDetail, flowLogFieldNames(envelope.detail), "detail");
  // Without flow-direction, the private side of the record is ours; a private-to-private record is
  // taken as inbound to the interface and its direction left unsaid.
  const inferred = isPrivate(detail.dstaddr) && !isPrivate(detail.srcaddr) ? "ingress" : isPrivate(detail.srcaddr) && !isPrivate(detail.dstaddr) ? "egress" : undefined;
  const direction = detail.flowDirection ?? inferred;
  const outbound = direction === "egress";
  const severity: SeverityLabel = detail.knownBad ? (detail.action === "ACCEPT" ? "high" : "medium") : detail.action === "ACCEPT" ? "medium" : "low";
  return {
    trigger: {
      source: "flowlogs",
      type: detail.action,
      eventId: envelope.id,
      time: detail.start !== undefined ? new Date(detail.start * 1000).toISOString() : eventTime(envelope, "time"),
      region: envelope.region,
      accountId: envelope.account,
    },
    // An interface without an instance (NAT gateway, load balancer, Lambda) has no resource kind of
    // its own; the VPC and subnet still say where it is.
    resource: compact({ kind: detail.instanceId ? ("ec2-instance" as const) : ("account" as const), instanceId: detail.instanceId, vpcId: detail.vpcId, subnetId: detail.subnetId }),
    network: compact({
      remoteIp: outbound ? detail.dstaddr : detail.srcaddr,
      remotePort: outbound ? detail.dstport : detail.srcport,
      localPort: outbound ? detail.srcport : detail.dstport,
      protocol: IANA_PROTOCOLS[String(detail.protocol)],
      direction: direction === undefined ? undefined : outbound ? ("outbound" as const) : ("inbound" as const),
    }),
    severity: labelled(options.severity ?? severity),
  };
}

// ---------------------------------------------------------------------------------------------
// Schedules (EventBridge rules with a schedule expression)

const ScheduleRuleArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:rule\/(?:[\w.-]{1,256}\/)?[\w.-]{1,64}$/, "must be an EventBridge rule ARN");

function fromSchedule(envelope: EventEnvelope, options: NormalizeOptions): NormalizedEvent {
  const rule = parse(ScheduleRuleArn, envelope.resources?.[0], "resources.0");
  return {
    trigger: { source: "schedule", type: rule.slice(rule.lastIndexOf("/") + 1), eventId: envelope.id, time: eventTime(envelope, "time"), region: envelope.region, accountId: envelope.account },
    resource: { kind: "account" },
    severity: labelled(options.severity ?? "low"),
  };
}

// ---------------------------------------------------------------------------------------------
// Manual starts: a responder (the CLI) sends the facts in document shape. Strict objects, so a
// misspelt field fails here instead of leaving a step without its input later.

export const ManualDetail = z.strictObject({
  trigger: z
    .strictObject({ type: FindingType.optional(), findingId: GuardDutyFindingId.optional(), detectorId: GuardDutyDetectorId.optional() })
    .optional(),
  resource: z.strictObject(IncidentResource.shape),
  actor: z.strictObject(IncidentActor.shape).optional(),
  network: z.strictObject(IncidentNetwork.shape).optional(),
  permission: z.strictObject(IncidentPermission.shape).optional(),
  severity: z.strictObject({ label: SeverityLabel, score: z.number().min(0).max(10).optional() }).optional(),
  /** Why the responder started it; kept in the raw event, not in the document. */
  reason: z.string().max(1024).optional(),
});

function fromManual(envelope: EventEnvelope, now: Date, options: NormalizeOptions): NormalizedEvent {
  const detail = parse(ManualDetail, envelope.detail, "detail");
  const label = detail.severity?.label ?? options.severity ?? "medium";
  return compact({
    trigger: compact({
      source: "manual" as const,
      type: detail.trigger?.type ?? "manual",
      eventId: envelope.id,
      time: envelope.time ?? now.toISOString(),
      region: envelope.region,
      accountId: envelope.account,
      findingId: detail.trigger?.findingId,
      detectorId: detail.trigger?.detectorId,
    }),
    resource: detail.resource,
    actor: detail.actor,
    network: detail.network,
    permission: detail.permission,
    severity: { label, score: detail.severity?.score ?? SEVERITY_SCORE[label] },
  });
}

// ---------------------------------------------------------------------------------------------

const NormalizedEventSchema = z.object({
  trigger: IncidentTrigger,
  resource: IncidentResource,
  actor: IncidentActor.optional(),
  network: IncidentNetwork.optional(),
  permission: IncidentPermission.optional(),
  severity: z.object({ label: SeverityLabel, score: z.number().min(0).max(10) }),
});

/** EventBridge refuses events over 256 KiB: anything larger did not come through it. */
export const MAX_EVENT_BYTES = 256 * 1024;
const MAX_DEPTH = 64;
// Keys that mean prototype pollution to any consumer that merges the event into an object.
const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Refuses, before any schema looks at it, an event no AWS source sends: larger than EventBridge
 * allows, nested deeper than any AWS event, or carrying prototype keys at any depth. One walk
 * without recursion, so a hostile depth cannot overflow the stack; sizes are UTF-16 units, an
 * underestimate of UTF-8 bytes only for non-ASCII text.
 */
function screenEvent(event: unknown): void {
  if (event === null || typeof event !== "object" || Array.isArray(event)) throw refuse("(root)", "must be an EventBridge event (a JSON object)");
  let size = 0;
  const stack: [unknown, number, string][] = [[event, 1, ""]];
  while (stack.length > 0) {
    const [node, depth, path] = stack.pop()!;
    if (typeof node === "string") size += node.length + 2;
    else if (node === null || typeof node !== "object") size += 8;
    else {
      if (depth > MAX_DEPTH) throw refuse(printablePath(path) || "(root)", `nests deeper than ${MAX_DEPTH} levels; no AWS event does`);
      // A "__proto__" key that a parser on the way (zod's record, an assignment) turned into the prototype.
      const prototype: unknown = Object.getPrototypeOf(node);
      if (!Array.isArray(node) && prototype !== Object.prototype && prototype !== null) {
        throw refuse(printablePath(path === "" ? "__proto__" : `${path}.__proto__`), `has the key "__proto__", which no AWS event carries`);
      }
      for (const key of Object.keys(node)) {
        const at = path === "" ? key : `${path}.${key}`;
        if (FORBIDDEN_KEYS.has(key)) throw refuse(printablePath(at), `has the key ${quoted(key)}, which no AWS event carries`);
        size += key.length + 4;
        stack.push([(node as Record<string, unknown>)[key], depth + 1, at]);
      }
    }
    if (size > MAX_EVENT_BYTES) throw refuse("(root)", `is larger than ${MAX_EVENT_BYTES} bytes, EventBridge's limit`);
  }
}

/** A field path built from attacker-chosen keys, cut and without control characters, for an error message. */
function printablePath(path: string): string {
  const cleaned = path.replace(/[\p{Cc}\p{Cf}]/gu, "?");
  return cleaned.length > 128 ? `${cleaned.slice(0, 128)}…` : cleaned;
}

export const MANUAL_SOURCE = "irflow.manual";
export const FLOW_LOG_SOURCE = "irflow.flowlogs";

/**
 * The incident document's facts from a raw EventBridge event. Pure: `now` stands in for the
 * clock (a manual start sent without a time). Throws InvalidInput naming the field it refused.
 */
export function normalizeEvent(event: unknown, now: Date, options: NormalizeOptions = {}): NormalizedEvent {
  screenEvent(event);
  const envelope = parse(EventEnvelope, event, "");
  const kind = `${envelope.source} ${envelope["detail-type"]}`;
  let facts: NormalizedEvent;
  if (envelope.source === "aws.guardduty" && envelope["detail-type"] === "GuardDuty Finding") facts = fromGuardDuty(envelope);
  else if (envelope.source.startsWith("aws.") && envelope["detail-type"] === "AWS API Call via CloudTrail") facts = fromCloudTrail(envelope, options);
  else if (envelope.source === "aws.config" && envelope["detail-type"] === "Config Rules Compliance Change") facts = fromConfig(envelope, options);
  else if (envelope.source === FLOW_LOG_SOURCE && envelope["detail-type"] === "VPC Flow Log Record") facts = fromFlowLogs(envelope, options);
  else if (envelope.source === "aws.events" && envelope["detail-type"] === "Scheduled Event") facts = fromSchedule(envelope, options);
  else if (envelope.source === MANUAL_SOURCE) facts = fromManual(envelope, now, options);
  else throw refuse("source", `${quoted(kind)} is not an event irflow knows`);
  // The assembled facts pass the document's own schema, so a gap between a source schema and the
  // document cannot reach a running workflow.
  return parse(NormalizedEventSchema, facts, "(normalised)");
}
