import type { Change, PlanResult, Undo } from "../contract/changes.js";
import { preconditionFailed } from "../contract/errors.js";
import { assertNotExempt } from "../contract/guards.js";
import type { TaskContext } from "../contract/task.js";
import { describePrincipal, getInlinePolicy, principalArn, principalTags, putInlinePolicy, type Principal } from "./principals.js";

/** The name the IAM console gives its "Revoke active sessions" policy, so both update one policy. */
export const REVOCATION_POLICY_NAME = "AWSRevokeOlderSessions";

/** The console's policy: deny everything to sessions whose token was issued before the cut-off. */
export function revocationPolicy(cutoff: Date): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Deny",
        Action: ["*"],
        Resource: ["*"],
        Condition: { DateLessThan: { "aws:TokenIssueTime": cutoff.toISOString() } },
      },
    ],
  });
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);
const onlyStar = (value: unknown) => asList(value).length > 0 && asList(value).every((v) => v === "*");

/** IAM accepts ISO 8601 and epoch seconds in date conditions. */
function parseConditionDate(value: unknown): Date | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  const text = String(value).trim();
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text);
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

function statementCutoff(statement: unknown): Date | undefined {
  if (!isRecord(statement) || statement.Effect !== "Deny" || !onlyStar(statement.Action) || !onlyStar(statement.Resource)) return undefined;
  if ("NotAction" in statement || "NotResource" in statement || "Principal" in statement || "NotPrincipal" in statement) return undefined;
  const condition = statement.Condition;
  if (!isRecord(condition) || Object.keys(condition).length !== 1 || !isRecord(condition.DateLessThan)) return undefined;
  const keys = Object.entries(condition.DateLessThan);
  // Condition keys are case-insensitive in IAM.
  if (keys.length !== 1 || keys[0]![0].toLowerCase() !== "aws:tokenissuetime") return undefined;
  const dates = asList(keys[0]![1]).map(parseConditionDate);
  if (dates.length === 0 || dates.some((d) => d === undefined)) return undefined;
  return new Date(Math.max(...dates.map((d) => d!.getTime())));
}

/**
 * The cut-off of a policy that only denies sessions issued before a time, or undefined when the
 * document is anything else (so a wrong name never touches someone's permissions policy). With
 * several such statements the latest cut-off is the one in force.
 */
export function revocationCutoff(document: string): Date | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const statements = asList(parsed.Statement);
  const cutoffs = statements.map(statementCutoff);
  if (statements.length === 0 || cutoffs.some((c) => c === undefined)) return undefined;
  return new Date(Math.max(...cutoffs.map((c) => c!.getTime())));
}

interface RevocationState {
  readonly arn: string;
  /** The cut-off in force before this run, if any. */
  readonly current?: Date;
  /** The cut-off in force after this run: the later of the current one and now. */
  readonly cutoff: Date;
  readonly changes: Change[];
}

async function inspect(p: Principal, ctx: TaskContext): Promise<RevocationState> {
  const arn = await principalArn(p, ctx);
  assertNotExempt(arn, await principalTags(p, ctx), ctx);
  const existing = await getInlinePolicy(p, REVOCATION_POLICY_NAME, ctx);
  const current = existing === undefined ? undefined : revocationCutoff(existing);
  if (existing !== undefined && current === undefined) {
    throw preconditionFailed(`${arn} has an inline policy ${REVOCATION_POLICY_NAME} that is not a session revocation; irflow will not overwrite it`, REVOCATION_POLICY_NAME);
  }
  const now = ctx.clock.now();
  // Never loosen: a later cut-off (another incident, the console) already denies everything this one would.
  if (current && current.getTime() >= now.getTime()) return { arn, current, cutoff: current, changes: [] };
  const action = `${p.kind === "user" ? "PutUserPolicy" : "PutRolePolicy"} ${REVOCATION_POLICY_NAME}`;
  const change: Change = { resource: arn, action, before: current ? { revokedBefore: current.toISOString() } : null, after: { revokedBefore: now.toISOString() } };
  return { arn, ...(current ? { current } : {}), cutoff: now, changes: [change] };
}

export async function planRevocation(p: Principal, ctx: TaskContext): Promise<PlanResult> {
  const state = await inspect(p, ctx);
  return {
    changes: state.changes,
    summary:
      state.changes.length === 0
        ? `${describePrincipal(p)} already denies sessions issued before ${state.cutoff.toISOString()}`
        : `deny every session of ${describePrincipal(p)} issued before ${state.cutoff.toISOString()} (inline policy ${REVOCATION_POLICY_NAME}${state.current ? `, replacing the cut-off ${state.current.toISOString()}` : ""})`,
  };
}

export interface RevocationResult {
  readonly revokedBefore: string;
  readonly changes: readonly Change[];
  readonly undo?: Undo;
  readonly summary: string;
}

export async function runRevocation(p: Principal, ctx: TaskContext): Promise<RevocationResult> {
  const state = await inspect(p, ctx);
  const revokedBefore = state.cutoff.toISOString();
  if (state.changes.length === 0) {
    return { revokedBefore, changes: [], summary: `${describePrincipal(p)} already denied sessions issued before ${revokedBefore}; nothing changed` };
  }
  await putInlinePolicy(p, REVOCATION_POLICY_NAME, revocationPolicy(state.cutoff), ctx);
  // Only a policy this run created may be removed by Recover: an earlier revocation (another
  // incident, the console) must survive, and no task restores an older cut-off.
  const undo: Undo | undefined = state.current
    ? undefined
    : { task: "iam.remove-session-revocation", input: { [p.kind === "user" ? "userName" : "roleName"]: p.name, policyName: REVOCATION_POLICY_NAME } };
  return {
    revokedBefore,
    changes: state.changes,
    ...(undo ? { undo } : {}),
    summary: state.current
      ? `moved the session cut-off of ${describePrincipal(p)} from ${state.current.toISOString()} to ${revokedBefore}`
      : `denied every session of ${describePrincipal(p)} issued before ${revokedBefore}`,
  };
}
