import {
  DeleteRolePolicyCommand,
  DeleteUserPolicyCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListRoleTagsCommand,
  ListUserTagsCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  type Tag,
} from "@aws-sdk/client-iam";
import { aws } from "../contract/aws-errors.js";
import { isTaskError, notFound, preconditionFailed } from "../contract/errors.js";
import type { TaskContext } from "../contract/task.js";

/** An IAM user or role: the two principals that carry inline policies and tags. */
export interface Principal {
  readonly kind: "user" | "role";
  readonly name: string;
}

/** IAM allows 50 tags per principal; a page is 100, so more pages than this mean a broken API. */
const MAX_TAG_PAGES = 10;

export function describePrincipal(p: Principal): string {
  return `${p.kind} ${p.name}`;
}

/** The principal's ARN, which also proves it exists (NotFound naming it otherwise). */
export async function principalArn(p: Principal, ctx: TaskContext): Promise<string> {
  const iam = ctx.aws(IAMClient);
  const arn =
    p.kind === "user"
      ? (await aws(`GetUser ${p.name}`, () => iam.send(new GetUserCommand({ UserName: p.name })))).User?.Arn
      : (await aws(`GetRole ${p.name}`, () => iam.send(new GetRoleCommand({ RoleName: p.name })))).Role?.Arn;
  if (!arn) throw notFound(`${describePrincipal(p)} does not exist`, p.name);
  return arn;
}

/** Every tag of the principal, for the exempt guard; a missing principal is NotFound. */
export async function principalTags(p: Principal, ctx: TaskContext): Promise<Tag[]> {
  const iam = ctx.aws(IAMClient);
  const tags: Tag[] = [];
  let marker: string | undefined;
  for (let page = 0; page < MAX_TAG_PAGES; page += 1) {
    const result =
      p.kind === "user"
        ? await aws(`ListUserTags ${p.name}`, () => iam.send(new ListUserTagsCommand({ UserName: p.name, ...(marker ? { Marker: marker } : {}) })))
        : await aws(`ListRoleTags ${p.name}`, () => iam.send(new ListRoleTagsCommand({ RoleName: p.name, ...(marker ? { Marker: marker } : {}) })));
    tags.push(...(result.Tags ?? []));
    marker = result.IsTruncated ? result.Marker : undefined;
    if (!marker) break;
  }
  return tags;
}

/** The inline policy's document (decoded), or undefined when the principal has no policy of that name. */
export async function getInlinePolicy(p: Principal, policyName: string, ctx: TaskContext): Promise<string | undefined> {
  const iam = ctx.aws(IAMClient);
  try {
    const document =
      p.kind === "user"
        ? (await aws(`GetUserPolicy ${p.name}/${policyName}`, () => iam.send(new GetUserPolicyCommand({ UserName: p.name, PolicyName: policyName })))).PolicyDocument
        : (await aws(`GetRolePolicy ${p.name}/${policyName}`, () => iam.send(new GetRolePolicyCommand({ RoleName: p.name, PolicyName: policyName })))).PolicyDocument;
    return document === undefined ? undefined : decodePolicyDocument(document);
  } catch (error) {
    // Callers have already proved the principal exists, so NoSuchEntity here is the policy.
    if (isTaskError(error) && error.name === "NotFound") return undefined;
    throw error;
  }
}

export async function putInlinePolicy(p: Principal, policyName: string, document: string, ctx: TaskContext): Promise<void> {
  const iam = ctx.aws(IAMClient);
  try {
    if (p.kind === "user") {
      await aws(`PutUserPolicy ${p.name}/${policyName}`, () => iam.send(new PutUserPolicyCommand({ UserName: p.name, PolicyName: policyName, PolicyDocument: document })));
    } else {
      await aws(`PutRolePolicy ${p.name}/${policyName}`, () => iam.send(new PutRolePolicyCommand({ RoleName: p.name, PolicyName: policyName, PolicyDocument: document })));
    }
  } catch (error) {
    // IAM's LimitExceeded here is the inline-policy size quota (2,048 characters in all for a user,
    // 10,240 for a role), not throttling: retrying cannot help, a human must make room.
    if (isTaskError(error) && error.detail === "LimitExceededException") {
      throw preconditionFailed(`${describePrincipal(p)} has no room left for inline policy ${policyName} (IAM's inline policy size quota): ${error.message}`, error.detail);
    }
    throw error;
  }
}

/** Deletes the inline policy; false when it was already gone (a concurrent run removed it). */
export async function deleteInlinePolicy(p: Principal, policyName: string, ctx: TaskContext): Promise<boolean> {
  const iam = ctx.aws(IAMClient);
  try {
    if (p.kind === "user") {
      await aws(`DeleteUserPolicy ${p.name}/${policyName}`, () => iam.send(new DeleteUserPolicyCommand({ UserName: p.name, PolicyName: policyName })));
    } else {
      await aws(`DeleteRolePolicy ${p.name}/${policyName}`, () => iam.send(new DeleteRolePolicyCommand({ RoleName: p.name, PolicyName: policyName })));
    }
    return true;
  } catch (error) {
    if (isTaskError(error) && error.name === "NotFound") return false;
    throw error;
  }
}

/** IAM returns policy documents URL-encoded (RFC 3986); mocks and some tools hand back plain JSON. */
export function decodePolicyDocument(document: string): string {
  return document.trimStart().startsWith("{") ? document : decodeURIComponent(document);
}
