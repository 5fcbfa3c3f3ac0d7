import { readFile } from "node:fs/promises";
import { LineCounter, parseDocument } from "yaml";
import * as z from "zod";
import type { Identity } from "../../../functions/approval/identity.js";
import { yamlPosition } from "../yaml-position.js";

/** `.irflow/identities.yaml` under the project: who answers approvals locally, as which roles. */
export const IDENTITIES_FILE = "identities.yaml";
/** The account local role names stand for when the file names none (runbooks match any with `*`). */
export const LOCAL_ACCOUNT_ID = "000000000000";

const RoleRef = z.string().regex(/^(?:[\w+=,.@-]{1,64}|arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512})$/, "must be a role name (IncidentLead) or a role ARN");

export const IdentitiesFile = z.strictObject({
  accountId: z.string().regex(/^\d{12}$/, "must be a 12-digit account id").optional(),
  /** name → the roles that person holds: role names or role ARNs. */
  identities: z.record(z.string().min(1), z.array(RoleRef).min(1)).default({}),
});
export type IdentitiesFile = z.infer<typeof IdentitiesFile>;

export class IdentityError extends Error {
  override readonly name = "IdentityError";
}

/** Reads the identities file; a missing file is an empty one (roles then come from `--role`). */
export async function loadIdentities(path: string): Promise<IdentitiesFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = error instanceof Error && "code" in error ? error.code : undefined;
    if (code === "ENOENT") return { identities: {} };
    // A folder or an unreadable file where the identities should be is the user's to fix, not a crash.
    if (code === "EISDIR" || code === "EACCES") throw new IdentityError(`${path}: cannot read the identities file (${String(code)})`);
    throw error;
  }
  return parseIdentities(text, path);
}

/** The identities file's text checked; an error names `file:line:col` and the field, as scenario errors do. */
export function parseIdentities(text: string, path: string): IdentitiesFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const { line, col } = lines.linePos(first.pos[0]);
    throw new IdentityError(`${path}:${line}:${col}: invalid YAML: ${first.message.split("\n")[0] ?? first.message}`);
  }
  const parsed = IdentitiesFile.safeParse(doc.toJS({ maxAliasCount: 100 }) ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const issuePath = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
    const field = issue.code === "unrecognized_keys" ? [...issuePath, issue.keys[0] ?? ""] : issuePath;
    const at = yamlPosition(doc, lines, field, { key: issue.code === "unrecognized_keys" });
    const message = issue.code === "unrecognized_keys" ? `unknown field "${issue.keys[0] ?? ""}"` : issue.message;
    throw new IdentityError(`${path}${at ? `:${at.line}:${at.column}` : ""}: ${field.join(".") || "(file)"}: ${message}`);
  }
  return parsed.data;
}

/**
 * A local answerer's identity. Locally nobody signs requests, so who you are is what you say
 * (`--as`, default the OS user); the identities file is what pins a name to roles: a listed name
 * holds exactly its roles (`--role` may only narrow them), an unlisted one the roles it claims.
 */
export function localIdentity(name: string, claimedRoles: readonly string[], file: IdentitiesFile): Identity {
  const actor = name.trim();
  if (actor === "") throw new IdentityError("an answer needs a name (--as)");
  for (const role of claimedRoles) {
    const checked = RoleRef.safeParse(role);
    if (!checked.success) throw new IdentityError(`--role ${role}: ${checked.error.issues[0]!.message}`);
  }
  // Names are pinned case-insensitively: `--as ALICE` must not escape what the file gives alice.
  const listedName = Object.keys(file.identities).find((name) => name.trim().toLowerCase() === actor.toLowerCase());
  const listed = listedName === undefined ? undefined : file.identities[listedName];
  const account = file.accountId ?? LOCAL_ACCOUNT_ID;
  const asArn = (role: string) => (role.startsWith("arn:") ? role : `arn:aws:iam::${account}:role/${role}`);
  if (listed) {
    const held = new Set(listed.map(asArn));
    const outside = claimedRoles.filter((role) => !held.has(asArn(role)));
    if (outside.length > 0) throw new IdentityError(`${actor} does not hold ${outside.join(", ")} (${IDENTITIES_FILE} gives ${listed.join(", ")})`);
  }
  const roles = claimedRoles.length > 0 ? claimedRoles : (listed ?? []);
  const vouchedBy = listed ? IDENTITIES_FILE : roles.length > 0 ? "claimed with --role" : undefined;
  return { actor, principals: [`local:${actor}`, ...new Set(roles.map(asArn))], ...(vouchedBy ? { vouchedBy } : {}) };
}
