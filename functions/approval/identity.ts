/**
 * Who answers an approval. In AWS the identity comes from the request's SigV4 signature (the IAM
 * authorizer's `userArn`), never from the body; locally from the CLI (`--as`, the identities file).
 */
export interface Identity {
  /** What the audit log and the record name: an ARN in AWS, a local user name locally. */
  readonly actor: string;
  /** The ARNs this identity acts as; approver patterns are matched against them. */
  readonly principals: readonly string[];
}

const ASSUMED_ROLE = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/;

/**
 * The identity of an IAM caller. An assumed-role session (`…:assumed-role/IncidentLead/alice`)
 * also acts as its role (`arn:aws:iam::<account>:role/IncidentLead`), which is what runbooks name.
 * The session ARN drops the role's path, so a pattern for a role with a path needs a `*` there.
 */
export function identityFromArn(arn: string): Identity {
  const assumed = ASSUMED_ROLE.exec(arn);
  if (!assumed) return { actor: arn, principals: [arn] };
  const [, partition, account, role] = assumed;
  return { actor: arn, principals: [arn, `arn:${partition}:iam::${account}:role/${role}`] };
}

/** A glob over an ARN as IAM writes them: `*` any run of characters, `?` exactly one. */
export function arnPatternMatches(pattern: string, arn: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`).test(arn);
}

export function isAllowedApprover(identity: Identity, approvers: readonly string[]): boolean {
  return approvers.some((pattern) => identity.principals.some((principal) => arnPatternMatches(pattern, principal)));
}

/** Whether this identity is the one who asked (the same actor, or a principal the requester names). */
export function isRequester(identity: Identity, requester: string): boolean {
  if (identity.actor === requester) return true;
  if (!requester.startsWith("arn:")) return false;
  const session = sessionName(identity.actor);
  return identity.principals.includes(requester) || (session !== undefined && session === sessionName(requester));
}

function sessionName(arn: string): string | undefined {
  const match = ASSUMED_ROLE.exec(arn);
  return match ? `${match[2]}/${match[4]}` : undefined;
}
