import * as z from "zod";
import { parseDuration } from "./duration.js";

/** The five NIST incident-response phases, in the order every incident runs them. */
export const PHASES = ["detect", "contain", "eradicate", "recover", "post-incident"] as const;
export type Phase = (typeof PHASES)[number];
export const PHASE_TITLES: Record<Phase, string> = {
  detect: "Detect",
  contain: "Contain",
  eradicate: "Eradicate",
  recover: "Recover",
  "post-incident": "Post-incident",
};

const Duration = z
  .string()
  .refine((text) => parseDuration(text) !== undefined, { message: "must be a duration such as 90s, 30m, 4h or 2d, at most 365d" });

/** A JSONPath reference into the incident document, as Step Functions accepts it. */
const ReferencePath = z.string().regex(/^\$(?:\.|\[|$)/, "must be a JSONPath starting with $.");

const ApproverArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:(?:iam|sts)::(?:\d{12}|\*):(?:role|assumed-role|user)\/[\w+=,.@\-/*]+$/, "must be an IAM role or user ARN (account may be *)");

const GuardDutyTrigger = z.strictObject({
  // Finding types include & and ! (Backdoor:EC2/C&CActivity.B!DNS).
  guardduty: z.array(z.string().regex(/^[A-Za-z0-9:/.!&*_-]+$/, "must be a GuardDuty finding type, * allowed")).min(1),
  minSeverity: z.number().min(0).max(10).optional(),
});
const CloudTrailTrigger = z.strictObject({
  cloudtrail: z.strictObject({
    source: z.string().regex(/^[a-z0-9-]+\.amazonaws\.com$/, "must be an event source such as ec2.amazonaws.com"),
    events: z.array(z.string().regex(/^[A-Za-z0-9]+$/)).min(1),
    /** Extra EventBridge content filters on the event's `detail`. */
    match: z.record(z.string(), z.unknown()).optional(),
  }),
});
const ConfigTrigger = z.strictObject({
  config: z.strictObject({
    rules: z.array(z.string().regex(/^[A-Za-z0-9_-]{1,128}$/)).min(1),
    compliance: z.enum(["NON_COMPLIANT", "COMPLIANT", "NOT_APPLICABLE", "INSUFFICIENT_DATA"]).default("NON_COMPLIANT"),
  }),
});
const FlowLogTrigger = z.strictObject({
  flowlogs: z.strictObject({
    action: z.enum(["REJECT", "ACCEPT"]),
    ports: z.array(z.number().int().min(0).max(65535)).optional(),
    /** Only records whose remote address is on the threat list forwarded by the flow-log reader. */
    knownBad: z.boolean().optional(),
  }),
});
const ScheduleTrigger = z.strictObject({
  schedule: z.string().regex(/^(?:rate\(\d+ (?:minute|minutes|hour|hours|day|days)\)|cron\([^)]+\))$/, "must be rate(…) or cron(…)"),
});
const ManualTrigger = z.strictObject({ manual: z.literal(true) });

export const TRIGGER_KINDS = ["guardduty", "cloudtrail", "config", "flowlogs", "schedule", "manual"] as const;
export const Trigger = z.union([GuardDutyTrigger, CloudTrailTrigger, ConfigTrigger, FlowLogTrigger, ScheduleTrigger, ManualTrigger]);
export type Trigger = z.infer<typeof Trigger>;
export const TRIGGER_SCHEMAS = {
  guardduty: GuardDutyTrigger,
  cloudtrail: CloudTrailTrigger,
  config: ConfigTrigger,
  flowlogs: FlowLogTrigger,
  schedule: ScheduleTrigger,
  manual: ManualTrigger,
} as const;

export const FrontMatter = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]{2,40}$/, "must be a lower-case slug of 3 to 41 characters"),
  title: z.string().min(3).max(120),
  severity: z.enum(["low", "medium", "high", "critical"]),
  summary: z.string().max(500).optional(),
  owner: z.string().max(120).optional(),
  triggers: z.array(z.unknown()).min(1),
  approvers: z.strictObject({
    default: z.array(ApproverArn).min(1),
    destructive: z.array(ApproverArn).min(1).optional(),
    escalation: z.array(ApproverArn).min(1).optional(),
  }),
});
export type FrontMatter = z.infer<typeof FrontMatter>;

/** A `when:` condition, compiled to a Choice rule. */
export type Condition =
  | { readonly all: readonly Condition[] }
  | { readonly any: readonly Condition[] }
  | { readonly not: Condition }
  | ComparisonCondition;

export const COMPARISONS = ["equals", "not-equals", "gt", "gte", "lt", "lte", "exists", "in", "matches"] as const;
export type Comparison = (typeof COMPARISONS)[number];
export interface ComparisonCondition {
  readonly path: string;
  readonly equals?: string | number | boolean;
  readonly "not-equals"?: string | number | boolean;
  readonly gt?: number | string;
  readonly gte?: number | string;
  readonly lt?: number | string;
  readonly lte?: number | string;
  readonly exists?: boolean;
  readonly in?: readonly (string | number)[];
  readonly matches?: string;
}

const Scalar = z.union([z.string(), z.number(), z.boolean()]);
const Comparable = z.union([z.number(), z.string()]);
const Comparison: z.ZodType<ComparisonCondition> = z
  .strictObject({
    path: ReferencePath,
    equals: Scalar.optional(),
    "not-equals": Scalar.optional(),
    gt: Comparable.optional(),
    gte: Comparable.optional(),
    lt: Comparable.optional(),
    lte: Comparable.optional(),
    exists: z.boolean().optional(),
    in: z.array(z.union([z.string(), z.number()])).min(1).optional(),
    matches: z.string().optional(),
  })
  .refine((c) => COMPARISONS.filter((op) => c[op] !== undefined).length === 1, {
    message: `a condition needs exactly one of: ${COMPARISONS.join(", ")}`,
  });
export const Condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(Condition).min(1) }),
    z.strictObject({ any: z.array(Condition).min(1) }),
    z.strictObject({ not: Condition }),
    Comparison,
  ]),
);

export const StepBlock = z.strictObject({
  task: z.string().min(1),
  with: z.record(z.string(), z.unknown()).default({}),
  approval: z.enum(["none", "required", "two-person"]).optional(),
  timeout: Duration.optional(),
  "on-timeout": z.enum(["abort", "escalate", "proceed"]).optional(),
  when: Condition.optional(),
  foreach: ReferencePath.optional(),
  "max-concurrency": z.number().int().min(1).max(40).optional(),
  retry: z
    .strictObject({
      attempts: z.number().int().min(0).max(10).optional(),
      interval: Duration.optional(),
      backoff: z.number().min(1).max(10).optional(),
      "max-delay": Duration.optional(),
    })
    .optional(),
  save: ReferencePath.optional(),
  evidence: z.strictObject({ waived: z.string().min(10, "give the reason evidence is waived (at least 10 characters)") }).optional(),
  /** Blast-radius guards handed to the task: act on resources tagged exempt/critical, and how many it may change. */
  "allow-exempt": z.boolean().optional(),
  "max-changes": z.number().int().min(1).max(1000).optional(),
});
export type StepBlock = z.output<typeof StepBlock>;
