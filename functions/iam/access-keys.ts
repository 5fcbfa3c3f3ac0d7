import { GetAccessKeyLastUsedCommand, IAMClient, ListAccessKeysCommand, UpdateAccessKeyCommand, type AccessKeyMetadata } from "@aws-sdk/client-iam";
import { aws } from "../contract/aws-errors.js";
import type { Change, PlanResult, RunResult } from "../contract/changes.js";
import { forbidden, invalidInput, isTaskError, notFound, preconditionFailed } from "../contract/errors.js";
import { assertNotExempt } from "../contract/guards.js";
import type { TaskContext } from "../contract/task.js";
import { principalTags } from "./principals.js";

export type KeyStatus = "Active" | "Inactive";

/** A user holds at most two keys; the cap only stops a misbehaving paginator. */
const MAX_KEY_PAGES = 10;
const DAY_MS = 86_400_000;

export function ageInDays(since: Date, now: Date): number {
  return Math.max(0, Math.floor((now.getTime() - since.getTime()) / DAY_MS));
}

export interface LastUsed {
  /** Absent when the key was never used. */
  readonly at?: Date;
  readonly service?: string;
  readonly region?: string;
}

export interface KeyState {
  readonly userName: string;
  readonly accessKeyId: string;
  /** IAM's own status: "Expired" exists besides Active and Inactive. */
  readonly rawStatus: string;
  readonly status: KeyStatus;
  readonly createdAt: Date;
  readonly lastUsed: LastUsed;
  readonly otherKeys: readonly { accessKeyId: string; status: KeyStatus; createdAt: Date }[];
}

const known = (value: string | undefined) => (value && value !== "N/A" ? value : undefined);
const statusOf = (raw: string | undefined): KeyStatus => (raw === "Active" ? "Active" : "Inactive");

/** The key's owner and last use, from the key id alone. */
export async function accessKeyLastUsed(accessKeyId: string, ctx: TaskContext): Promise<{ owner?: string } & LastUsed> {
  let result;
  try {
    result = await aws(`GetAccessKeyLastUsed ${accessKeyId}`, () => ctx.aws(IAMClient).send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId })));
  } catch (error) {
    // IAM answers AccessDenied, not NoSuchEntity, for a key it cannot place in this account.
    if (isTaskError(error) && error.name === "Forbidden") {
      throw forbidden(`${error.message}; IAM also answers this way for a key that is not in this account or was deleted`, error.detail, error);
    }
    throw error;
  }
  const used = result.AccessKeyLastUsed;
  const service = known(used?.ServiceName);
  const region = known(used?.Region);
  return {
    ...(result.UserName ? { owner: result.UserName } : {}),
    ...(used?.LastUsedDate ? { at: used.LastUsedDate } : {}),
    ...(service ? { service } : {}),
    ...(region ? { region } : {}),
  };
}

export async function listAccessKeys(userName: string, ctx: TaskContext): Promise<AccessKeyMetadata[]> {
  const keys: AccessKeyMetadata[] = [];
  let marker: string | undefined;
  for (let page = 0; page < MAX_KEY_PAGES; page += 1) {
    const result = await aws(`ListAccessKeys ${userName}`, () =>
      ctx.aws(IAMClient).send(new ListAccessKeysCommand({ UserName: userName, ...(marker ? { Marker: marker } : {}) })),
    );
    keys.push(...(result.AccessKeyMetadata ?? []));
    marker = result.IsTruncated ? result.Marker : undefined;
    if (!marker) break;
  }
  return keys;
}

/**
 * Finds the key, its owner (from the key itself when the runbook does not name one), status,
 * creation and last use. A userName that is not the key's owner is refused: acting on the named
 * user would miss the key that leaked.
 */
