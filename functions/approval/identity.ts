/**
 * Who answers an approval. In AWS the identity comes from the request's SigV4 signature (the IAM
 * authorizer's `userArn`), never from the body; locally from the CLI (`--as`, the identities file).
 */
export interface Identity {
  /** What the audit log and the record name: an ARN in AWS, a local user name locally. */
  readonly actor: string;
  /** The ARNs this identity acts as; approver patterns are matched against them. */
  readonly principals: readonly string[];
  /** What vouches for those principals, as the audit log says it: a signed request, the identities file, a claim. */
  readonly vouchedBy?: string;
}

/** AWS: the caller's principals come from its SigV4 signature. */
export const SIGNED_REQUEST = "signed IAM request";

const ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/;

/**
 * The identity of an IAM caller. An assumed-role session (`…:assumed-role/IncidentLead/alice`)
 * also acts as its role (`arn:aws:iam::<account>:role/IncidentLead`), which is what runbooks name.
 * The session ARN drops the role's path (role names are unique in an account), so runbooks name
 * roles without their path: `arn:aws:iam::*:role/IncidentLead`.
 */
export function identityFromArn(arn: string): Identity {
  const assumed = ASSUMED_ROLE.exec(arn);
  if (!assumed) return { actor: arn, principals: [arn], vouchedBy: SIGNED_REQUEST };
  const [, partition, account, role] = assumed;
  return { actor: arn, principals: [arn, `arn:${partition}:iam::${account}:role/${role}`], vouchedBy: SIGNED_REQUEST };
}

/** ARN fields before the resource: `arn`, partition, service, region, account. */
const ARN_FIELDS = 5;

/** One glob piece: `*` any run and `?` one character, neither crossing `stop`. */
function globSource(piece: string, stop: string): string {
  const other = `[^${stop}]`;
  return piece.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, `${other}*`).replace(/\?/g, other);
}

function arnFields(arn: string): string[] | undefined {
  const parts = arn.split(":");
  if (parts.length <= ARN_FIELDS) return undefined;
  return [...parts.slice(0, ARN_FIELDS), parts.slice(ARN_FIELDS).join(":")];
}

/**
 * Whether an approver pattern names an ARN. `*` and `?` stay inside one ARN field and, in the
 * resource, inside one path segment: `arn:aws:iam::*:role/IncidentLead` is that role name in any
 * account and nothing else (not `role/IncidentLeadIntern`, not `role/contractors/IncidentLead`);
 * `role/Incident*` does not reach into paths. Wider than a runbook author reads it is unsafe.
 */
export function arnPatternMatches(pattern: string, arn: string): boolean {
  const want = arnFields(pattern);
  const have = arnFields(arn);
  if (!want || !have) return pattern === arn;
  return want.every((field, index) => {
    const stop = index < ARN_FIELDS ? ":" : ":/";
    const segments = field.split("/");
    const actual = have[index]!.split("/");
    return index < ARN_FIELDS
      ? new RegExp(`^${globSource(field, stop)}$`).test(have[index]!)
      : segments.length === actual.length && segments.every((segment, at) => new RegExp(`^${globSource(segment, stop)}$`).test(actual[at]!));
  });
}

export function isAllowedApprover(identity: Identity, approvers: readonly string[]): boolean {
  return approverPrincipals(identity, approvers).length > 0;
}

/** The identity's principals an approver pattern names: the authority an answer is given under. */
export function approverPrincipals(identity: Identity, approvers: readonly string[]): string[] {
  return identity.principals.filter((principal) => approvers.some((pattern) => arnPatternMatches(pattern, principal)));
}

const PERSON_ARN = /^arn:aws[a-z-]*:(?:sts::\d{12}:(?:assumed-role\/[^/]+|federated-user)|iam::\d{12}:user(?:\/.*)?)\/([^/]+)$/;

/**
 * The person behind an actor, for "two different people" and "not the requester": the session
 * name of an assumed role (what IAM Identity Center sets to the user), the name of an IAM or
 * federated user, or a local name; case-folded, and the same across roles, paths and accounts.
 * Conservative on purpose: two spellings of one human must never count as two approvers.
 */
export function personOf(actor: string): string {
  const trimmed = actor.trim();
  const match = PERSON_ARN.exec(trimmed);
  return (match ? match[1]! : trimmed).toLowerCase();
}

export function samePerson(a: string, b: string): boolean {
  return personOf(a) === personOf(b);
}

/** Whether this identity is the one who asked (the same person, or a principal the requester names). */
export function isRequester(identity: Identity, requester: string): boolean {
  if (samePerson(identity.actor, requester)) return true;
  if (!requester.startsWith("arn:")) return false;
  return identity.principals.some((principal) => principal.toLowerCase() === requester.trim().toLowerCase());
}
