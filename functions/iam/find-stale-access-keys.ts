import { IAMClient, ListUsersCommand, type AccessKeyMetadata } from "@aws-sdk/client-iam";
import { aws } from "../contract/aws-errors.js";
import { isTaskError } from "../contract/errors.js";
import { implementTask, type TaskContext } from "../contract/task.js";
import { accessKeyLastUsed, ageInDays, listAccessKeys } from "./access-keys.js";
import { mapBounded, present } from "./bounded.js";
import contract from "./find-stale-access-keys.contract.js";

/** Users scanned per run; an account with more reports truncated and the next run goes on. */
const MAX_USERS = 10_000;
/** What each output list holds (the contract's maximum). */
const MAX_LISTED = 1000;
const CONCURRENCY = 5;

interface Candidate {
  userName: string;
  accessKeyId: string;
  ageDays: number;
}

async function listUserNames(ctx: TaskContext): Promise<{ names: string[]; truncated: boolean }> {
  const names: string[] = [];
  let marker: string | undefined;
  do {
    const page = await aws("ListUsers", () => ctx.aws(IAMClient).send(new ListUsersCommand({ MaxItems: 1000, ...(marker ? { Marker: marker } : {}) })));
    names.push(...(page.Users ?? []).flatMap((u) => (u.UserName ? [u.UserName] : [])));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker && names.length < MAX_USERS && !ctx.signal.aborted);
  return { names: names.slice(0, MAX_USERS), truncated: Boolean(marker) || names.length > MAX_USERS };
}

/** A user deleted between ListUsers and ListAccessKeys has no keys left to report. */
async function keysOf(userName: string, ctx: TaskContext): Promise<AccessKeyMetadata[]> {
  try {
    return await listAccessKeys(userName, ctx);
  } catch (error) {
    if (isTaskError(error) && error.name === "NotFound") return [];
    throw error;
  }
}

/** Oldest first, so a truncated list still carries the keys that matter most. */
const oldestFirst = (a: Candidate, b: Candidate) => b.ageDays - a.ageDays || a.userName.localeCompare(b.userName) || a.accessKeyId.localeCompare(b.accessKeyId);

export default implementTask(contract, {
  async run({ warnAfterDays, deactivateAfterDays }, ctx) {
    const now = ctx.clock.now();
    const users = await listUserNames(ctx);
    const perUser = await mapBounded(
      users.names,
      CONCURRENCY,
      async (userName) =>
        (await keysOf(userName, ctx))
          .filter((key) => key.Status === "Active" && key.AccessKeyId && key.CreateDate)
          .map((key) => ({ userName, accessKeyId: key.AccessKeyId!, ageDays: ageInDays(key.CreateDate!, now) }))
          .filter((key) => key.ageDays >= warnAfterDays),
      ctx.signal,
    );
    // An aborted scan (the Lambda deadline) reports what it saw and says it is incomplete.
    const aborted = ctx.signal.aborted;
    const candidates = perUser.filter(present).flat().sort(oldestFirst);
    const deactivateAll = candidates.filter((key) => key.ageDays >= deactivateAfterDays);
    const warnAll = candidates.filter((key) => key.ageDays < deactivateAfterDays);
    const withLastUse = (keys: Candidate[]) =>
      mapBounded(keys.slice(0, MAX_LISTED), CONCURRENCY, async (key) => {
        const used = await accessKeyLastUsed(key.accessKeyId, ctx);
        return { ...key, ...(used.at ? { lastUsedAt: used.at.toISOString() } : {}) };
      });
    const deactivate = await withLastUse(deactivateAll);
    const warn = await withLastUse(warnAll);
    const truncated = users.truncated || aborted || deactivateAll.length > MAX_LISTED || warnAll.length > MAX_LISTED;
    const usersChecked = perUser.filter(present).length;
    return {
      output: { warn: warn.filter(present), deactivate: deactivate.filter(present), usersChecked, truncated },
      changes: [],
      summary: `${usersChecked} users checked: ${deactivateAll.length} active keys at least ${deactivateAfterDays} days old, ${warnAll.length} at least ${warnAfterDays}${truncated ? " (truncated)" : ""}`,
    };
  },
});
