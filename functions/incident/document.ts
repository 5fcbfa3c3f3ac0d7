import * as z from "zod";
import {
  AccessKeyId,
  AccountId,
  BucketName,
  Cidr,
  GuardDutyDetectorId,
  GuardDutyFindingId,
  IamRoleName,
  IamUserName,
  InstanceId,
  IpAddress,
  IpProtocol,
  Port,
  Region,
  SecurityGroupId,
  SecurityGroupRuleId,
  SubnetId,
  UserAccessKeyId,
  VpcId,
} from "../contract/aws-ids.js";

/**
 * The incident document: the small JSON that flows between the states of every phase machine.
 * It holds ids and the few facts later steps need; changes, evidence, approvals and the raw event
 * live in the incident record (Step Functions caps a state's payload at 256 KiB).
 *
 * Runbook steps read it with JSONPath (`with:`), and extend it with `save:`; the compiler checks
 * every path against this schema, so a field added here becomes usable in runbooks.
 */
export const TriggerSource = z.enum(["guardduty", "cloudtrail", "config", "flowlogs", "schedule", "manual"]);
export type TriggerSource = z.infer<typeof TriggerSource>;

export const SeverityLabel = z.enum(["low", "medium", "high", "critical"]);

export const ResourceKind = z.enum(["ec2-instance", "security-group", "s3-bucket", "iam-user", "iam-access-key", "account"]);

export const IncidentTrigger = z.object({
  source: TriggerSource,
  /** GuardDuty finding type, CloudTrail event name, Config rule name, flow-log action or schedule name. */
  type: z.string().min(1).max(256),
  eventId: z.string().min(1).max(256),
  time: z.iso.datetime(),
  region: Region,
  accountId: AccountId,
  findingId: GuardDutyFindingId.optional(),
  detectorId: GuardDutyDetectorId.optional(),
});

export const IncidentResource = z.object({
  kind: ResourceKind,
  instanceId: InstanceId.optional(),
  vpcId: VpcId.optional(),
  subnetId: SubnetId.optional(),
  securityGroupId: SecurityGroupId.optional(),
  bucketName: BucketName.optional(),
  userName: IamUserName.optional(),
  /** A long-term user key (AKIA…), the kind that can be deactivated; session keys are the actor's. */
  accessKeyId: UserAccessKeyId.optional(),
  roleName: IamRoleName.optional(),
});

/** Who or what caused the event (CloudTrail's userIdentity, GuardDuty's actor). */
export const IncidentActor = z.object({
  arn: z.string().max(2048).optional(),
  userName: z.string().max(256).optional(),
  accountId: AccountId.optional(),
  sourceIp: IpAddress.optional(),
  userAgent: z.string().max(1024).optional(),
  /** The key the actor signed with; temporary (ASIA…) keys end with their session. */
  accessKeyId: AccessKeyId.optional(),
});

/** The network side of a finding or flow-log record. */
export const IncidentNetwork = z.object({
  remoteIp: IpAddress.optional(),
  remotePort: Port.optional(),
  localPort: Port.optional(),
  protocol: IpProtocol.optional(),
  direction: z.enum(["inbound", "outbound"]).optional(),
});

/** A security-group rule as CloudTrail reported it being added. */
export const IncidentPermission = z.object({
  groupId: SecurityGroupId,
  ruleId: SecurityGroupRuleId.optional(),
  direction: z.enum(["ingress", "egress"]),
  protocol: IpProtocol,
  fromPort: Port.optional(),
  toPort: Port.optional(),
  cidr: Cidr,
});

/** What a task's dry run returns to the workflow; the full plan stays in the incident record. */
export const PlanSummary = z.object({ digest: z.string(), summary: z.string(), changes: z.number().int().min(0) });

/** Scratch space of the step that is running: its plan, its approval, its last error. */
export const StepScratch = z.object({
  plan: PlanSummary.optional(),
  /** The per-item plans of a `foreach` step. */
  plans: z.array(PlanSummary).optional(),
  approval: z
    .object({ approvalId: z.string(), approvers: z.array(z.string()), decidedAt: z.string() })
    .optional(),
  error: z.object({ Error: z.string(), Cause: z.string() }).optional(),
});

/** How detect mints incident ids (mintIncidentId), as every refusal of a malformed one shows them. */
export const INCIDENT_ID_FORM = "inc-YYYYMMDD-<12 hex>";
/** Incident ids name executions (`<id>-post-incident` must fit Step Functions' 80 characters). */
export const IncidentId = z
  .string()
  .regex(/^inc-[a-z0-9-]{8,60}$/, `must be an irflow incident id: ${INCIDENT_ID_FORM} as irflow makes them (inc- then 8 to 60 lowercase letters, digits or hyphens)`);
/** Step ids are `<phase>/<slug>` as the compiler derives them from step headings. */
export const StepId = z.string().regex(/^(?:detect|contain|eradicate|recover|post-incident)\/[a-z0-9-]{1,80}$/, "must be a step id such as contain/isolate-the-instance");
export const ExecutionArn = z.string().regex(/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[\w-]{1,80}:[\w-]{1,80}$/, "must be a Step Functions execution ARN");

export const IncidentDocument = z.object({
  incidentId: IncidentId,
  /** True when the event joined an incident that was already open: later phases are skipped. */
  duplicate: z.boolean(),
  runbook: z.object({ id: z.string(), revision: z.string() }),
  openedAt: z.iso.datetime(),
  severity: z.object({ label: SeverityLabel, score: z.number().min(0).max(10) }),
  trigger: IncidentTrigger,
  resource: IncidentResource,
  actor: IncidentActor.optional(),
  network: IncidentNetwork.optional(),
  permission: IncidentPermission.optional(),
  step: StepScratch.optional(),
  /** Set by the incident machine when a phase failed; post-incident still runs. */
  failure: z.object({ Error: z.string(), Cause: z.string() }).optional(),
  /** Set by the last state of post-incident. */
  closure: z.object({ reportLocation: z.string(), status: z.enum(["resolved", "failed"]) }).optional(),
});
export type IncidentDocument = z.infer<typeof IncidentDocument>;

/** Top-level fields that runbooks may read but never overwrite with `save:`. */
export const RESERVED_DOCUMENT_FIELDS: readonly string[] = Object.keys(IncidentDocument.shape);