export async function locateAccessKey(accessKeyId: string, userName: string | undefined, ctx: TaskContext): Promise<KeyState> {
  const { owner, ...lastUsed } = await accessKeyLastUsed(accessKeyId, ctx);
  if (userName !== undefined && owner !== undefined && owner !== userName) {
    throw invalidInput(`access key ${accessKeyId} belongs to ${owner}, not ${userName}`, "userName");
  }
  const user = userName ?? owner;
  if (!user) throw notFound(`access key ${accessKeyId} has no owner in this account`, accessKeyId);
  const keys = await listAccessKeys(user, ctx);
  const key = keys.find((k) => k.AccessKeyId === accessKeyId);
  if (!key) throw notFound(`access key ${accessKeyId} does not exist for user ${user}`, accessKeyId);
  return {
    userName: user,
    accessKeyId,
    rawStatus: key.Status ?? "Inactive",
    status: statusOf(key.Status),
    createdAt: key.CreateDate ?? new Date(0),
    lastUsed,
    otherKeys: keys
      .filter((k) => k.AccessKeyId && k.AccessKeyId !== accessKeyId)
      .map((k) => ({ accessKeyId: k.AccessKeyId!, status: statusOf(k.Status), createdAt: k.CreateDate ?? new Date(0) })),
  };
}

export function lastUsedRecord(lastUsed: LastUsed): Record<string, string | null> {
  return { lastUsedAt: lastUsed.at?.toISOString() ?? null, lastUsedService: lastUsed.service ?? null, lastUsedRegion: lastUsed.region ?? null };
}

interface StatusChangeInput {
  readonly userName?: string | undefined;
  readonly accessKeyId: string;
}

interface StatusChangeOutput {
  userName: string;
  accessKeyId: string;
  previousStatus: KeyStatus;
}

/** Reads the key and checks it may be changed; the change is empty when the key already has the status. */
async function inspect(input: StatusChangeInput, target: KeyStatus, ctx: TaskContext): Promise<{ key: KeyState; changes: Change[] }> {
  const key = await locateAccessKey(input.accessKeyId, input.userName, ctx);
  assertNotExempt(`user ${key.userName}`, await principalTags({ kind: "user", name: key.userName }, ctx), ctx);
  if (target === "Active" && key.rawStatus === "Expired") {
    throw preconditionFailed(`access key ${key.accessKeyId} of ${key.userName} has expired and cannot be activated`, "Expired");
  }
  if (key.status === target) return { key, changes: [] };
  // The last use goes into the record with the change: it is what investigators ask first.
  const change: Change = {
    resource: key.accessKeyId,
    action: `UpdateAccessKey ${target}`,
    before: { userName: key.userName, status: key.status, createdAt: key.createdAt.toISOString(), ...lastUsedRecord(key.lastUsed) },
    after: { userName: key.userName, status: target },
  };
  return { key, changes: [change] };
}

const verb = (target: KeyStatus) => (target === "Active" ? "activate" : "deactivate");

export async function planStatusChange(input: StatusChangeInput, target: KeyStatus, ctx: TaskContext): Promise<PlanResult> {
  const { key, changes } = await inspect(input, target, ctx);
  const used = key.lastUsed.at ? `last used ${key.lastUsed.at.toISOString()}${key.lastUsed.service ? ` (${key.lastUsed.service}, ${key.lastUsed.region ?? "?"})` : ""}` : "never used";
  return {
    changes,
    summary: changes.length === 0 ? `access key ${key.accessKeyId} of ${key.userName} is already ${target}` : `${verb(target)} access key ${key.accessKeyId} of ${key.userName} (${used})`,
  };
}

/** Sets the key's status when it differs; the undo sets it back, and only when this run changed it. */
export async function runStatusChange(input: StatusChangeInput, target: KeyStatus, undoTask: string, ctx: TaskContext): Promise<RunResult<StatusChangeOutput>> {
  const { key, changes } = await inspect(input, target, ctx);
  const output = { userName: key.userName, accessKeyId: key.accessKeyId, previousStatus: key.status };
  if (changes.length === 0) {
    return { output, changes, summary: `access key ${key.accessKeyId} of ${key.userName} was already ${target}; nothing changed` };
  }
  await aws(`UpdateAccessKey ${key.accessKeyId}`, () =>
    ctx.aws(IAMClient).send(new UpdateAccessKeyCommand({ UserName: key.userName, AccessKeyId: key.accessKeyId, Status: target })),
  );
  return {
    output,
    changes,
    undo: { task: undoTask, input: { userName: key.userName, accessKeyId: key.accessKeyId } },
    summary: `${verb(target)}d access key ${key.accessKeyId} of ${key.userName} (was ${key.status})`,
  };
}
