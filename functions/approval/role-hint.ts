/**
 * A hint for a refused answer whose role is a near miss of an allowed one (`IncidentResponders`,
 * `incidentresponder`): without it a typo reads exactly like holding no role at all. The refusal
 * stands; the hint only names the role the caller probably meant.
 */

/** Role names may differ by this many edits and still count as a near miss (names are long, typos short). */
const MAX_EDITS = 2;

/** The role name of a role ARN or pattern (`arn:aws:iam::*:role/IncidentLead` → IncidentLead); undefined for other ARNs and wildcards. */
function roleName(arn: string): string | undefined {
  if (!/:role\//.test(arn)) return undefined;
  const name = arn.slice(arn.lastIndexOf("/") + 1);
  return name !== "" && !/[*?]/.test(name) ? name : undefined;
}

/** Levenshtein distance, stopping early: only "within `limit` or not" matters. */
export function withinEdits(a: string, b: string, limit: number): boolean {
  if (Math.abs(a.length - b.length) > limit) return false;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    if (Math.min(...current) > limit) return false;
    previous = current;
  }
  return previous[b.length]! <= limit;
}

/**
 * `did you mean IncidentResponder?` when a role the caller holds is not an allowed one but is a
 * case slip or a small edit away from one; undefined otherwise (no role, or a different role).
 */
export function nearMissRole(principals: readonly string[], approvers: readonly string[]): string | undefined {
  const allowed = [...new Set(approvers.map(roleName).filter((name): name is string => name !== undefined))];
  for (const held of principals.map(roleName)) {
    if (held === undefined || allowed.includes(held)) continue;
    const meant = allowed.find((name) => withinEdits(held.toLowerCase(), name.toLowerCase(), Math.min(MAX_EDITS, Math.floor(name.length / 4))));
    if (meant !== undefined) return `did you mean ${meant}?`;
  }
  return undefined;
}
