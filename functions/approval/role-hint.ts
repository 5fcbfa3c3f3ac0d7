import { distance } from "fastest-levenshtein";

/**
 * A hint for a refused answer whose role is a near miss of an allowed one (`IncidentResponders`,
 * `incidentresponder`): without it a typo reads exactly like holding no role at all. The refusal
 * stands; the hint only names the role the caller probably meant.
 */

/** Role names may differ by this many edits and still count as a near miss (names are long, typos short). */
const MAX_EDITS = 2;

/** The role name of a role ARN or pattern (`arn:aws:iam::*:role/IncidentLead` → IncidentLead); undefined for other ARNs and wildcards. */
export function plainRoleName(arn: string): string | undefined {
  if (!/:role\//.test(arn)) return undefined;
  const name = arn.slice(arn.lastIndexOf("/") + 1);
  return name !== "" && !/[*?]/.test(name) ? name : undefined;
}

/**
 * `did you mean IncidentResponder?` when a role the caller holds is not an allowed one but is a
 * case slip or a small edit away from one; undefined otherwise (no role, or a different role).
 */
export function nearMissRole(principals: readonly string[], approvers: readonly string[]): string | undefined {
  const allowed = [...new Set(approvers.map(plainRoleName).filter((name): name is string => name !== undefined))];
  for (const held of principals.map(plainRoleName)) {
    if (held === undefined || allowed.includes(held)) continue;
    const meant = allowed.find((name) => distance(held.toLowerCase(), name.toLowerCase()) <= Math.min(MAX_EDITS, Math.floor(name.length / 4)));
    if (meant !== undefined) return `did you mean ${meant}?`;
  }
  return undefined;
}
