import { MANUAL_SOURCE } from "../../functions/detect/normalize-event.js";
import { FLOW_LOG_DETAIL_TYPE, FLOW_LOG_SOURCE, type TriggerRule } from "../../workflows/compiler/event-patterns.js";
import { routesToRunbook } from "../../workflows/compiler/trigger-routing.js";
import type { EventBridgeEvent } from "../../workflows/local/simulated-account/index.js";
import { terminalField } from "../terminal-text.js";
import { UsageError } from "../usage-error.js";

/**
 * Refuses, before anything runs, an event none of the runbook's triggers would start it with:
 * EventBridge would never route it there, so playing it opens an incident the runbook cannot
 * handle and fails in detect. `where` names the file (and field) the event came from.
 */
export function checkEventTrigger(runbookId: string, triggers: readonly TriggerRule[], event: EventBridgeEvent, where: string): void {
  if (routesToRunbook(triggers, event) !== false) return;
  throw new UsageError(`${where}: ${describeEvent(event, triggers)} is not a trigger of ${runbookId} (its triggers: ${triggers.map(triggerText).join("; ")})`);
}

/** What arrived, in the terms the runbook's triggers filter on. */
function describeEvent(event: EventBridgeEvent, triggers: readonly TriggerRule[]): string {
  const detail = event.detail;
  const text = (value: unknown): string => (typeof value === "string" || typeof value === "number" ? terminalField(String(value)) : "(none)");
  const kind = event["detail-type"];
  if (event.source === "aws.guardduty" && kind === "GuardDuty Finding") {
    // The severity matters only to a runbook whose triggers filter on it.
    const severity = triggers.some(filtersSeverity) && typeof detail.severity === "number" ? ` with severity ${detail.severity}` : "";
    return `a GuardDuty finding of type ${text(detail.type)}${severity}`;
  }
  if (kind === "AWS API Call via CloudTrail") {
    const failed = detail.errorCode === undefined ? "" : ` that failed (${text(detail.errorCode)})`;
    return `a CloudTrail ${text(detail.eventSource)} ${text(detail.eventName)} call${failed}`;
  }
  if (event.source === "aws.config" && kind === "Config Rules Compliance Change") {
    const result = detail.newEvaluationResult;
    const compliance = result !== null && typeof result === "object" && "complianceType" in result ? result.complianceType : undefined;
    return `an AWS Config ${text(detail.configRuleName)} result ${text(compliance)}`;
  }
  if (event.source === FLOW_LOG_SOURCE && kind === FLOW_LOG_DETAIL_TYPE) return `a VPC flow-log ${text(detail.action)} record${detail.knownBad === true ? " from a known-bad address" : ""}`;
  if (event.source === "aws.events" && kind === "Scheduled Event") return "a Scheduled Event";
  if (event.source === MANUAL_SOURCE) return "a manual start";
  return `an event of source ${terminalField(event.source)}, detail-type ${terminalField(kind)}`;
}

/** A trigger in the refusal's list: what it starts the runbook for. */
function triggerText(rule: TriggerRule): string {
  switch (rule.kind) {
    case "event":
      // A CloudTrail trigger's match: narrows it beyond the calls its description names.
      return rule.source === "cloudtrail" && Object.keys(detailPattern(rule)).some((key) => key !== "eventSource" && key !== "eventName") ? `${rule.description} (with its match: filter)` : rule.description;
    case "schedule":
      return `the schedule ${rule.expression}`;
    case "manual":
      return "a manual start (irflow.manual)";
  }
}

function filtersSeverity(rule: TriggerRule): boolean {
  return rule.kind === "event" && "severity" in detailPattern(rule);
}

function detailPattern(rule: Extract<TriggerRule, { kind: "event" }>): object {
  const detail = rule.pattern.detail;
  return detail !== null && typeof detail === "object" ? detail : {};
}
