import { plainRoleName } from "./role-hint.js";

/** Who answered an approval, under which of the step's approver principals, and what vouches for them. */
export interface Authority {
  readonly by: string;
  readonly as: readonly string[];
  readonly vouchedBy?: string;
}

/** Read leniently from an answer entry's body (absent in entries written before it was kept). */
export function authoritiesOf(value: unknown): Authority[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    if (typeof item !== "object" || item === null) return [];
    const { by, as, vouchedBy } = item as Record<string, unknown>;
    if (typeof by !== "string") return [];
    const principals = Array.isArray(as) ? as.filter((p): p is string => typeof p === "string") : [];
    return [{ by, as: principals, ...(typeof vouchedBy === "string" ? { vouchedBy } : {}) }];
  });
}

/**
 * `bob as IncidentResponder (claimed with --role)`: a role by its name, any other principal whole.
 * Takes a vote as stored too (its `as` absent in records written before it was kept): the name alone then.
 */
export function authorityText(authority: Pick<Authority, "by" | "vouchedBy"> & { readonly as?: readonly string[] | undefined }): string {
  const as = (authority.as ?? []).map((principal) => plainRoleName(principal) ?? principal);
  return `${authority.by}${as.length > 0 ? ` as ${as.join(", ")}` : ""}${authority.vouchedBy ? ` (${authority.vouchedBy})` : ""}`;
}
