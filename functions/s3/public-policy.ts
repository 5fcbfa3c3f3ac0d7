import { preconditionFailed } from "../contract/errors.js";

/**
 * Which statements of a bucket policy grant access to anyone. A statement is public when it allows
 * a wildcard principal ("*", {"AWS": "*"}, or NotPrincipal) and no condition pins the caller to
 * fixed values of a key that identifies them. The keys are the ones S3 itself accepts as making a
 * policy non-public (see "The meaning of public" in the S3 user guide).
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Statement = { [key: string]: Json };

const RESTRICTING_KEYS = new Set(
  [
    "aws:SourceVpce",
    "aws:SourceVpc",
    "aws:SourceIp",
    "aws:PrincipalOrgID",
    "aws:SourceArn",
    "aws:SourceAccount",
    "aws:SourceOwner",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:userid",
    "s3:DataAccessPointArn",
    "s3:DataAccessPointAccount",
  ].map((key) => key.toLowerCase()),
);

// Only operators that pin a key to the listed values. Negated operators ("StringNotEquals") admit
// everyone else, "…IfExists" admits callers without the key, and ForAllValues admits an empty set.
const PINNING_OPERATORS = new Set(["stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "ipaddress"]);
const WORLD_CIDRS = new Set(["0.0.0.0/0", "::/0"]);

const asArray = (value: Json | undefined): Json[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function isWildcardPrincipal(principal: Json | undefined): boolean {
  if (principal === "*") return true;
  if (principal !== null && typeof principal === "object" && !Array.isArray(principal)) return asArray(principal.AWS).includes("*");
  return false;
}

function pins(key: string, values: Json[]): boolean {
  if (values.length === 0) return false;
  return values.every((value) => typeof value === "string" && value.length > 0 && !value.includes("*") && !(key === "aws:sourceip" && WORLD_CIDRS.has(value)));
}

function hasPinningCondition(condition: Json | undefined): boolean {
  if (condition === null || typeof condition !== "object" || Array.isArray(condition)) return false;
  return Object.entries(condition).some(([operator, clauses]) => {
    const op = operator.toLowerCase().replace(/^foranyvalue:/, "");
    if (!PINNING_OPERATORS.has(op) || clauses === null || typeof clauses !== "object" || Array.isArray(clauses)) return false;
    return Object.entries(clauses).some(([key, value]) => RESTRICTING_KEYS.has(key.toLowerCase()) && pins(key.toLowerCase(), asArray(value)));
  });
}

export function isPublicStatement(statement: Statement): boolean {
  if (statement.Effect !== "Allow") return false;
  const wildcard = isWildcardPrincipal(statement.Principal) || statement.NotPrincipal !== undefined;
  return wildcard && !hasPinningCondition(statement.Condition);
}

export interface PolicySplit {
  readonly removed: readonly Statement[];
  /** The policy without its public statements, or null when none remain (delete the policy). */
  readonly remaining: string | null;
}

/** Splits off the public statements; the rest of the document (Version, Id, order) is kept. */
export function withoutPublicStatements(policy: string, bucketName: string): PolicySplit {
  let document: Json;
  try {
    document = JSON.parse(policy) as Json;
  } catch {
    throw preconditionFailed(`the policy of ${bucketName} is not JSON; a responder must review it`, bucketName);
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) throw preconditionFailed(`the policy of ${bucketName} is not a JSON object`, bucketName);
  const statements = asArray(document.Statement).filter((s): s is Statement => s !== null && typeof s === "object" && !Array.isArray(s));
  const removed = statements.filter(isPublicStatement);
  if (removed.length === 0) return { removed, remaining: policy };
  const kept = statements.filter((s) => !isPublicStatement(s));
  return { removed, remaining: kept.length === 0 ? null : JSON.stringify({ ...document, Statement: kept }) };
}
