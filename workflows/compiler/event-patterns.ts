import type { Trigger } from "../runbook/schema.js";

export type TriggerRule =
  | { readonly kind: "event"; readonly source: string; readonly description: string; readonly pattern: Record<string, unknown> }
  | { readonly kind: "schedule"; readonly source: "schedule"; readonly description: string; readonly expression: string }
  | { readonly kind: "manual"; readonly source: "manual"; readonly description: string };

/** The custom source our flow-log reader publishes under (flow logs do not reach EventBridge). */
export const FLOW_LOG_SOURCE = "irflow.flowlogs";
export const FLOW_LOG_DETAIL_TYPE = "VPC Flow Log Record";

/** A runbook trigger as an EventBridge rule: an event pattern, a schedule, or manual only. */
export function triggerRule(trigger: Trigger): TriggerRule {
  if ("guardduty" in trigger) {
    return {
      kind: "event",
      source: "guardduty",
      description: `GuardDuty findings ${trigger.guardduty.join(", ")}${trigger.minSeverity !== undefined ? ` with severity >= ${trigger.minSeverity}` : ""}`,
      pattern: {
        source: ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        detail: {
          type: trigger.guardduty.map(typeMatcher),
          ...(trigger.minSeverity !== undefined ? { severity: [{ numeric: [">=", trigger.minSeverity] }] } : {}),
        },
      },
    };
  }
  if ("cloudtrail" in trigger) {
    const { source, events, match } = trigger.cloudtrail;
    return {
      kind: "event",
      source: "cloudtrail",
      description: `CloudTrail ${source} ${events.join(", ")}`,
      pattern: {
        source: [`aws.${source.replace(/\.amazonaws\.com$/, "")}`],
        "detail-type": ["AWS API Call via CloudTrail"],
        detail: { eventSource: [source], eventName: [...events], ...(match ?? {}) },
      },
    };
  }
  if ("config" in trigger) {
    const { rules, compliance } = trigger.config;
    return {
      kind: "event",
      source: "config",
      description: `AWS Config ${rules.join(", ")} becoming ${compliance}`,
      pattern: {
        source: ["aws.config"],
        "detail-type": ["Config Rules Compliance Change"],
        detail: {
          configRuleName: rules.map((rule) => ({ prefix: rule })),
          newEvaluationResult: { complianceType: [compliance] },
        },
      },
    };
  }
  if ("flowlogs" in trigger) {
    const { action, ports, knownBad } = trigger.flowlogs;
    return {
      kind: "event",
      source: "flowlogs",
      description: `VPC flow-log ${action} records${ports ? ` on ports ${ports.join(", ")}` : ""}${knownBad ? " from known-bad addresses" : ""}`,
      pattern: {
        source: [FLOW_LOG_SOURCE],
        "detail-type": [FLOW_LOG_DETAIL_TYPE],
        detail: {
          action: [action],
          ...(ports ? { dstPort: [...ports] } : {}),
          ...(knownBad ? { knownBad: [true] } : {}),
        },
      },
    };
  }
  if ("schedule" in trigger) return { kind: "schedule", source: "schedule", description: `on the schedule ${trigger.schedule}`, expression: trigger.schedule };
  return { kind: "manual", source: "manual", description: "started by a responder" };
}

/** Finding types with a trailing `*` become prefix matches; other stars become wildcards. */
function typeMatcher(type: string): string | Record<string, string> {
  if (!type.includes("*")) return type;
  const head = type.slice(0, -1);
  return type.endsWith("*") && !head.includes("*") ? { prefix: head } : { wildcard: type };
}
