import { CreateLoginProfileCommand, GetAccountPasswordPolicyCommand, GetLoginProfileCommand, IAMClient, ListUserTagsCommand } from "@aws-sdk/client-iam";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import contract from "../../../functions/iam/enable-console-login.contract.js";
import task from "../../../functions/iam/enable-console-login.js";
import { expectCallsDeclared } from "../../support/iam-coverage.js";
import { awsError, harness, type Harness } from "../../support/task-harness.js";
import { tags } from "./iam-fixtures.js";

const iam = mockClient(IAMClient);
const USER = "alice";

function sentPasswords(): string[] {
  return iam.commandCalls(CreateLoginProfileCommand).map((c) => c.args[0].input.Password ?? "");
}

/** The password must appear nowhere a responder, an auditor or the execution history could read it. */
function expectPasswordNowhere(h: Harness, output: unknown): void {
  const [password] = sentPasswords();
  expect(password).toBeTruthy();
  const kept = JSON.stringify({ output, journal: h.journal.all(), logs: h.logs });
  expect(kept).not.toContain(password);
}

describe("iam.enable-console-login", () => {
  beforeEach(() => {
    iam.reset();
    iam.on(ListUserTagsCommand).resolves({ Tags: [] });
    iam.on(GetLoginProfileCommand).rejects(awsError("NoSuchEntityException", 404));
    iam.on(GetAccountPasswordPolicyCommand).resolves({ PasswordPolicy: { MinimumPasswordLength: 14, RequireSymbols: true, RequireNumbers: true, AllowUsersToChangePassword: true } });
    iam.on(CreateLoginProfileCommand).resolves({ LoginProfile: { UserName: USER, CreateDate: new Date(), PasswordResetRequired: true } });
  });
  afterEach(() => expectCallsDeclared(contract, { IAMClient: iam }));

  it("plans the new login profile without creating it", async () => {
    const h = harness(task);
    expect((await h.plan({ userName: USER })).changes).toBe(1);
    expect(iam.commandCalls(CreateLoginProfileCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.changes).toEqual([
      { resource: `user/${USER}`, action: "CreateLoginProfile", before: { loginProfile: false }, after: { loginProfile: true, passwordResetRequired: true } },
    ]);
  });

  it("creates a strong random password that must be reset, and never returns, records or logs it", async () => {
    const h = harness(task);
    const output = await h.run({ userName: USER });
    expect(output).toEqual({ userName: USER, created: true, passwordResetRequired: true });
    const [create] = iam.commandCalls(CreateLoginProfileCommand);
    expect(create!.args[0].input).toMatchObject({ UserName: USER, PasswordResetRequired: true });
    const [password] = sentPasswords();
    expect(password!.length).toBeGreaterThanOrEqual(32);
    expect(password).toMatch(/[A-Z]/);
    expect(password).toMatch(/[a-z]/);
    expect(password).toMatch(/[0-9]/);
    expect(password).toMatch(/[!@#$%^&*()_+\-=[\]{}|']/);
    expectPasswordNowhere(h, output);
    const [record] = h.journal.all();
    expect(record!.changes).toEqual([
      { resource: `user/${USER}`, action: "CreateLoginProfile", before: { loginProfile: false }, after: { loginProfile: true, passwordResetRequired: true } },
    ]);
    expect(record!.undo).toEqual({ task: "iam.disable-console-login", input: { userName: USER } });
  });

  it("meets a password policy longer than the default, and draws a new password each time", async () => {
    iam.on(GetAccountPasswordPolicyCommand).resolves({ PasswordPolicy: { MinimumPasswordLength: 64 } });
    await harness(task).run({ userName: USER });
    await harness(task).run({ userName: USER }, { incidentId: "inc-20261124-0002abcd" });
    const [first, second] = sentPasswords();
    expect(first).toHaveLength(64);
    expect(second).toHaveLength(64);
    expect(first).not.toBe(second);
  });

  it("works in an account without a password policy", async () => {
    iam.on(GetAccountPasswordPolicyCommand).rejects(awsError("NoSuchEntityException", 404));
    await expect(harness(task).run({ userName: USER })).resolves.toMatchObject({ created: true });
    expect(sentPasswords()[0]).toHaveLength(32);
  });

  it("warns, without the password, when users may not change their own password", async () => {
    iam.on(GetAccountPasswordPolicyCommand).resolves({ PasswordPolicy: { AllowUsersToChangePassword: false } });
    const h = harness(task);
    const output = await h.run({ userName: USER });
    expect(h.logs.some((l) => l.level === "warn" && l.message.includes("iam:ChangePassword"))).toBe(true);
    expectPasswordNowhere(h, output);
  });

  it("runs once per incident and step", async () => {
    const h = harness(task);
    const first = await h.run({ userName: USER });
    expect(await h.run({ userName: USER })).toEqual(first);
    expect(iam.commandCalls(CreateLoginProfileCommand)).toHaveLength(1);
  });

  it("leaves an existing login profile as it is, and says so", async () => {
    iam.on(GetLoginProfileCommand).resolves({ LoginProfile: { UserName: USER, CreateDate: new Date("2025-01-01T00:00:00Z") } });
    const h = harness(task);
    const output = await h.run({ userName: USER }, { stepId: "recover/enable-again" });
    expect(output).toEqual({ userName: USER, created: false, passwordResetRequired: true });
    expect(iam.commandCalls(CreateLoginProfileCommand)).toHaveLength(0);
    expect(h.journal.all()[0]!.summary).toMatch(/already had a console password/);
    expect(h.journal.all()[0]!.undo).toBeUndefined();
  });

  it("converges when a profile appears between the read and the create", async () => {
    iam.on(CreateLoginProfileCommand).rejects(awsError("EntityAlreadyExistsException", 409));
    const h = harness(task);
    await expect(h.run({ userName: USER })).resolves.toMatchObject({ created: false });
    expect(h.journal.all()[0]!.changes).toEqual([]);
  });

  it("maps throttling to Transient", async () => {
    iam.on(CreateLoginProfileCommand).rejects(awsError("Throttling", 400));
    await expect(harness(task).run({ userName: USER })).rejects.toMatchObject({ name: "Transient" });
  });

  it("reports a missing user as NotFound with its name", async () => {
    iam.on(ListUserTagsCommand).rejects(awsError("NoSuchEntityException", 404, "The user cannot be found."));
    await expect(harness(task).run({ userName: USER })).rejects.toMatchObject({ name: "NotFound", message: expect.stringContaining(USER) });
    expect(iam.commandCalls(CreateLoginProfileCommand)).toHaveLength(0);
  });

  it("refuses bad input before any AWS call", async () => {
    await expect(harness(task).run({ userName: "alice\nrm -rf /" })).rejects.toMatchObject({ name: "InvalidInput" });
    expect(iam.calls()).toHaveLength(0);
  });

  it("refuses a user tagged exempt unless the step allows it", async () => {
    iam.on(ListUserTagsCommand).resolves({ Tags: tags({ "irflow:criticality": "critical" }) });
    await expect(harness(task).run({ userName: USER })).rejects.toMatchObject({ name: "PreconditionFailed" });
    expect(iam.commandCalls(CreateLoginProfileCommand)).toHaveLength(0);
    await expect(harness(task).run({ userName: USER }, { allowExempt: true })).resolves.toMatchObject({ created: true });
  });
});
