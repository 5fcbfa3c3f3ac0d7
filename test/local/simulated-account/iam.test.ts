import { GetUserPolicyCommand, IAMClient } from "@aws-sdk/client-iam";
import { describe, expect, it } from "vitest";
import activateAccessKey from "../../../functions/iam/activate-access-key.js";
import deactivateAccessKey from "../../../functions/iam/deactivate-access-key.js";
import describeAccessKey from "../../../functions/iam/describe-access-key.js";
import disableConsoleLogin from "../../../functions/iam/disable-console-login.js";
import enableConsoleLogin from "../../../functions/iam/enable-console-login.js";
import findStaleAccessKeys from "../../../functions/iam/find-stale-access-keys.js";
import findUsersWithoutMfa from "../../../functions/iam/find-users-without-mfa.js";
import removeSessionRevocation from "../../../functions/iam/remove-session-revocation.js";
import revokeRoleSessions from "../../../functions/iam/revoke-role-sessions.js";
import revokeUserSessions from "../../../functions/iam/revoke-user-sessions.js";
import { failure, NOW, runner, scenario } from "./support.js";

/** The real IAM tasks against the IAM scenarios. */

const KEY = "AKIAQ3EGCIDEPLOYER01";

describe("IAM tasks on a simulated account", () => {
  it("iam.describe-access-key finds the owner from the key alone, with its last use", async () => {
    const { account } = await scenario("iam-access-key-compromise");
    const output = await runner(account).run(describeAccessKey, { accessKeyId: KEY }, { stepId: "detect/describe-the-access-key" });
    expect(output).toMatchObject({
      userName: "ci-deployer",
      status: "Active",
      createdAt: "2026-06-30T08:00:00.000Z",
      lastUsedAt: "2026-11-24T09:12:00.000Z",
      lastUsedService: "s3",
      lastUsedRegion: "us-east-1",
      otherKeys: [{ accessKeyId: "AKIAQ3EGCIDEPLOYER02", status: "Inactive" }],
    });
  });

  it("iam.deactivate-access-key makes the key Inactive (never deletes it), once; activate undoes it", async () => {
    const { account } = await scenario("iam-access-key-compromise");
    const r = runner(account);
    const plan = await r.plan(deactivateAccessKey, { accessKeyId: KEY, userName: "ci-deployer" });
    expect(plan.changes).toBe(1);
    expect(await r.run(deactivateAccessKey, { accessKeyId: KEY, userName: "ci-deployer" }, { stepId: "contain/deactivate-the-access-key" })).toMatchObject({ previousStatus: "Active" });
    await r.run(deactivateAccessKey, { accessKeyId: KEY }, { incidentId: "inc-20261124-0002abcd", stepId: "contain/deactivate-the-access-key" });
    expect(account.snapshot().iam.users["ci-deployer"]?.accessKeys).toEqual([
      { accessKeyId: KEY, status: "Inactive", createDate: "2026-06-30T08:00:00.000Z" },
      { accessKeyId: "AKIAQ3EGCIDEPLOYER02", status: "Inactive", createDate: "2025-11-02T08:00:00.000Z" },
    ]);
    expect(account.mutations().map((c) => c.command)).toEqual(["UpdateAccessKey"]);
    await r.run(activateAccessKey, { accessKeyId: KEY, userName: "ci-deployer" }, { stepId: "recover/reactivate" });
    expect(account.snapshot().iam.users["ci-deployer"]?.accessKeys[0]?.status).toBe("Active");
  });

  it("refuses a key that is not in the account (IAM answers AccessDenied) and a user who does not own it", async () => {
    const { account } = await scenario("iam-access-key-compromise");
    const r = runner(account);
    expect(await failure(r.run(deactivateAccessKey, { accessKeyId: "AKIAQ3EGUNKNOWN00001" }))).toMatchObject({ name: "Forbidden", detail: "AccessDenied" });
    expect(await failure(r.run(deactivateAccessKey, { accessKeyId: KEY, userName: "break-glass" }))).toMatchObject({ name: "InvalidInput", detail: "userName" });
  });

  it("iam.disable-console-login deletes the password; enable gives one that must be reset, never recorded", async () => {
    const { account } = await scenario("iam-access-key-compromise");
    const r = runner(account);
    expect(await r.run(disableConsoleLogin, { userName: "ci-deployer" }, { stepId: "contain/remove-the-console-password" })).toMatchObject({ hadLoginProfile: true, profileCreatedAt: "2024-02-12T10:25:00.000Z" });
    expect(account.snapshot().iam.users["ci-deployer"]?.loginProfile).toBeNull();
    expect(await r.run(disableConsoleLogin, { userName: "ci-deployer" }, { incidentId: "inc-20261124-0002abcd", stepId: "contain/remove-the-console-password" })).toMatchObject({ hadLoginProfile: false });

    await r.run(enableConsoleLogin, { userName: "ci-deployer" }, { stepId: "recover/restore-console-login" });
    expect(account.snapshot().iam.users["ci-deployer"]?.loginProfile).toEqual({ createDate: NOW.toISOString(), passwordResetRequired: true });
    const create = account.calls.find((c) => c.command === "CreateLoginProfile")!;
    expect(JSON.stringify(account.snapshot())).not.toContain((create.input as { Password: string }).Password);
  });

  it("refuses to touch a user tagged exempt", async () => {
    const { account } = await scenario("iam-access-key-compromise");
    expect(await failure(runner(account).run(disableConsoleLogin, { userName: "break-glass" }))).toMatchObject({ name: "PreconditionFailed", detail: "exempt" });
    expect(account.snapshot().iam.users["break-glass"]?.loginProfile).not.toBeNull();
  });

  it("iam.revoke-user-sessions denies sessions issued before now; removing the revocation is its undo", async () => {
    const { account } = await scenario("iam-access-key-compromise");
    const r = runner(account);
    expect(await r.run(revokeUserSessions, { userName: "ci-deployer" }, { stepId: "contain/revoke-the-users-sessions" })).toMatchObject({ policyName: "AWSRevokeOlderSessions", revokedBefore: NOW.toISOString() });
    expect(account.snapshot().iam.users["ci-deployer"]?.inlinePolicies.AWSRevokeOlderSessions).toEqual({
      Version: "2012-10-17",
      Statement: [{ Effect: "Deny", Action: ["*"], Resource: ["*"], Condition: { DateLessThan: { "aws:TokenIssueTime": NOW.toISOString() } } }],
    });
    // IAM hands the document back URL-encoded, as the real service does.
    const raw = await account.clientProvider()(IAMClient).send(new GetUserPolicyCommand({ UserName: "ci-deployer", PolicyName: "AWSRevokeOlderSessions" }));
    expect(raw.PolicyDocument).toMatch(/^%7B/);
    await r.run(removeSessionRevocation, { userName: "ci-deployer", policyName: "AWSRevokeOlderSessions" }, { stepId: "recover/remove-revocation" });
    expect(Object.keys(account.snapshot().iam.users["ci-deployer"]!.inlinePolicies)).toEqual(["deploy"]);
  });

  it("iam.revoke-role-sessions puts the revocation on the instance role; a missing role is NotFound", async () => {
    const { account } = await scenario("ec2-instance-compromise");
    const r = runner(account);
    await r.run(revokeRoleSessions, { roleName: "web-app-role" }, { stepId: "contain/revoke-the-roles-sessions" });
    expect(Object.keys(account.snapshot().iam.roles["web-app-role"]!.inlinePolicies)).toEqual(["read-assets", "AWSRevokeOlderSessions"]);
    expect(await failure(r.run(revokeRoleSessions, { roleName: "no-such-role" }))).toMatchObject({ name: "NotFound", detail: "NoSuchEntityException" });
  });

  it("iam.find-stale-access-keys sorts active keys into deactivate and warn, oldest first", async () => {
    const { account } = await scenario("iam-hygiene");
    const output = await runner(account).run(findStaleAccessKeys, { warnAfterDays: 80, deactivateAfterDays: 90 }, { stepId: "detect/find-aging-access-keys" });
    expect(output).toEqual({
      deactivate: [
        { userName: "break-glass", accessKeyId: "AKIAQ3EGBREAKGLASS01", ageDays: 1419 },
        { userName: "alice", accessKeyId: "AKIAQ3EGALICE0000001", ageDays: 96, lastUsedAt: "2026-11-23T17:40:00.000Z" },
      ],
      warn: [{ userName: "bob", accessKeyId: "AKIAQ3EGBOB000000001", ageDays: 84, lastUsedAt: "2026-11-20T12:00:00.000Z" }],
      usersChecked: 6,
      truncated: false,
    });
  });

  it("iam.find-users-without-mfa reads the credential report IAM builds from the account", async () => {
    const { account } = await scenario("iam-hygiene");
    const r = runner(account);
    const output = await r.run(findUsersWithoutMfa, { graceDays: 7 }, { stepId: "detect/find-console-users-without-mfa" });
    expect(output).toEqual({
      users: [
        { userName: "carol", passwordAgeDays: 35, passwordLastUsedAt: "2026-11-18T10:30:00.000Z" },
        { userName: "dave", passwordAgeDays: 2 },
      ],
      overdue: [{ userName: "carol", passwordAgeDays: 35, passwordLastUsedAt: "2026-11-18T10:30:00.000Z" }],
      rootMfaActive: false,
      reportGeneratedAt: NOW.toISOString(),
      truncated: false,
    });
    // The report was STARTED, then COMPLETE on the next poll.
    expect(account.callsTo("iam", "GenerateCredentialReport")).toHaveLength(2);
    expect(r.sleeps).toEqual([1000]);
  });

  it("the hygiene run deactivates alice's key, refuses the exempt break-glass key, removes carol's password", async () => {
    const { account } = await scenario("iam-hygiene");
    const r = runner(account);
    await r.run(deactivateAccessKey, { userName: "alice", accessKeyId: "AKIAQ3EGALICE0000001" }, { stepId: "contain/deactivate-keys-past-90-days", item: 1 });
    expect(await failure(r.run(deactivateAccessKey, { userName: "break-glass", accessKeyId: "AKIAQ3EGBREAKGLASS01" }, { stepId: "contain/deactivate-keys-past-90-days", item: 0 }))).toMatchObject({ name: "PreconditionFailed", detail: "exempt" });
    await r.run(disableConsoleLogin, { userName: "carol" }, { stepId: "eradicate/remove-console-passwords-without-mfa" });
    const users = account.snapshot().iam.users;
    expect(users.alice?.accessKeys[0]?.status).toBe("Inactive");
    expect(users["break-glass"]?.accessKeys[0]?.status).toBe("Active");
    expect(users.carol?.loginProfile).toBeNull();
    expect(users.dave?.loginProfile).not.toBeNull();
  });
});
