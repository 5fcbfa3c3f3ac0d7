import { IamUserName } from "../contract/aws-ids.js";
import { implementTask } from "../contract/task.js";
import { ageInDays } from "./access-keys.js";
import { credentialReport, reportDate } from "./credential-report.js";
import contract from "./find-users-without-mfa.contract.js";

/** What each output list holds (the contract's maximum). */
const MAX_LISTED = 1000;
const ROOT = "<root_account>";

interface UserWithoutMfa {
  userName: string;
  passwordAgeDays?: number;
  passwordLastUsedAt?: string;
}

export default implementTask(contract, {
  async run({ graceDays }, ctx) {
    const now = ctx.clock.now();
    const report = await credentialReport(ctx);
    const root = report.rows.find((row) => row.user === ROOT);
    if (!root) ctx.log.warn("the credential report has no root account row; reporting root MFA as inactive");
    const found: UserWithoutMfa[] = [];
    for (const row of report.rows) {
      // The root user has no password_enabled value ("not_supported"); it is reported on its own.
      if (row.user === ROOT || row.password_enabled !== "true" || row.mfa_active !== "false") continue;
      if (!IamUserName.safeParse(row.user).success) {
        ctx.log.warn("skipping a credential report row whose user is not an IAM user name", { user: row.user?.slice(0, 80) });
        continue;
      }
      // A password never changed since it was set counts from the user's creation.
      const since = reportDate(row.password_last_changed) ?? reportDate(row.user_creation_time);
      const lastUsed = reportDate(row.password_last_used);
      found.push({
        userName: row.user!,
        ...(since ? { passwordAgeDays: ageInDays(since, now) } : {}),
        ...(lastUsed ? { passwordLastUsedAt: lastUsed.toISOString() } : {}),
      });
    }
    found.sort((a, b) => (b.passwordAgeDays ?? 0) - (a.passwordAgeDays ?? 0) || a.userName.localeCompare(b.userName));
    // An unknown age cannot prove the grace period is still running.
    const overdue = found.filter((user) => (user.passwordAgeDays ?? Number.POSITIVE_INFINITY) >= graceDays);
    const rootMfaActive = root?.mfa_active === "true";
    const truncated = found.length > MAX_LISTED;
    return {
      output: {
        users: found.slice(0, MAX_LISTED),
        overdue: overdue.slice(0, MAX_LISTED),
        rootMfaActive,
        reportGeneratedAt: report.generatedAt.toISOString(),
        truncated,
      },
      changes: [],
      summary: `${found.length} users with a console password and no MFA, ${overdue.length} past ${graceDays} days; root MFA ${rootMfaActive ? "active" : "NOT active"} (report of ${report.generatedAt.toISOString()})`,
    };
  },
});
