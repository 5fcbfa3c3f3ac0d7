import { preconditionFailed } from "./errors.js";
import type { TaskContext } from "./task.js";

export type Tags = Readonly<Record<string, string>> | readonly { Key?: string; Value?: string }[] | undefined;

function tagMap(tags: Tags): Map<string, string> {
  if (!tags) return new Map();
  if (Array.isArray(tags)) return new Map((tags as { Key?: string; Value?: string }[]).filter((t) => t.Key).map((t) => [t.Key!.toLowerCase(), t.Value ?? ""]));
  return new Map(Object.entries(tags as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
}

/** Why a resource is exempt from automated response, or undefined when it is not. */
export function exemptReason(tags: Tags): string | undefined {
  const map = tagMap(tags);
  if (["true", "yes", "1"].includes((map.get("irflow:exempt") ?? "").toLowerCase())) return "tagged irflow:exempt";
  const criticality = (map.get("irflow:criticality") ?? map.get("criticality") ?? "").toLowerCase();
  if (criticality === "critical" || ["true", "yes", "1"].includes((map.get("critical") ?? "").toLowerCase())) return "tagged critical";
  return undefined;
}

/**
 * Blast-radius guard: refuses to act on a resource tagged exempt or critical, unless the
 * runbook step says `allow-exempt: true`. Exempt resources are the ones whose owners asked for
 * a human to act (a payments database, a break-glass role).
 */
export function assertNotExempt(resource: string, tags: Tags, ctx: Pick<TaskContext, "allowExempt">): void {
  const reason = exemptReason(tags);
  if (reason && !ctx.allowExempt) {
    throw preconditionFailed(`${resource} is ${reason}; irflow will not change it automatically`, "exempt");
  }
}

/** Blast-radius guard: refuses a step that would change more resources than allowed. */
export function assertWithinBlastRadius(count: number, what: string, ctx: Pick<TaskContext, "maxChanges">): void {
  if (count > ctx.maxChanges) {
    throw preconditionFailed(`${what}: ${count} changes exceed this step's limit of ${ctx.maxChanges} (max-changes)`, "blast-radius");
  }
}
