import type { TriggerRule } from "./event-patterns.js";
import { MANUAL_SOURCE } from "../../functions/detect/normalize-event.js";
import { matchesPattern } from "./event-pattern-match.js";

/**
 * Whether a trigger starts the runbook's incident for this event, as the deployment would: an event
 * trigger when EventBridge's rule matches it, a schedule for its rule's Scheduled Event, a manual
 * trigger for a responder's start. Undefined when the pattern uses an operator the matcher does
 * not know (a runbook's own `match:` may): the caller cannot tell, so it must not refuse.
 */
export function triggerRoutes(rule: TriggerRule, event: Readonly<Record<string, unknown>>): boolean | undefined {
  switch (rule.kind) {
    case "event":
      try {
        return matchesPattern(rule.pattern, event);
      } catch {
        return undefined;
      }
    case "schedule":
      return event.source === "aws.events" && event["detail-type"] === "Scheduled Event";
    case "manual":
      return event.source === MANUAL_SOURCE;
  }
}

/** Whether any of a runbook's triggers starts it for this event (undefined: cannot tell). */
export function routesToRunbook(triggers: readonly TriggerRule[], event: Readonly<Record<string, unknown>>): boolean | undefined {
  const verdicts = triggers.map((rule) => triggerRoutes(rule, event));
  if (verdicts.includes(true)) return true;
  return verdicts.includes(undefined) ? undefined : false;
}
