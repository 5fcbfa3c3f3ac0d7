import { join } from "node:path";
import type { ApprovalView } from "../../functions/approval/approval.js";
import { isAllowedApprover, isRequester } from "../../functions/approval/identity.js";
import { plainRoleName } from "../../functions/approval/role-hint.js";
import { IDENTITIES_FILE, IdentityError, loadIdentities, localIdentity, type IdentitiesFile } from "../../workflows/local/incident/local-identities.js";
import { UsageError } from "../usage-error.js";
import { stateFolder, type StoreOptions } from "./store-options.js";

/**
 * Who a printed `irflow approve`/`reject` command answers as. Locally `--as` and `--role` are what
 * the answer is checked against, so a command without them answers as the login name with no role
 * and is refused; the suggestion names them, for the responder to run knowingly.
 */
export interface AnswerAs {
  /** The person at this terminal: the run's `--as` (default the login name). */
  readonly you: string;
  /** The roles they gave with `--role`, tried first. */
  readonly roles: readonly string[];
  /** The identities file of the run's state folder: the one `irflow approve` there will read. */
  readonly identities: IdentitiesFile;
}

/** A name and role for `--as`/`--role`; `placeholder` when no one irflow knows of could answer. */
export interface Answerer {
  readonly name: string;
  readonly role: string;
  readonly placeholder: boolean;
}

type Kind = "approve" | "reject" | "asked";

const NAME_PLACEHOLDER = "<name>";

/** `--role` values that could satisfy the step: its role names, and a wildcard-free pattern itself (a role ARN in a named account). */
function stepRoles(approvers: readonly string[]): string[] {
  return approvers.flatMap((pattern) => [plainRoleName(pattern), /[*?]/.test(pattern) ? undefined : pattern]).filter((role): role is string => role !== undefined);
}

/** Whether `irflow approve/reject --as name --role role` passes the identity checks it would meet. */
function wouldPass(approval: Pick<ApprovalView, "approvers" | "requester">, kind: Kind, name: string, role: string, identities: IdentitiesFile): boolean {
  try {
    const identity = localIdentity(name, [role], identities);
    return isAllowedApprover(identity, approval.approvers) && !(kind === "approve" && isRequester(identity, approval.requester));
  } catch (error) {
    if (error instanceof IdentityError) return false;
    throw error;
  }
}

/**
 * The `--as`/`--role` to suggest: the person at this terminal first (their own `--role`s, the roles
 * the identities file gives them, then the step's), else a name the identities file lets answer.
 * Each candidate is checked as `irflow approve` would check it, so the suggestion is not refused
 * for identity (`asked`: as the prompt checks, which does not know yet whether it will approve).
 * Without an `AnswerAs` (or when nobody irflow knows of may answer) it is a `<name>` to fill in.
 */
export function suggestAnswerer(approval: Pick<ApprovalView, "approvers" | "requester">, kind: Kind, as: AnswerAs | undefined): Answerer {
  const placeholder: Answerer = { name: NAME_PLACEHOLDER, role: plainRoleName(approval.approvers[0] ?? "") ?? approval.approvers[0] ?? "<role>", placeholder: true };
  // Nobody known to suggest: the flags are still named, to be filled in.
  if (as === undefined) return placeholder;
  const listed = Object.entries(as.identities.identities);
  const pinned = (name: string) => listed.find(([listedName]) => listedName.trim().toLowerCase() === name.trim().toLowerCase())?.[1] ?? [];
  const roles = (name: string) => [...new Set([...(name === as.you ? as.roles : []), ...pinned(name), ...stepRoles(approval.approvers)])];
  for (const name of [as.you, ...listed.map(([listedName]) => listedName)]) {
    const role = roles(name).find((candidate) => wouldPass(approval, kind, name, candidate, as.identities));
    if (role !== undefined) return { name, role, placeholder: false };
  }
  return placeholder;
}

/** What the printed commands need, read from the run's state folder; a bad identities file is a usage error, as for `irflow approve`. */
export async function answerAsFor(options: StoreOptions & { as?: string; role?: readonly string[] }, you: string): Promise<AnswerAs> {
  try {
    return { you: options.as?.trim() || you, roles: [...(options.role ?? [])], identities: await loadIdentities(join(stateFolder(options), IDENTITIES_FILE)) };
  } catch (error) {
    if (error instanceof IdentityError) throw new UsageError(error.message);
    throw error;
  }
}
