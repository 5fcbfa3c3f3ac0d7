import type { TriggerRule } from "../../workflows/compiler/event-patterns.js";

/** A trigger as `irflow runbooks` lists it: the word that introduces it (if any), then what it is. */
export interface TriggerLine {
  readonly lead?: string;
  readonly text: string;
}

/**
 * Event descriptions name what arrives ("GuardDuty findings …") and read after "on"; a schedule is
 * built from its expression so the line does not depend on its description's wording; a manual
 * trigger's description is already a whole phrase ("started by a responder").
 */
export function triggerLine(rule: TriggerRule): TriggerLine {
  switch (rule.kind) {
    case "event":
      return { lead: "on", text: rule.description };
    case "schedule":
      return { lead: "on", text: `the schedule ${rule.expression}` };
    case "manual":
      return { text: rule.description };
  }
}
